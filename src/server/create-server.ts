/**
 * The server factory: one McpServer with the tools, artifact resources, MCP tasks and the
 * logging gate. Both serving entries call it — `serveStdio` once per connection, `createMcpHandler`
 * once per 2026-07-28 HTTP request, the 2025-11-25 HTTP leg once per session — so it holds
 * nothing a stateless request could miss: everything lasting lives in the core.
 */
import { LOG_LEVEL_META_KEY, McpServer, type ProtocolEra } from '@modelcontextprotocol/server';
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

/** `transport` names the MCP transport for tracing (`network.transport`): pipe for stdio, tcp for Streamable HTTP. */
export function createServer(core: Core, era: ProtocolEra = 'legacy', transport?: NetworkTransport): McpServer {
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

  // MCP tasks, over the same jobs: each protocol generation has its own wire (see the two files).
  registerTools(server, { ...core, clientLogLevel, ...(era === 'legacy' ? { taskSupport: taskSupportOf } : {}) });
  registerArtifactResources(server, core.store);
  if (era === 'legacy') registerTasks20251125(server, core);
  else registerTasks20260728(server, core);
  // Outermost, so a call answered as a task is traced too. Not installed at all unless tracing is configured.
  if (tracingRequested()) traceToolCalls(server, transport);
  return server;
}
