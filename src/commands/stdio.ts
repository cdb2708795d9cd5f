import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ServerConfig } from '../registry/config.js';
import { createCore } from '../server/core.js';
import { createServer } from '../server/create-server.js';

/** Serves one MCP client over stdin/stdout until it closes stdin. */
export async function runStdio(config: ServerConfig): Promise<number> {
  const core = createCore({ config });
  const server = createServer(core);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
  await server.connect(transport);
  core.logger.info({ mode: 'stdio', artifactDir: config.artifactDir }, 'mcp-providers ready');
  await closed;
  await server.close().catch(() => undefined);
  return 0;
}
