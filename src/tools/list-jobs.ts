/** list_jobs: the jobs this server (and every process sharing its data directory) knows, newest first. */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ToolDeps } from './deps.js';
import { JobStateSchema } from './schemas.js';

const JobSummarySchema = z.object({
  id: z.string().describe('Job id, for get_job and cancel_job.'),
  state: JobStateSchema.describe('queued, running, succeeded, failed or cancelled.'),
  tool: z.string().describe('The tool that created it.'),
  provider: z.string().optional().describe('Provider, once chosen.'),
  model: z.string().optional().describe('Model, once chosen.'),
  progress: z.number().optional().describe('0 to 1, when known.'),
  createdAt: z.string().describe('ISO 8601.'),
  updatedAt: z.string().describe('ISO 8601.'),
});

export function registerListJobs(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'list_jobs',
    {
      title: 'List jobs',
      description: 'List recent jobs, newest first: their id, state, tool, provider and model. Use get_job with an id for its result.',
      inputSchema: z.object({
        state: JobStateSchema.optional().describe('Only jobs in this state: queued, running, succeeded, failed or cancelled.'),
        limit: z.number().int().min(1).max(500).default(50).describe('How many jobs at most, 1 to 500 (default 50).'),
      }),
      outputSchema: z.object({ jobs: z.array(JobSummarySchema).describe('Newest first.') }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ state, limit }) => {
      const jobs = (await deps.jobs.list({ state, limit })).map((j) => ({
        id: j.id,
        state: j.state,
        tool: j.tool,
        ...(j.provider ? { provider: j.provider } : {}),
        ...(j.model ? { model: j.model } : {}),
        ...(j.progress !== undefined ? { progress: j.progress } : {}),
        createdAt: j.createdAt,
        updatedAt: j.updatedAt,
      }));
      const text = jobs.length
        ? jobs.map((j) => `${j.id} ${j.state} ${j.tool}${j.provider ? ` ${j.provider}/${j.model}` : ''} ${j.createdAt}`).join('\n')
        : `No ${state ? `${state} ` : ''}jobs.`;
      return { content: [{ type: 'text', text }], structuredContent: { jobs } };
    },
  );
}
