/**
 * Every `tools/call` as an OpenTelemetry span, after the MCP semantic conventions: kind SERVER,
 * named "tools/call <tool>", with `mcp.method.name`, `gen_ai.tool.name`,
 * `gen_ai.operation.name` = execute_tool, `jsonrpc.request.id`, `mcp.session.id` (2025-11-25 HTTP
 * sessions), `mcp.protocol.version` and `network.transport`; a `traceparent` / `tracestate` in
 * the request's `params._meta` is its parent. A tool result with `isError` ends it with
 * `error.type` = tool_error; a JSON-RPC error with its code. The job's id and state, the provider
 * and model that served it, the attempts, the fallbacks and the cost are added from the result.
 *
 * Installed by createServer only when tracing is configured (telemetry/tracing.ts): otherwise
 * the tools/call path is exactly what it was. It wraps whatever handles tools/call (the MCP tasks
 * routing included), so a call answered as a task is a span too.
 */
import { PROTOCOL_VERSION_META_KEY, ProtocolError, type CallToolResult, type McpServer, type Result } from '@modelcontextprotocol/server';
import * as A from '../telemetry/attributes.js';
import { capturesContent, inServerSpan, tracingReady, type Attributes, type SpanOutcome } from '../telemetry/tracing.js';
import { interceptToolsCall } from './tasks.js';

/** `network.transport`: stdio is a pipe, Streamable HTTP runs over TCP. */
export type NetworkTransport = 'pipe' | 'tcp';

interface ToolCallParams {
  name?: unknown;
  arguments?: unknown;
  _meta?: Record<string, unknown>;
}

export function traceToolCalls(server: McpServer, transport?: NetworkTransport): void {
  interceptToolsCall(server, async (request, ctx, call) => {
    if (!(await tracingReady())) return call(request, ctx);
    const params = (request.params ?? {}) as ToolCallParams;
    const tool = typeof params.name === 'string' ? params.name : undefined;
    // 2026-07-28 requests carry their envelope (protocol version, client info) in `_meta` too; the SDK lifts it out.
    const meta: Record<string, unknown> = { ...(ctx.mcpReq.envelope as Record<string, unknown> | undefined), ...params._meta };
    const version = meta[PROTOCOL_VERSION_META_KEY];
    const attributes: Attributes = {
      [A.MCP_METHOD_NAME]: 'tools/call',
      [A.GEN_AI_TOOL_NAME]: tool,
      [A.GEN_AI_OPERATION_NAME]: 'execute_tool',
      [A.JSONRPC_REQUEST_ID]: ctx.mcpReq.id === undefined || ctx.mcpReq.id === null ? undefined : String(ctx.mcpReq.id),
      [A.MCP_SESSION_ID]: ctx.sessionId || undefined,
      // The deprecated accessor still answers the 2025-11-25 `initialize`-negotiated version, which has no per-request envelope.
      [A.MCP_PROTOCOL_VERSION]: typeof version === 'string' ? version : server.server.getNegotiatedProtocolVersion(),
      [A.NETWORK_TRANSPORT]: transport,
      ...(capturesContent() && params.arguments !== undefined ? { [A.GEN_AI_TOOL_CALL_ARGUMENTS]: argumentsJson(params.arguments) } : {}),
    };
    return inServerSpan({ name: tool ? `tools/call ${tool}` : 'tools/call', attributes, carrier: meta }, () => call(request, ctx), outcomeOf, thrownOutcome);
  });
}

interface GenerationStructured {
  job?: { id?: string; state?: string };
  provider?: string;
  model?: string;
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
  telemetry?: { attempts?: number; fallbackFrom?: string[] };
}

/** What the result says: the job, who served it, at what cost, and whether the tool failed. */
function outcomeOf(result: Result): SpanOutcome {
  const tool = result as CallToolResult;
  const s = (tool.structuredContent ?? {}) as GenerationStructured;
  const errorCode = (tool._meta?.['mcp-providers/error'] as { code?: unknown } | undefined)?.code;
  return {
    attributes: {
      [A.JOB_ID]: s.job?.id,
      [A.JOB_STATE]: s.job?.state,
      [A.PROVIDER_ID]: s.provider,
      [A.MODEL]: s.model,
      [A.ATTEMPTS]: s.telemetry?.attempts,
      [A.FALLBACK_FROM]: s.telemetry?.fallbackFrom,
      [A.GEN_AI_USAGE_INPUT_TOKENS]: s.usage?.inputTokens,
      [A.GEN_AI_USAGE_OUTPUT_TOKENS]: s.usage?.outputTokens,
      [A.COST_USD]: s.usage?.costUsd,
    },
    // The conventions' value for a CallToolResult with isError; the description is our error code, never the message.
    ...(tool.isError ? { errorType: 'tool_error', description: typeof errorCode === 'string' ? `tool_error: ${errorCode}` : 'tool_error' } : {}),
  };
}

/** A JSON-RPC error: its code as `error.type` and `rpc.response.status_code`. */
function thrownOutcome(error: unknown): SpanOutcome {
  if (error instanceof ProtocolError) {
    const code = String(error.code);
    return { attributes: { [A.RPC_RESPONSE_STATUS_CODE]: code }, errorType: code, description: `JSON-RPC error ${code}` };
  }
  return { errorType: error instanceof Error && error.name !== 'Error' ? error.name : '_OTHER' };
}

/** The arguments as JSON (content capture only), inline base64 file data replaced by its length. */
function argumentsJson(args: unknown): string {
  return JSON.stringify(args, (key, value: unknown) => (key === 'data' && typeof value === 'string' && value.length > 256 ? `<${value.length} base64 characters>` : value));
}
