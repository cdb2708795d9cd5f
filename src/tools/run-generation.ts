/**
 * Runs one generation tool call: the request becomes a job (persisted before any provider is
 * asked), and the call waits for it up to wait_seconds. Tool files only map their arguments to
 * a Prompt and an options DTO; nothing here knows a provider or a file path.
 */
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import type { JobRequest } from '../jobs/jobs.js';
import type { Capability } from '../providers/base.js';
import { answerEstimate } from './answer-estimate.js';
import { answerJob } from './answer-job.js';
import type { ToolDeps } from './deps.js';
import { callLogger } from './request-context.js';

/** The job to run, and how long this call waits for it before answering with a handle. */
export interface GenerationRequest<C extends Capability> extends JobRequest<C> {
  waitSeconds: number;
  /** `estimate: true`: answer with what the call would cost, and run nothing. */
  estimateOnly?: boolean;
}

export async function runGeneration<C extends Capability>(deps: ToolDeps, req: GenerationRequest<C>, mcp: ServerContext): Promise<CallToolResult> {
  const logger = callLogger(deps, mcp, req.tool);
  const { waitSeconds: _wait, estimateOnly, ...jobRequest } = req;
  if (estimateOnly) return answerEstimate(deps, jobRequest);
  const job = await deps.jobs.submit(jobRequest);
  return answerJob(deps, mcp, logger.child({ job: job.id }), job.id, req.waitSeconds);
}
