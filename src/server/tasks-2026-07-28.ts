/**
 * MCP tasks as the 2026-07-28 extension `io.modelcontextprotocol/tasks` (SEP-2663) has them:
 * server-directed. `server/discover` advertises `capabilities.extensions[…tasks]: {}`; a
 * request opts in through `_meta["io.modelcontextprotocol/clientCapabilities"].extensions`;
 * for such a request a long tool (TASK_TOOLS) always answers with the flat CreateTaskResult
 * (`resultType: "task"`). `tasks/get` carries the result inline once done, `tasks/update`
 * and `tasks/cancel` acknowledge with `{ resultType: "complete" }`. `tasks/result` and
 * `tasks/list` do not exist at this revision: the SDK answers them -32601 (they are 2025
 * methods). Without the extension on the request, tasks/get, update and cancel answer -32021;
 * an unknown task id answers -32602. Schemas: @modelcontextprotocol/ext-tasks/core/v2.
 *
 * A tool result with `isError` (a failed job) is a `completed` task whose result says so:
 * `failed` is reserved for JSON-RPC errors, and our tools never answer a job with one.
 *
 * `notifications/tasks` are not sent: the extension delivers them only on a
 * `subscriptions/listen` stream filtered by task id, which SDK 2.4's listen router cannot
 * carry (it knows the four list/resource change kinds). Notifications are optional; clients poll.
 */
import { MissingRequiredClientCapabilityError, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import type { CreateTaskResultV2, DetailedTaskV2, TaskV2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import { lazySchema, tasksV2, TASKS_EXTENSION_ID } from './tasks-schemas.js';
import type { JobRecord } from '../jobs/job-record.js';
import type { Core } from '../tools/deps.js';
import { TASK_TOOLS, asJsonObject, interceptToolsCall, jobForTask, pollIntervalMs, startJob, statusMessageOf, taskResult, taskStatusOf } from './tasks.js';

/** Whether this request declared the tasks extension in its per-request client capabilities. */
async function declaresTasks(ctx: ServerContext): Promise<boolean> {
  return (await tasksV2()).hasTaskClientCapabilityV2({ _meta: ctx.mcpReq.envelope });
}

async function requireTasks(ctx: ServerContext): Promise<void> {
  if (!(await declaresTasks(ctx))) {
    throw new MissingRequiredClientCapabilityError(
      { requiredCapabilities: { extensions: { [TASKS_EXTENSION_ID]: {} } } },
      `Missing required client capability: the ${TASKS_EXTENSION_ID} extension (declare it in _meta["io.modelcontextprotocol/clientCapabilities"].extensions)`,
    );
  }
}

function taskV2(core: Core, job: JobRecord): TaskV2 {
  const statusMessage = statusMessageOf(job);
  return {
    taskId: job.id,
    // A failed job is a completed task whose result has isError (see the header).
    status: job.state === 'failed' ? 'completed' : taskStatusOf(job),
    ...(statusMessage ? { statusMessage } : {}),
    createdAt: job.createdAt,
    lastUpdatedAt: job.updatedAt,
    // Jobs are kept until their store is cleared: no expiry.
    ttlMs: null,
    pollIntervalMs: pollIntervalMs(core),
  };
}

async function detailedTask(core: Core, server: McpServer, job: JobRecord): Promise<DetailedTaskV2> {
  const task = taskV2(core, job);
  switch (task.status) {
    case 'completed': {
      // The inlined result is the tool's CallToolResult at this revision, so it says resultType too.
      const result = asJsonObject({ ...(await taskResult(core, server, job)), resultType: 'complete' });
      return { ...task, status: 'completed', result };
    }
    case 'cancelled':
      return { ...task, status: 'cancelled' };
    default:
      return { ...task, status: 'working' };
  }
}

export function registerTasks20260728(server: McpServer, core: Core): void {
  server.server.registerCapabilities({ extensions: { [TASKS_EXTENSION_ID]: {} } });

  interceptToolsCall(server, async (request, ctx, call) => {
    const name = (request.params as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !TASK_TOOLS.has(name) || !(await declaresTasks(ctx))) return call(request, ctx);
    const { job, result } = await startJob(core, request, ctx, call);
    // Arguments the tool refused: its own (immediate) answer.
    if (!job) return result;
    core.logger.info({ task: job.id, tool: name, revision: '2026-07-28' }, 'task created');
    const created: CreateTaskResultV2 = { ...taskV2(core, job), resultType: 'task' };
    return created;
  });

  server.server.setRequestHandler('tasks/get', { params: lazySchema(tasksV2, (m) => m.GetTaskRequestV2Schema.shape.params), result: lazySchema(tasksV2, (m) => m.GetTaskResultV2Schema) }, async ({ taskId }, ctx) => {
    await requireTasks(ctx);
    return { ...(await detailedTask(core, server, await jobForTask(core, taskId))), resultType: 'complete' as const };
  });

  // The SDK lifts `inputResponses` out of every request's params (ctx.mcpReq.inputResponses); our tasks never ask for input, so they are ignored (spec: SHOULD ignore keys not outstanding).
  server.server.setRequestHandler('tasks/update', { params: lazySchema(tasksV2, (m) => m.UpdateTaskRequestV2Schema.shape.params.pick({ taskId: true })), result: lazySchema(tasksV2, (m) => m.UpdateTaskResultV2Schema) }, async ({ taskId }, ctx) => {
    await requireTasks(ctx);
    await jobForTask(core, taskId);
    return { resultType: 'complete' as const };
  });

  server.server.setRequestHandler('tasks/cancel', { params: lazySchema(tasksV2, (m) => m.CancelTaskRequestV2Schema.shape.params), result: lazySchema(tasksV2, (m) => m.CancelTaskResultV2Schema) }, async ({ taskId }, ctx) => {
    await requireTasks(ctx);
    await jobForTask(core, taskId);
    // Idempotent: a task already ended is left as it is, and acknowledged the same.
    const job = await core.jobs.cancel(taskId, core.logger.child({ task: taskId }));
    core.logger.info({ task: taskId, state: job?.state, providerCancelled: job?.providerCancelled }, 'task cancel');
    return { resultType: 'complete' as const };
  });
}
