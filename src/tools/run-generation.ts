/**
 * Runs one generation tool call: asks the runner with a CallContext built from the MCP
 * request, stores every artifact, and logs one line. Tool files only map their arguments
 * to a Prompt and an options DTO.
 */
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import type { Capability, OptionsByCapability, Prompt } from '../providers/base.js';
import type { PlanRequest } from '../registry/registry.js';
import type { ToolDeps } from './deps.js';
import { callLogger, logLine, toCallContext } from './request-context.js';
import { ProviderError } from '../providers/errors.js';
import { toErrorResult, toGenerationResult, type StoredGeneration } from './to-tool-result.js';

/** How often a long call tells the client it is still alive (clients reset timeouts on progress). */
const HEARTBEAT_MS = 5_000;

export interface GenerationRequest<C extends Capability> {
  tool: string;
  capability: C;
  prompt: Prompt;
  options: OptionsByCapability[C];
  plan: PlanRequest;
}

export async function runGeneration<C extends Capability>(deps: ToolDeps, req: GenerationRequest<C>, mcp: ServerContext): Promise<CallToolResult> {
  const started = Date.now();
  const logger = callLogger(deps, mcp, req.tool);
  const ctx = toCallContext(mcp, deps.shutdownSignal, logger, started + deps.config.callTimeoutMs);
  const heartbeat = setInterval(() => ctx.progress({ message: `${req.tool}: still working (${Math.round((Date.now() - started) / 1000)} s)` }), HEARTBEAT_MS);
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
        ctx.signal,
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
    logLine(deps, mcp, logger, 'info', {
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
    const out = toErrorResult(deps.shutdownSignal.aborted && !mcp.mcpReq.signal.aborted ? shuttingDown() : err);
    const meta = out._meta?.['mcp-providers/error'] as { code: string; providerId?: string } | undefined;
    logLine(deps, mcp, logger, 'warn', {
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

function shuttingDown(): ProviderError {
  return new ProviderError({ code: 'unavailable', message: 'The server shut down before the call finished; call again.' });
}
