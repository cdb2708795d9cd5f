/**
 * The server factory: one McpServer with the tools, artifact resources, MCP tasks and the
 * logging gate. Both serving entries call it — `serveStdio` once per connection, `createMcpHandler`
 * once per 2026-07-28 HTTP request, the 2025-11-25 HTTP leg once per session — so it holds
 * nothing a stateless request could miss: everything lasting lives in the core.
 */
import { fileURLToPath } from 'node:url';
import { CLIENT_CAPABILITIES_META_KEY, inputRequired, LOG_LEVEL_META_KEY, McpServer, type ProtocolEra, type ServerContext } from '@modelcontextprotocol/server';
import { registerTools } from '../tools/index.js';
import { CLIENT_LOG_LEVELS, type ClientLogLevel, type Core } from '../tools/deps.js';
import { tracingRequested } from '../telemetry/tracing.js';
import { PACKAGE } from '../util/package.js';
import { LIST_CACHE_HINTS, registerArtifactResources } from './resources.js';
import { registerTasks20251125, taskSupportOf } from './tasks-2025-11-25.js';
import { registerTasks20260728 } from './tasks-2026-07-28.js';
import { traceToolCalls, type NetworkTransport } from './tool-call-span.js';

const INSTRUCTIONS =
  'Generation tools for text, images, video, music and speech, routed to whichever provider is ready ' +
  '(call list_providers to see which, and what is missing). Generated files come back as resource links ' +
  '(artifact:// URIs with a file path); read one with resources/read only when you need its bytes.';

export interface CreateServerOptions {
  /** Why the client's roots are not trusted as folders to write into (HTTP beyond loopback, or without a token); undefined: they are (stdio). */
  clientRootsRefused?: string;
  /** The MCP transport, for tracing (`network.transport`): pipe for stdio, tcp for Streamable HTTP. */
  transport?: NetworkTransport;
}

/** The key under which a 2026-07-28 client's roots come back in `inputResponses`. */
const ROOTS_INPUT = 'roots';

export function createServer(core: Core, era: ProtocolEra = 'legacy', opts: CreateServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: PACKAGE.name, version: PACKAGE.version, title: 'AI generation providers' },
    // listChanged false: the tool set is fixed for the process's life, and new artifacts are
    // found by listing again (the SDK's default of true would promise notifications we never send).
    { capabilities: { logging: {}, tools: { listChanged: false }, resources: { listChanged: false } }, instructions: INSTRUCTIONS, cacheHints: LIST_CACHE_HINTS },
  );

  // MCP log notifications go only to clients that asked for them. A 2025-11-25 client asks once,
  // with logging/setLevel (kept for this instance: its connection or session); a 2026-07-28
  // client asks per request in `_meta` (logging/setLevel is deprecated there). The SDK's own
  // handler would let notifications through before any setLevel, so the gate is ours.
  let sessionLevel: ClientLogLevel | undefined;
  server.server.setRequestHandler('logging/setLevel', async (request) => {
    sessionLevel = request.params.level;
    return {};
  });
  const clientLogLevel = (mcpReq: { envelope?: object } | undefined): ClientLogLevel | undefined => {
    if (era === 'legacy') return sessionLevel;
    const asked = (mcpReq?.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
    return CLIENT_LOG_LEVELS.includes(asked as ClientLogLevel) ? (asked as ClientLogLevel) : undefined;
  };

  // save_to's roots: asked with roots/list on 2025-11-25 (a request of ours on the client's
  // connection), with an input_required round trip on 2026-07-28 (which has no server requests).
  const clientRoots = async (ctx: ServerContext) => {
    if (opts.clientRootsRefused) return undefined;
    if (era === 'legacy') {
      if (!server.server.getClientCapabilities()?.roots) return undefined;
      const listed = await ctx.mcpReq.send({ method: 'roots/list' }, { timeout: ROOTS_TIMEOUT_MS });
      return rootPaths(listed.roots);
    }
    const caps = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as { roots?: object } | undefined;
    if (!caps?.roots) return undefined;
    const answered = ctx.mcpReq.inputResponses?.[ROOTS_INPUT] as { roots?: unknown } | undefined;
    if (!answered) return inputRequired({ inputRequests: { [ROOTS_INPUT]: inputRequired.listRoots() } });
    return rootPaths(answered.roots);
  };

  // MCP tasks, over the same jobs: each protocol generation has its own wire (see the two files).
  registerTools(server, { ...core, clientLogLevel, clientRoots, ...(opts.clientRootsRefused ? { clientRootsRefused: opts.clientRootsRefused } : {}), ...(era === 'legacy' ? { taskSupport: taskSupportOf } : {}) });
  registerArtifactResources(server, core.store);
  if (era === 'legacy') registerTasks20251125(server, core);
  else registerTasks20260728(server, core);
  // Outermost, so a call answered as a task is traced too. Not installed at all unless tracing is configured.
  if (tracingRequested()) traceToolCalls(server, opts.transport);
  return server;
}

/** How long a client has to answer roots/list. */
const ROOTS_TIMEOUT_MS = 10_000;

/** The local folders among a client's roots (`file://` URIs); anything else (or malformed) is left out. The values come from the client: checked, not trusted. */
function rootPaths(roots: unknown): string[] {
  if (!Array.isArray(roots)) return [];
  return roots.flatMap((r: unknown) => {
    const uri = (r as { uri?: unknown } | null)?.uri;
    if (typeof uri !== 'string' || !uri.startsWith('file://')) return [];
    try {
      return [fileURLToPath(uri)];
    } catch {
      return [];
    }
  });
}
