/**
 * `mcp-providers` with no command: serves one MCP client over stdin/stdout until it closes
 * stdin. The SDK's serveStdio decides the connection's protocol generation from its first
 * message (2026-07-28 `server/discover` or 2025-11-25 `initialize`) and pins one server
 * instance to it. A v2 client may first probe with a short-lived second process, so nothing
 * here may assume it is the only process on the data directory.
 */
import module from 'node:module';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { ServerConfig } from '../registry/config.js';
import { createCore } from '../server/core.js';
import { createServer } from '../server/create-server.js';
import { createStdioTransport } from '../server/stdio-transport.js';
import { shutdownTracing, tracingRequested } from '../telemetry/tracing.js';

export async function runStdio(config: ServerConfig): Promise<number> {
  const core = createCore({ config });
  const transport = createStdioTransport({
    maxMessageBytes: config.maxMessageBytes,
    onRejected: ({ reason, bytes }) => core.logger.warn({ bytes, reason }, 'stdio line refused'),
  });
  const handle = serveStdio((rc) => createServer(core, rc.era, { transport: 'pipe' }), {
    transport,
    onerror: (err) => core.logger.warn({ err: err.message }, 'stdio transport error'),
  });
  core.jobs.start();
  if (tracingRequested()) exportSpansBeforeSignalExit();
  core.logger.info({ mode: 'stdio', artifactDir: config.artifactDir }, 'mcp-providers ready');
  // Everything start-up needs is loaded: write its compile cache entries now (start.ts enables
  // the cache), because they are otherwise written at exit, and clients often kill their
  // servers rather than close stdin. A no-op when the cache is off or already current.
  if (typeof module.flushCompileCache === 'function') module.flushCompileCache();
  // Ends with stdin, or when stdout fails (the client went away).
  await transport.closed;
  await core.shutdown();
  await handle.close().catch(() => undefined);
  return 0;
}

/**
 * A stdio server has no handler for SIGTERM or SIGINT: the signal ends it at once, as before. With
 * tracing on, the spans still queued are exported first (for 3 s at most), then the same signal
 * ends the process as it would have.
 */
function exportSpansBeforeSignalExit(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdownTracing().finally(() => process.kill(process.pid, signal));
    });
  }
}
