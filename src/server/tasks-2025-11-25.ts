/**
 * MCP tasks as the 2025-11-25 revision has them (requestor-driven; VS Code and the v1 SDK
 * client speak it): the server declares `capabilities.tasks` (list, cancel,
 * requests.tools.call), the long tools declare `execution.taskSupport: "optional"`, a
 * `tools/call` with `params.task` answers `{ task }` at once, and `tasks/get`, `tasks/result`
 * (blocks until the task ends, then answers the tool's CallToolResult), `tasks/list` and
 * `tasks/cancel` follow it. Schemas: @modelcontextprotocol/ext-tasks/core/v1.
 *
 * Per the 2025-11-25 spec a tool result with `isError` ends its task `failed` (2026-07-28
 * says `completed`); the result itself is the same either way.
 */
import { ProtocolError, ProtocolErrorCode, RELATED_TASK_META_KEY, type McpServer } from '@modelcontextprotocol/server';
import type { CreateTaskResultV1, TaskV1 } from '@modelcontextprotocol/ext-tasks/core/v1';
import { lazySchema, tasksV1 } from './tasks-schemas.js';
import { isTerminal, type JobRecord } from '../jobs/job-record.js';
import { progressReporter } from '../tools/request-context.js';
import type { Core } from '../tools/deps.js';
import { TASK_TOOLS, asJsonObject, interceptToolsCall, jobForTask, pollIntervalMs, startJob, statusMessageOf, taskResult, taskStatusOf, textOf } from './tasks.js';

/** `_meta` key for the text a host may hand its model while the task runs (2025-11-25 tasks, non-binding). */
const MODEL_IMMEDIATE_RESPONSE = 'io.modelcontextprotocol/model-immediate-response';
/** tasks/list page size. */
const PAGE = 100;
/** A tasks/result that waits tells the client it is alive this often (when it sent a progressToken). */
const HEARTBEAT_MS = 5_000;

/** `execution.taskSupport` of a tool in tools/list (the ToolDeps hook). */
export function taskSupportOf(tool: string): 'optional' | undefined {
  return TASK_TOOLS.has(tool) ? 'optional' : undefined;
}

export function taskV1(core: Core, job: JobRecord): TaskV1 {
  const statusMessage = statusMessageOf(job);
  return {
    taskId: job.id,
    status: taskStatusOf(job),
    ...(statusMessage ? { statusMessage } : {}),
    createdAt: job.createdAt,
    lastUpdatedAt: job.updatedAt,
    // Jobs are kept until their store is cleared: no expiry.
    ttl: null,
    pollInterval: pollIntervalMs(core),
  };
}

/** The task as created: the spec has every task begin `working`; a job that ended in the moment since shows it on its first tasks/get. */
function seedTask(core: Core, job: JobRecord): TaskV1 {
  const task = taskV1(core, job);
  if (!isTerminal(job.state)) return task;
  return { taskId: task.taskId, status: 'working', createdAt: task.createdAt, lastUpdatedAt: task.createdAt, ttl: task.ttl, pollInterval: task.pollInterval };
}

export function registerTasks20251125(server: McpServer, core: Core): void {
  server.server.registerCapabilities({ tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } });

  interceptToolsCall(server, async (request, ctx, call) => {
    const params = request.params as { name?: unknown; task?: unknown } | undefined;
    if (params?.task === undefined || params.task === null) return call(request, ctx);
    const name = String(params.name);
    // Spec: a task for a tool without taskSupport SHOULD get -32601.
    if (!TASK_TOOLS.has(name)) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `Tool ${name} cannot be called as a task (no execution.taskSupport); call it without "task"`);
    const { job, result } = await startJob(core, request, ctx, call);
    // No job: a refusal (an error for the task request), or an answer that runs nothing (`estimate: true`), given as it is.
    if (!job) {
      if (!result.isError) return result;
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, textOf(result) || `${name}: the call was refused`);
    }
    core.logger.info({ task: job.id, tool: name, revision: '2025-11-25' }, 'task created');
    notifyWhenDone(server, core, job.id);
    const created: CreateTaskResultV1 = { task: seedTask(core, job), _meta: { [MODEL_IMMEDIATE_RESPONSE]: textOf(result) } };
    return (await tasksV1()).CreateTaskResultV1Schema.parse(created);
  });

  server.server.setRequestHandler('tasks/get', { params: lazySchema(tasksV1, (m) => m.GetTaskRequestV1Schema.shape.params), result: lazySchema(tasksV1, (m) => m.GetTaskResultV1Schema) }, async ({ taskId }) =>
    taskV1(core, await jobForTask(core, taskId)),
  );

  server.server.setRequestHandler('tasks/result', { params: lazySchema(tasksV1, (m) => m.GetTaskResultRequestV1Schema.shape.params), result: lazySchema(tasksV1, (m) => m.TaskResultV1Schema) }, async ({ taskId }, ctx) => {
    let job = await jobForTask(core, taskId);
    const signal = AbortSignal.any([ctx.mcpReq.signal, core.shutdownSignal]);
    const progress = progressReporter(ctx);
    const started = Date.now();
    const heartbeat = setInterval(() => progress({ message: `task ${taskId} still working (${Math.round((Date.now() - started) / 1000)} s)` }), HEARTBEAT_MS);
    try {
      // Blocks until the task ends (spec); a job always ends, at its deadline at the latest.
      while (!isTerminal(job.state)) {
        // Cancelled by the client (its answer goes nowhere) or the server stopping: the task goes on.
        if (signal.aborted) throw new ProtocolError(ProtocolErrorCode.InternalError, `Stopped waiting for task ${taskId} (the server is stopping); the task goes on: ask again with tasks/result`);
        job = (await core.jobs.wait(taskId, 60_000, { signal, onProgress: progress })) ?? job;
      }
    } finally {
      clearInterval(heartbeat);
    }
    const result = await taskResult(core, server, job);
    return asJsonObject({ ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } });
  });

  server.server.setRequestHandler('tasks/list', { params: lazySchema(tasksV1, (m) => m.ListTasksRequestV1Schema.shape.params), result: lazySchema(tasksV1, (m) => m.ListTasksResultV1Schema) }, async (params) => {
    const offset = offsetOf(params?.cursor);
    // Newest first; a job created since the previous page pushes the rest back, so a page may repeat a task but never skips one.
    const jobs = await core.jobs.list({ limit: offset + PAGE + 1 });
    const page = jobs.slice(offset, offset + PAGE);
    return { tasks: page.map((j) => taskV1(core, j)), ...(jobs.length > offset + PAGE ? { nextCursor: cursorOf(offset + PAGE) } : {}) };
  });

  server.server.setRequestHandler('tasks/cancel', { params: lazySchema(tasksV1, (m) => m.CancelTaskRequestV1Schema.shape.params), result: lazySchema(tasksV1, (m) => m.CancelTaskResultV1Schema) }, async ({ taskId }) => {
    const before = await jobForTask(core, taskId);
    const refuse = (job: JobRecord) => new ProtocolError(ProtocolErrorCode.InvalidParams, `Cannot cancel task: already in terminal status '${taskStatusOf(job)}'`);
    if (isTerminal(before.state)) throw refuse(before);
    const job = (await core.jobs.cancel(taskId, core.logger.child({ task: taskId }))) ?? before;
    // It ended on its own meanwhile.
    if (job.state !== 'cancelled') throw refuse(job);
    core.logger.info({ task: taskId, providerCancelled: job.providerCancelled }, 'task cancelled');
    return taskV1(core, job);
  });
}

/** notifications/tasks/status once the task ends, while the client is still connected (optional in the spec; clients poll). */
function notifyWhenDone(server: McpServer, core: Core, id: string): void {
  void (async () => {
    const current = await core.jobs.get(id);
    if (!current) return;
    const job = await core.jobs.wait(id, Math.max(0, current.deadline - Date.now()) + 60_000, { signal: core.shutdownSignal });
    if (!job || !isTerminal(job.state) || !server.isConnected()) return;
    await server.server.notification({ method: 'notifications/tasks/status', params: taskV1(core, job) });
  })().catch((err: unknown) => core.logger.debug({ task: id, err: (err as Error).message }, 'task status notification not sent'));
}

function cursorOf(offset: number): string {
  return Buffer.from(`tasks:${offset}`).toString('base64url');
}

function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const m = /^tasks:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor for tasks/list');
  return Number(m[1]);
}
