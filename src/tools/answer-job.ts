/**
 * Waits for a job on behalf of one tool call (a generation tool, or get_job) and answers with
 * what it then is: the result, the error, or a handle. While it waits the client hears progress
 * at least every 5 s. Only an explicit MCP cancellation of the call cancels the job; a dropped
 * connection, a closed client or the end of wait_seconds leaves it running, its handle valid.
 */
import { SdkError, SdkErrorCode, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import { isPreviewable, makePreview } from '../artifacts/preview.js';
import { isTerminal, type JobRecord } from '../jobs/job-record.js';
import type { Logger } from '../util/logger.js';
import type { ToolDeps } from './deps.js';
import { logLine, progressReporter } from './request-context.js';
import { toJobResult, type InlineMedia } from './to-tool-result.js';

/** How often a waiting call tells the client it is still alive (clients reset timeouts on progress). */
const HEARTBEAT_MS = 5_000;

export async function answerJob(deps: ToolDeps, mcp: ServerContext, logger: Logger, jobId: string, waitSeconds: number): Promise<CallToolResult> {
  const started = Date.now();
  const progress = progressReporter(mcp);
  const heartbeat = setInterval(() => progress({ message: `still working (${Math.round((Date.now() - started) / 1000)} s); job ${jobId}` }), HEARTBEAT_MS);
  let job: JobRecord | undefined;
  try {
    job = await deps.jobs.wait(jobId, waitSeconds * 1000, { signal: AbortSignal.any([mcp.mcpReq.signal, deps.shutdownSignal]), onProgress: progress });
    if (mcp.mcpReq.signal.aborted && isExplicitCancel(mcp.mcpReq.signal.reason)) job = await deps.jobs.cancel(jobId, logger);
    // Stopping: wait until the job layer has said how each job was left (failed, or kept for the next process).
    if (deps.shutdownSignal.aborted) {
      await deps.jobs.stopped;
      job = await deps.jobs.get(jobId);
    }
  } finally {
    clearInterval(heartbeat);
  }
  if (!job) throw new Error(`job ${jobId} vanished from the job store`);
  const result = toJobResult(job, await inlineMedia(deps, job));
  logLine(deps, mcp, logger, job.state === 'failed' ? 'warn' : 'info', {
    tool: job.tool,
    job: job.id,
    provider: job.provider,
    model: job.model,
    latencyMs: Date.now() - started,
    attempts: job.result?.telemetry.attempts,
    fallbackFrom: job.result?.telemetry.fallbackFrom,
    artifacts: job.result?.artifacts.length,
    outcome: job.state === 'succeeded' ? 'ok' : job.state === 'failed' ? job.error?.code : job.state,
    ...(job.state === 'failed' ? { error: job.error?.message } : {}),
  });
  return result;
}

/**
 * `notifications/cancelled` aborts with the client's reason (or none); a closed transport aborts
 * with the SDK's ConnectionClosed error, which is no request to cancel the job.
 */
function isExplicitCancel(reason: unknown): boolean {
  return !(reason instanceof SdkError && reason.code === SdkErrorCode.ConnectionClosed);
}

/**
 * What goes inline beside each artifact's resource_link, by artifact id (MCP_PROVIDERS_INLINE):
 * `preview` (default): a small re-encoded preview of each image (artifacts/preview.ts), no audio
 * or video — a model cannot hear a WAV, and its base64 only fills the context; `full`: images and
 * audio as they are, up to MCP_PROVIDERS_INLINE_MAX_BYTES; `none`: nothing. A preview that cannot
 * be made is left out. Also used for task results.
 */
export async function inlineMedia(deps: Pick<ToolDeps, 'config' | 'store'>, job: JobRecord): Promise<Map<string, InlineMedia>> {
  const inline = new Map<string, InlineMedia>();
  const mode = deps.config.inline;
  if (mode === 'none' || !isTerminal(job.state) || !job.result) return inline;
  for (const record of job.result.artifacts) {
    if (mode === 'full') {
      if (record.size > deps.config.inlineMaxBytes || !/^(image|audio)\//.test(record.mimeType)) continue;
      const found = await deps.store.read(record.id);
      if (found) inline.set(record.id, { data: found.data, mimeType: record.mimeType });
      continue;
    }
    if (!isPreviewable(record.mimeType, record.size)) continue;
    const found = await deps.store.read(record.id);
    const preview = found && (await makePreview(found.data));
    if (preview) inline.set(record.id, { data: preview.data, mimeType: preview.mimeType, preview: { width: preview.width, height: preview.height } });
  }
  return inline;
}
