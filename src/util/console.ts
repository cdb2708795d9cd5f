/**
 * stdout is the protocol in stdio mode. Some dependencies print with console.log /
 * console.debug; this sends every console method to stderr. It imports nothing, so
 * start.ts can run it before any other module (and any SDK) loads.
 */
import { format } from 'node:util';

export function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]) => {
    process.stderr.write(format(...args) + '\n');
  };
  for (const method of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir'] as const) {
    console[method] = toStderr;
  }
}
