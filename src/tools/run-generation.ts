/**
 * Runs one generation tool call: builds the CallContext from the MCP request
 * (cancellation, progress notifications, deadline), asks the runner, stores every
 * artifact, and logs one line. Tool files only map their arguments to a Prompt and
 * an options DTO.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CallContext, Capability, OptionsByCapability, Prompt } from '../providers/base.js';
import type { PlanRequest } from '../registry/registry.js';
import type { ToolDeps } from './deps.js';
import { toErrorResult, toGenerationResult, type StoredGeneration } from './to-tool-result.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** How often a long call tells the client it is still alive (clients reset timeouts on progress). */
const HEARTBEAT_MS = 5_000;

export interface GenerationRequest<C extends Capability> {
  tool: string;
  capability: C;
  prompt: Prompt;
  options: OptionsByCapability[C];
  plan: PlanRequest;
}

export async function runGeneration<C extends Capability>(deps: ToolDeps, req: GenerationRequest<C>, extra: Extra): Promise<CallToolResult> {
  const started = Date.now();
  const progress = progressReporter(extra);
  const heartbeat = setInterval(() => progress({ message: `${req.tool}: still working (${Math.round((Date.now() - started) / 1000)} s)` }), HEARTBEAT_MS);
  const logger = deps.logger.child({ tool: req.tool, requestId: extra.requestId });
  const ctx: CallContext = {
    signal: extra.signal,
    progress,
    logger,
    deadline: started + deps.config.callTimeoutMs,
  };
  try {
    const { result, telemetry, candidate } = await deps.runner.run(req.capability, req.prompt, req.options, req.plan, ctx);
    const artifacts: StoredGeneration['artifacts'] = [];
    for (const a of result.artifacts) {
      const record = await deps.store.put(
        a.source,
        {
          mimeType: a.mimeType,
          provider: telemetry.providerId,
          model: telemetry.model,
          capability: req.capability,
          prompt: req.prompt.text.slice(0, 1000),
          width: a.width,
          height: a.height,
          durationSeconds: a.durationSeconds,
          sourceUri: a.sourceUri ?? (a.source.kind === 'url' ? a.source.url : undefined),
          telemetry,
        },
        extra.signal,
      );
      const wantInline = record.size <= deps.config.inlineMaxBytes && /^(image|audio)\//.test(record.mimeType);
      // Bytes we already hold need no read-back; streamed and downloaded files are read from the store.
      const inline = !wantInline
        ? undefined
        : a.source.kind === 'bytes'
          ? Buffer.from(a.source.data.buffer, a.source.data.byteOffset, a.source.data.byteLength)
          : (await deps.store.read(record.id))?.data;
      artifacts.push({ record, inline });
    }
    const out = toGenerationResult({ artifacts, text: result.text, usage: result.usage, warnings: result.warnings, telemetry });
    logLine(deps, extra, 'info', {
      tool: req.tool,
      provider: telemetry.providerId,
      model: telemetry.model,
      latencyMs: telemetry.latencyMs,
      attempts: telemetry.attempts,
      fallbackFrom: telemetry.fallbackFrom,
      artifacts: artifacts.length,
      modelSource: candidate.modelSource,
      outcome: 'ok',
    });
    return out;
  } catch (err) {
    const out = toErrorResult(err);
    const meta = out._meta?.['mcp-providers/error'] as { code: string; providerId?: string } | undefined;
    logLine(deps, extra, 'warn', {
      tool: req.tool,
      provider: meta?.providerId,
      model: req.options.model,
      latencyMs: Date.now() - started,
      outcome: meta?.code ?? 'error',
      error: (out.content[0] as { text: string }).text,
    });
    return out;
  } finally {
    clearInterval(heartbeat);
  }
}

/** Sends notifications/progress when the client asked for them (progressToken), with a rising counter. */
function progressReporter(extra: Extra): CallContext['progress'] {
  const token = extra._meta?.progressToken;
  let step = 0;
  return ({ fraction, message }) => {
    if (token === undefined || extra.signal.aborted) return;
    step = Math.max(step + 1, fraction !== undefined ? Math.round(fraction * 100) : 0);
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: step, ...(fraction !== undefined ? { total: 100 } : {}), ...(message ? { message } : {}) },
      })
      .catch(() => undefined);
  };
}

/**
 * One line per tool call: to stderr through pino, and to the client as an MCP log
 * notification (at or above the level it set with logging/setLevel). Sent as related
 * to the request so Streamable HTTP delivers it on that request's stream.
 */
export function logLine(deps: ToolDeps, extra: Extra, level: 'info' | 'warn', data: Record<string, unknown>): void {
  deps.logger[level](data, 'tool call');
  if (!deps.wantsClientLog(level === 'warn' ? 'warning' : 'info')) return;
  extra
    .sendNotification({ method: 'notifications/message', params: { level: level === 'warn' ? 'warning' : 'info', logger: 'mcp-providers', data } })
    .catch(() => undefined);
}
