/** get_job: the result of a job started by a generation tool — or its handle again while it runs. */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { answerJob } from './answer-job.js';
import type { ToolDeps } from './deps.js';
import { callLogger } from './request-context.js';
import { GenerationOutputJsonSchema } from './schemas.js';
import { toErrorResult } from './to-tool-result.js';
import { JOB_ID_PATTERN } from '../jobs/job-record.js';
import { invalidRequest, type ProviderError } from '../providers/errors.js';

export const jobIdField = z.string().regex(JOB_ID_PATTERN, 'must be a job id as returned in structuredContent.job.id (job_…)').describe('The job id, from structuredContent.job.id of an earlier call.');

/** The answer to a job_id this server has no job for. */
export function noSuchJob(jobId: string): ProviderError {
  return invalidRequest(`job_id: no job ${jobId} here; list_jobs shows the jobs this server knows.`);
}

export function registerGetJob(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_job',
    {
      title: 'Get job',
      description:
        'Get the result of a job that a generation tool (generate_video, generate_audio, …) handed back unfinished. Waits up to ' +
        'wait_seconds for it, then returns exactly what the original tool would have returned once the job is done (the same ' +
        'structuredContent with artifacts), the job handle again while it still runs (call again later), the error if it ' +
        'failed, or state "cancelled". Jobs survive server restarts.',
      inputSchema: z.object({
        job_id: jobIdField,
        wait_seconds: z.number().int().min(0).max(3600).optional().describe(`How long to wait for the job to finish, 0 to 3600 s (default ${deps.config.waitSeconds}).`),
      }),
      outputSchema: GenerationOutputJsonSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ job_id, wait_seconds }, ctx: ServerContext) => {
      const logger = callLogger(deps, ctx, 'get_job');
      if (!(await deps.jobs.get(job_id))) return toErrorResult(noSuchJob(job_id));
      return answerJob(deps, ctx, logger.child({ job: job_id }), job_id, wait_seconds ?? deps.config.waitSeconds);
    },
  );
}
