/**
 * A v2 SDK client wired to our server factory in this process, no sockets or child process:
 * 2025-11-25 through a linked in-memory pair, 2026-07-28 through `createMcpHandler`'s fetch
 * (the SDK has no in-memory entry for the stateless revision).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { loadConfig } from '../../src/registry/config.js';
import { createCore } from '../../src/server/core.js';
import { createServer } from '../../src/server/create-server.js';
import type { Core } from '../../src/tools/deps.js';

export function testCore(env: Record<string, string> = {}): Core {
  const home = mkdtempSync(join(tmpdir(), 'mcp-providers-inproc-'));
  return createCore({ config: loadConfig({ HOME: home, MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'artifacts'), MCP_PROVIDERS_LOG_LEVEL: 'silent', ...env }) });
}

export async function inProcessClient(core: Core, revision: '2025-11-25' | '2026-07-28'): Promise<{ client: Client; close(): Promise<void> }> {
  if (revision === '2025-11-25') {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = createServer(core, 'legacy');
    await server.connect(serverSide);
    const client = new Client({ name: 'in-process', version: '1.0.0' });
    await client.connect(clientSide);
    return { client, close: async () => void (await client.close(), await server.close()) };
  }
  const handler = createMcpHandler((rc) => createServer(core, rc.era), { legacy: 'reject' });
  const client = new Client({ name: 'in-process', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL('http://in-process.test/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
  return { client, close: async () => void (await client.close(), await handler.close()) };
}
