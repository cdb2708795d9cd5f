/**
 * What the two MCP task wires share (tasks-2025-11-25.ts and tasks-2026-07-28.ts put it on
 * their wire). A task is a job: the task id is the job id, its status follows the job's state,
 * its result is what the tool would have answered for the finished job. A task-augmented
 * `tools/call` is the tool's own call with `wait_seconds: 0` — it submits the job and answers
 * at once with the job's handle — turned into the era's CreateTaskResult. So any job (a task
 * or not) can be polled as a task, from any process sharing the job store.
 */
import { ProtocolError, ProtocolErrorCode, type CallToolResult, type JSONRPCRequest, type McpServer, type Result, type ServerContext } from '@modelcontextprotocol/server';
// core (json helpers) imports nothing; the zod-heavy core/v1 and core/v2 load lazily (tasks-schemas.ts).
import { toJsonValue, type JsonValue } from '@modelcontextprotocol/ext-tasks/core';
import { z } from 'zod';
import { isJobId, type JobRecord } from '../jobs/job-record.js';
import { redactSecrets } from '../util/logger.js';
import { inlineMedia } from '../tools/answer-job.js';
import type { Core } from '../tools/deps.js';
import { toJobResult } from '../tools/to-tool-result.js';

/**
 * Tools whose provider work is long-running (Veo videos, Lyria music): they declare
 * `execution.taskSupport: "optional"` at 2025-11-25 and, for a client with the tasks
 * extension, always answer with a task at 2026-07-28.
 */
export const TASK_TOOLS: ReadonlySet<string> = new Set(['generate_video', 'generate_audio']);

/** Both revisions' task statuses. A job never waits for input (save_to's roots are asked for before a job exists), so never `input_required`. */
export type TaskStatus = 'working' | 'completed' | 'failed' | 'cancelled';

export function taskStatusOf(job: JobRecord): TaskStatus {
  switch (job.state) {
    case 'queued':
    case 'running':
      return 'working';
    case 'succeeded':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/** What the job says about itself, for the task's `statusMessage`. */
export function statusMessageOf(job: JobRecord): string | undefined {
  const where = job.provider ? ` on ${job.provider}${job.model ? `/${job.model}` : ''}` : '';
  switch (job.state) {
    case 'queued':
      return 'Queued.';
    case 'running': {
      const progress = job.progress !== undefined ? ` (${Math.round(job.progress * 100)} %)` : '';
      return `Running${where}${progress}${job.message ? `: ${job.message}` : '.'}`;
    }
    case 'succeeded': {
      const n = job.result?.artifacts.length ?? 0;
      return `Done${where}${n ? `: ${n} file${n === 1 ? '' : 's'}` : ''}.`;
    }
    case 'failed':
      return job.error ? redactSecrets(`Failed${where}: ${job.error.code}: ${job.error.message}`) : `Failed${where}.`;
    case 'cancelled':
      return job.providerCancelled === false && job.providerJob
        ? `Cancelled; ${job.providerJob.providerId} offers no cancel, so its job may still finish (and be billed) there.`
        : 'Cancelled.';
  }
}

/**
 * How often a client should poll: the provider poll interval when one is configured
 * (MCP_PROVIDERS_POLL_MS), within 0.1 to 5 s; 2 s otherwise. A job's state cannot change
 * faster than its provider is polled.
 */
export function pollIntervalMs(core: Core): number {
  return Math.min(5_000, Math.max(100, core.config.retry.pollIntervalMs ?? 2_000));
}

/** The job behind a task id, or -32602 (Invalid params), as both task specs require for an unknown id. */
export async function jobForTask(core: Core, taskId: string): Promise<JobRecord> {
  const job = isJobId(taskId) ? await core.jobs.get(taskId) : undefined;
  if (!job) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Failed to retrieve task: Task not found (no job ${taskId} here)`);
  return job;
}

/** What the tool would have answered for the job as it now stands (the finished result, the error, or the handle). */
export async function taskResult(core: Core, server: McpServer, job: JobRecord): Promise<CallToolResult> {
  return server.server.projectCallToolResult(toJobResult(job, await inlineMedia(core, job)), undefined);
}

type RawHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/** Protocol's protected hooks for role classes (declared `protected` in the SDK's types). */
interface ProtocolHooks {
  _getRequestHandler(method: string): RawHandler | undefined;
  _wrapHandler(method: string, handler: RawHandler): RawHandler;
}

/** Any params object: `tools/call` params are validated by the SDK's own handler, which `route` hands every call to. */
const AnyParams = z.looseObject({});

/**
 * Puts `route` in front of the SDK's own `tools/call` handler (McpServer's, inside the
 * Server's era validation), which `route` calls for every call it does not answer as a task.
 *
 * The Server validates whatever a `tools/call` handler returns as a CallToolResult of the
 * served era, which a CreateTaskResult is not (2025-11-25 refuses `task` without `content`;
 * 2026-07-28 would add `content: []`). So the validated handler is taken with Protocol's
 * protected accessor `_getRequestHandler`, and `route` is registered in its place with the
 * Server's wrapping hook `_wrapHandler` set aside for that one registration (what a Server
 * subclass would do; the SDK has no public way). Calls `route` hands on are validated as before.
 */
export function interceptToolsCall(server: McpServer, route: (request: JSONRPCRequest, ctx: ServerContext, call: RawHandler) => Promise<Result>): void {
  const hooks = server.server as unknown as ProtocolHooks;
  const call = typeof hooks._getRequestHandler === 'function' ? hooks._getRequestHandler('tools/call') : undefined;
  if (!call || typeof hooks._wrapHandler !== 'function') {
    throw new Error('MCP tasks: the SDK exposes no tools/call handler or wrapping hook to route through (was McpServer created with tools, and has the SDK changed?)');
  }
  const own = Object.getOwnPropertyDescriptor(hooks, '_wrapHandler');
  hooks._wrapHandler = (_method, handler) => handler;
  try {
    server.server.setRequestHandler('tools/call', { params: AnyParams }, (params, ctx) =>
      route({ jsonrpc: '2.0', id: ctx.mcpReq.id, method: 'tools/call', params } as JSONRPCRequest, ctx, call),
    );
  } finally {
    if (own) Object.defineProperty(hooks, '_wrapHandler', own);
    else delete (hooks as Partial<ProtocolHooks>)._wrapHandler;
  }
}

/**
 * Runs a task-eligible `tools/call` as the tool itself does, told not to wait (`wait_seconds: 0`):
 * the tool validates its arguments, submits the job and answers with its handle at once.
 * Resolves to the job it submitted, or to the tool's own answer alone when it submitted none
 * (arguments the tool refused, say).
 */
export async function startJob(core: Core, request: JSONRPCRequest, ctx: ServerContext, call: RawHandler): Promise<{ job?: JobRecord; result: CallToolResult }> {
  const params = (request.params ?? {}) as { arguments?: unknown };
  const args = params.arguments !== null && typeof params.arguments === 'object' && !Array.isArray(params.arguments) ? params.arguments : {};
  const result = (await call({ ...request, params: { ...params, arguments: { ...args, wait_seconds: 0 } } }, ctx)) as CallToolResult;
  const id = (result.structuredContent as { job?: { id?: unknown } } | undefined)?.job?.id;
  const job = typeof id === 'string' ? await core.jobs.get(id) : undefined;
  return job ? { job, result } : { result };
}

/** A result as the JSON object it goes on the wire as (the ext-tasks schemas type results as JSON). */
export function asJsonObject(value: object): { readonly [key: string]: JsonValue } {
  return toJsonValue(value) as { readonly [key: string]: JsonValue };
}

/** The text of a tool result, for an error message or a model-facing note. */
export function textOf(result: CallToolResult): string {
  return result.content
    .map((c) => (c.type === 'text' ? c.text : ''))
    .filter(Boolean)
    .join('\n');
}
