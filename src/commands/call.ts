/**
 * `mcp-providers call <tool>`: runs one tool through a real MCP client against an
 * in-process server, so people and scripts can try a tool without an agent.
 * stdout gets the result (text, or one file path per line); everything else goes to stderr.
 */
import { Client, InMemoryTransport, type CallToolResult, type Tool } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../registry/config.js';
import { createCore } from '../server/core.js';
import { createServer } from '../server/create-server.js';
import { PACKAGE } from '../util/package.js';

export async function runCall(config: ServerConfig, positionals: string[], pairs: string[], json: string | undefined): Promise<number> {
  const [tool] = positionals;
  const core = createCore({ config });
  const server = createServer(core);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: `${PACKAGE.name}-cli`, version: PACKAGE.version });
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const { tools } = await client.listTools();
    const def = tools.find((t) => t.name === tool);
    if (!def) {
      process.stderr.write(`${tool ? `Unknown tool "${tool}". ` : 'Name a tool. '}Tools: ${tools.map((t) => t.name).join(', ')}\n`);
      return 2;
    }
    let args: Record<string, unknown>;
    try {
      args = { ...(json ? (JSON.parse(json) as Record<string, unknown>) : {}), ...parsePairs(pairs, def) };
    } catch (err) {
      process.stderr.write(`Bad arguments: ${(err as Error).message}\n`);
      return 2;
    }
    const result = await client
      .callTool(
        { name: def.name, arguments: args },
        { onprogress: (p) => process.stderr.write(`… ${p.message ?? `${p.progress}${p.total ? `/${p.total}` : ''}`}\n`), timeout: config.callTimeoutMs, resetTimeoutOnProgress: true },
      )
      .catch((err: unknown): CallToolResult => ({ isError: true, content: [{ type: 'text', text: (err as Error).message }] }));
    return print(result);
  } finally {
    await client.close();
    await server.close();
    // Stops the job layer, closes the artifact index and exports the call's spans (tracing on) before the process exits.
    await core.shutdown();
  }
}

/** `key=value` pairs; a value is kept as text where the tool's schema wants a string, parsed as JSON otherwise. */
export function parsePairs(pairs: string[], tool: Tool): Record<string, unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string | string[] }>;
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--arg takes key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const type = props[key]?.type;
    const wantsString = type === 'string' || (Array.isArray(type) && type.includes('string'));
    if (wantsString) out[key] = raw;
    else {
      try {
        out[key] = JSON.parse(raw);
      } catch {
        out[key] = raw;
      }
    }
  }
  return out;
}

function print(result: CallToolResult): number {
  if (result.isError) {
    for (const c of result.content) if (c.type === 'text') process.stderr.write(`Error: ${c.text}\n`);
    return 1;
  }
  const s = result.structuredContent as
    | { provider?: string; model?: string; text?: string; artifacts?: { uri: string; path?: string; mimeType: string; size: number }[]; warnings?: string[]; telemetry?: { latencyMs: number; attempts: number } }
    | undefined;
  if (!s || !('provider' in s) || 'estimate' in s) {
    // list_providers and other non-generation tools, and estimates: print their text.
    for (const c of result.content) if (c.type === 'text') process.stdout.write(`${c.text}\n`);
    return 0;
  }
  process.stderr.write(`${s.provider}/${s.model} in ${s.telemetry?.latencyMs} ms (${s.telemetry?.attempts} attempt${s.telemetry?.attempts === 1 ? '' : 's'})\n`);
  for (const w of s.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  if (s.text !== undefined) process.stdout.write(`${s.text}\n`);
  for (const a of s.artifacts ?? []) {
    process.stderr.write(`${a.mimeType}, ${a.size} bytes, ${a.uri}\n`);
    process.stdout.write(`${a.path ?? a.uri}\n`);
  }
  return 0;
}
