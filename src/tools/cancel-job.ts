/** cancel_job: stops a job — at the provider where it can, and our polling everywhere. */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { isTerminal } from '../jobs/job-record.js';
import type { ToolDeps } from './deps.js';
import { jobIdField, noSuchJob } from './get-job.js';
import { callLogger } from './request-context.js';
import { JobHandleSchema } from './schemas.js';
import { jobHandle, toErrorResult } from './to-tool-result.js';

export function registerCancelJob(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'cancel_job',
    {
      title: 'Cancel job',
      description:
        "Cancel a running job: the provider's own job is cancelled where the provider offers that, polling stops, and the job " +
        'is marked cancelled. structuredContent.job.providerCancelled says whether the provider stopped it (Google Vertex AI ' +
        'offers no cancel for Veo videos: such a job still finishes, and is billed, on Google\'s side). A finished job is left as it is.',
      inputSchema: z.object({ job_id: jobIdField }),
      outputSchema: z.object({ job: JobHandleSchema.describe('The job after the cancel.') }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    async ({ job_id }, ctx: ServerContext) => {
      const logger = callLogger(deps, ctx, 'cancel_job');
      const before = await deps.jobs.get(job_id);
      if (!before) return toErrorResult(noSuchJob(job_id));
      const job = (await deps.jobs.cancel(job_id, logger)) ?? before;
      const text = isTerminal(before.state)
        ? `Job ${job.id} had already ended (${before.state}); nothing to cancel.`
        : `Job ${job.id} cancelled.${job.providerJob ? (job.providerCancelled ? ` ${job.providerJob.providerId} stopped its job.` : ` ${job.providerJob.providerId} offers no cancel: its job may still finish, and be billed, there.`) : ''}`;
      logger.info({ job: job.id, state: job.state, providerCancelled: job.providerCancelled }, 'tool call');
      return { content: [{ type: 'text', text }], structuredContent: { job: jobHandle(job) } };
    },
  );
}
