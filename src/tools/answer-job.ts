/**
 * Waits for a job on behalf of one tool call (a generation tool, or get_job) and answers with
 * what it then is: the result, the error, or a handle. While it waits the client hears progress
 * at least every 5 s. Only an explicit MCP cancellation of the call cancels the job; a dropped
 * connection, a closed client or the end of wait_seconds leaves it running, its handle valid.
 */
import { SdkError, SdkErrorCode, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import { isTerminal, type JobRecord } from '../jobs/job-record.js';
import type { Logger } from '../util/logger.js';
import type { ToolDeps } from './deps.js';
import { logLine, progressReporter } from './request-context.js';
import { toJobResult } from './to-tool-result.js';

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

/** Small images and audio are shown inline too (configurable); everything else is a link only. Also used for task results. */
export async function inlineMedia(deps: Pick<ToolDeps, 'config' | 'store'>, job: JobRecord): Promise<Map<string, Buffer>> {
  const inline = new Map<string, Buffer>();
  if (!isTerminal(job.state) || !job.result) return inline;
  for (const record of job.result.artifacts) {
    if (record.size > deps.config.inlineMaxBytes || !/^(image|audio)\//.test(record.mimeType)) continue;
    const found = await deps.store.read(record.id);
    if (found) inline.set(record.id, found.data);
  }
  return inline;
}
