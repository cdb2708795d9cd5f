/** `mcp-providers --http`: Streamable HTTP until SIGINT or SIGTERM, then a drain of in-flight calls. */
import type { ServerConfig } from '../registry/config.js';
import { createCore } from '../server/core.js';
import { startHttp, type HttpOptions } from '../server/http.js';

export async function runHttp(config: ServerConfig, args: { host?: string; port?: string }): Promise<number> {
  const host = args.host ?? config.env.MCP_PROVIDERS_HOST ?? '127.0.0.1';
  const port = Number(args.port ?? config.env.MCP_PROVIDERS_PORT ?? 8765);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`mcp-providers: --port must be 0 to 65535, got "${args.port}"\n`);
    return 2;
  }
  const list = (value: string | undefined) => value?.split(',').map((h) => h.trim()).filter(Boolean);
  const opts: HttpOptions = {
    host,
    port,
    authToken: config.authToken,
    allowedHosts: list(config.env.MCP_PROVIDERS_ALLOWED_HOSTS),
    allowedOrigins: list(config.env.MCP_PROVIDERS_ALLOWED_ORIGINS),
  };
  const publicBase = config.env.MCP_PROVIDERS_PUBLIC_URL?.replace(/\/$/, '');
  let base = publicBase;
  const core = createCore({ config, artifactUrl: (id) => (base ? `${base}/artifacts/${id}` : undefined) });
  let started;
  try {
    started = await startHttp(core, opts);
  } catch (err) {
    process.stderr.write(`mcp-providers: ${(err as Error).message}\n`);
    return 2;
  }
  base ??= started.url.replace(/\/mcp$/, '');
  core.jobs.start();
  core.logger.info({ mode: 'http', url: started.url, auth: !!opts.authToken, artifactDir: config.artifactDir }, 'mcp-providers ready');
  process.stderr.write(`mcp-providers listening on ${started.url}\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  core.logger.info({ signal, drainMs: config.drainMs }, 'shutting down: finishing in-flight calls');
  await started.close();
  return 0;
}
