/**
 * What tools take from the SDK's per-request context (`ServerContext`): the caller's trace id
 * for our logger, progress notifications, and the MCP log line a tool call ends with. The one
 * place tools touch `ctx.mcpReq` for these, so the rest of the call path is MCP-free.
 */
import { TRACEPARENT_META_KEY, type ServerContext } from '@modelcontextprotocol/server';
import type { CallContext } from '../providers/base.js';
import type { Logger } from '../util/logger.js';
import { CLIENT_LOG_LEVELS, type ClientLogLevel, type ToolDeps } from './deps.js';

/** W3C trace context: version-traceid-parentid-flags, lowercase hex. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The trace id of a valid `traceparent` in the request's `_meta` (an all-zero id is invalid). */
export function traceIdOf(ctx: ServerContext): string | undefined {
  const meta = { ...(ctx.mcpReq.envelope as Record<string, unknown> | undefined), ...ctx.mcpReq._meta } as Record<string, unknown>;
  const m = TRACEPARENT.exec(String(meta[TRACEPARENT_META_KEY] ?? ''));
  return m && !/^0+$/.test(m[1]) && !/^0+$/.test(m[2]) ? m[1] : undefined;
}

/** A logger for one tool call: its tool, its JSON-RPC id, and the caller's trace id when one came. */
export function callLogger(deps: ToolDeps, ctx: ServerContext, tool: string): Logger {
  const traceId = traceIdOf(ctx);
  return deps.logger.child({ tool, requestId: ctx.mcpReq.id, ...(traceId ? { traceId } : {}) });
}

/** Sends notifications/progress when the client asked for them (progressToken), with a rising counter. */
export function progressReporter(ctx: ServerContext): CallContext['progress'] {
  const token = ctx.mcpReq._meta?.progressToken;
  let step = 0;
  return ({ fraction, message }) => {
    if (token === undefined || ctx.mcpReq.signal.aborted) return;
    step = Math.max(step + 1, fraction !== undefined ? Math.round(fraction * 100) : 0);
    ctx.mcpReq
      .notify({
        method: 'notifications/progress',
        params: { progressToken: token, progress: step, ...(fraction !== undefined ? { total: 100 } : {}), ...(message ? { message } : {}) },
      })
      .catch(() => undefined);
  };
}

/**
 * One line per tool call: to stderr through pino, and to the client as an MCP log notification
 * only when it asked for that level (logging/setLevel on 2025-11-25, `_meta` on 2026-07-28).
 * Sent as related to the request so Streamable HTTP delivers it on that request's stream.
 */
export function logLine(deps: ToolDeps, ctx: ServerContext, logger: Logger, level: 'info' | 'warn', data: Record<string, unknown>): void {
  logger[level](data, 'tool call');
  const mcpLevel: ClientLogLevel = level === 'warn' ? 'warning' : 'info';
  const wanted = deps.clientLogLevel(ctx.mcpReq);
  if (!wanted || CLIENT_LOG_LEVELS.indexOf(mcpLevel) < CLIENT_LOG_LEVELS.indexOf(wanted)) return;
  ctx.mcpReq.notify({ method: 'notifications/message', params: { level: mcpLevel, logger: 'mcp-providers', data } }).catch(() => undefined);
}
