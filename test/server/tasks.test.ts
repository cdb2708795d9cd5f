/**
 * MCP tasks on both protocol generations, in process, over the same job store, with Veo jobs
 * run against the loopback Vertex emulator: 2025-11-25 through the v1 SDK client's
 * experimental task API (in-memory transport), 2026-07-28 through @modelcontextprotocol/ext-tasks
 * (createMcpHandler's fetch). The wire details each revision's spec fixes: capabilities,
 * taskSupport, statuses, inlined results, cancel, the error codes.
 */
import { createMcpHandler } from '@modelcontextprotocol/server';
import { InMemoryTransport as LegacyInMemory } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '@modelcontextprotocol/ext-tasks/core';
import { resultFromTaskOutcome, taskViewFromExecutionEvent, type JsonRpcResponse } from '@modelcontextprotocol/ext-tasks/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import type { Core } from '../../src/tools/deps.js';
import { startVertexEmulator, type VertexEmulator } from '../emulators/vertex/index.js';
import { testCore } from '../helpers/in-process.js';
import { PROTOCOL_2026, TASKS_EXTENSION, envelope, legacyTaskClient, modernTaskClient, type LegacyTaskClient, type ModernTaskClient } from '../helpers/task-clients.js';

interface Out {
  job: { id: string; state: string };
  artifacts?: { mimeType: string; path: string; uri: string }[];
}

const VIDEO = { prompt: 'a fox in the snow', provider: 'google-vertex', duration_seconds: 4 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The result of a raw response (throws on an error response). */
function ok<T = Record<string, unknown>>(r: JsonRpcResponse): T {
  if (r.kind !== 'result') throw new Error(`JSON-RPC error ${r.error.code}: ${r.error.message}`);
  return r.result as T;
}

let emu: VertexEmulator;
let core: Core;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  emu = await startVertexEmulator({ operationPolls: 3 });
  core = testCore({ GOOGLE_API_KEY: 'test-api-key', GOOGLE_VERTEX_BASE_URL: emu.baseUrl, MCP_PROVIDERS_POLL_MS: '20', MCP_PROVIDERS_RETRY_BASE_MS: '10' });
});
afterAll(async () => {
  await core?.shutdown();
  await emu?.close();
});
afterEach(async () => {
  while (closers.length) await closers.pop()!().catch(() => undefined);
});

async function legacy(): Promise<LegacyTaskClient> {
  const [clientSide, serverSide] = LegacyInMemory.createLinkedPair();
  const server = createServer(core, 'legacy');
  await server.connect(serverSide as never);
  const c = await legacyTaskClient({ transport: clientSide });
  closers.push(async () => (await c.close(), await server.close()));
  return c;
}

async function modern(): Promise<ModernTaskClient> {
  const handler = createMcpHandler((rc) => createServer(core, rc.era), { legacy: 'reject' });
  const c = await modernTaskClient({ fetch: (req) => handler.fetch(req) });
  closers.push(async () => (await c.close(), await handler.close()));
  return c;
}

function opOf(jobId: string) {
  return core.jobs.get(jobId).then((j) => [...emu.operations.values()].find((o) => o.name === (j?.providerJob?.operation as { name?: string } | undefined)?.name));
}

describe('2025-11-25 (v1 SDK client, experimental tasks)', () => {
  it('declares tasks in initialize and taskSupport "optional" on generate_video and generate_audio only', async () => {
    const { client } = await legacy();
    expect(client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    expect(client.getServerCapabilities()).not.toHaveProperty('extensions');
    const tools = (await client.listTools()).tools;
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
    expect(support).toMatchObject({ generate_video: 'optional', generate_audio: 'optional', generate_text: undefined, generate_image: undefined, tts: undefined, get_job: undefined });
  });

  it('generate_video as a task: created at once, working, then completed; tasks/result is the MP4 result', async () => {
    const c = await legacy();
    const seen: string[] = [];
    let result: { structuredContent?: unknown; _meta?: Record<string, unknown> } | undefined;
    let taskId = '';
    const t0 = Date.now();
    let createdAfter = 0;
    for await (const m of c.client.experimental.tasks.callToolStream({ name: 'generate_video', arguments: VIDEO })) {
      if (m.type === 'taskCreated') {
        createdAfter = Date.now() - t0;
        taskId = m.task.taskId;
        seen.push(`created:${m.task.status}`);
        expect(m.task).toMatchObject({ ttl: null, pollInterval: 100 });
      } else if (m.type === 'taskStatus') seen.push(m.task.status);
      else if (m.type === 'result') result = m.result;
      else throw m.error;
    }
    expect(taskId).toMatch(/^job_/);
    expect(createdAfter).toBeLessThan(2_000);
    expect(seen[0]).toBe('created:working');
    expect(seen).toContain('working');
    expect(seen.at(-1)).toBe('completed');
    const out = result!.structuredContent as Out;
    expect(out.job).toMatchObject({ id: taskId, state: 'succeeded' });
    expect(out.artifacts![0]).toMatchObject({ mimeType: 'video/mp4' });
    expect(result!._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId });
    // The task is the job: get_job answers for it, tasks/list lists it.
    const viaTool = await c.client.callTool({ name: 'get_job', arguments: { job_id: taskId } });
    expect((viaTool.structuredContent as Out).job.state).toBe('succeeded');
    const listed = await c.client.experimental.tasks.listTasks();
    expect(listed.tasks.find((t) => t.taskId === taskId)).toMatchObject({ status: 'completed' });
    // The optional status notification arrived.
    await expect.poll(() => c.received('notifications/tasks/status')).toContainEqual(expect.objectContaining({ taskId, status: 'completed' }));
  });

  it('tasks/cancel cancels the job: cancelled in get_job, polling stops; a second cancel is -32602', async () => {
    emu.enqueueFault({ neverFinish: true, route: 'start' });
    const c = await legacy();
    const created = await c.client.request({ method: 'tools/call', params: { name: 'generate_video', arguments: VIDEO, task: {} } }, (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema);
    const taskId = created.task.taskId;
    await expect.poll(async () => (await opOf(taskId))?.polls ?? 0, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    const cancelled = await c.client.experimental.tasks.cancelTask(taskId);
    expect(cancelled).toMatchObject({ taskId, status: 'cancelled' });
    const pollsAtCancel = (await opOf(taskId))!.polls;
    await sleep(400);
    expect((await opOf(taskId))!.polls).toBeLessThanOrEqual(pollsAtCancel + 1);
    const settled = (await opOf(taskId))!.polls;
    await sleep(400);
    expect((await opOf(taskId))!.polls).toBe(settled);
    expect((await c.client.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    const job = await c.client.callTool({ name: 'get_job', arguments: { job_id: taskId, wait_seconds: 0 } });
    expect((job.structuredContent as Out).job.state).toBe('cancelled');
    await expect(c.client.experimental.tasks.cancelTask(taskId)).rejects.toMatchObject({ code: -32602 });
  });

  it('a failed job is a failed task; tasks/result answers the tool error result', async () => {
    emu.enqueueFault({ operationError: { code: 3, message: 'prompt rejected' }, route: 'start' });
    const c = await legacy();
    const messages: string[] = [];
    let taskId = '';
    for await (const m of c.client.experimental.tasks.callToolStream({ name: 'generate_video', arguments: VIDEO })) {
      if (m.type === 'taskCreated') taskId = m.task.taskId;
      messages.push(m.type === 'taskStatus' ? m.task.status : m.type);
    }
    expect(messages.at(-2)).toBe('failed');
    expect(messages.at(-1)).toBe('error');
    expect((await c.client.experimental.tasks.getTask(taskId)).statusMessage).toMatch(/prompt rejected/);
    const res = await c.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(res.isError).toBe(true);
  });

  it('unknown task ids are -32602; a task for a tool without taskSupport is -32601; invalid arguments are -32602', async () => {
    const { client } = await legacy();
    for (const call of [
      () => client.experimental.tasks.getTask('job_nope'),
      () => client.experimental.tasks.getTaskResult('job_000000000000000000000000a', CallToolResultSchema),
      () => client.experimental.tasks.cancelTask('nope'),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: -32602 });
    }
    await expect(client.experimental.tasks.listTasks('not-a-cursor')).rejects.toMatchObject({ code: -32602 });
    const CreateTaskResultSchema = (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema;
    await expect(client.request({ method: 'tools/call', params: { name: 'generate_text', arguments: { prompt: 'x' }, task: {} } }, CreateTaskResultSchema)).rejects.toMatchObject({ code: -32601 });
    const bad = client.request({ method: 'tools/call', params: { name: 'generate_video', arguments: { prompt: '' }, task: {} } }, CreateTaskResultSchema);
    await expect(bad).rejects.toBeInstanceOf(McpError);
    await expect(bad).rejects.toMatchObject({ code: -32602 });
  });

  it('estimate: true asked as a task runs nothing and answers with the estimate, not an error', async () => {
    const { client } = await legacy();
    const jobsBefore = (await core.jobs.list({ limit: 1000 })).length;
    const requestsBefore = emu.requests.length;
    const res = (await client.request({ method: 'tools/call', params: { name: 'generate_video', arguments: { ...VIDEO, estimate: true }, task: {} } }, CallToolResultSchema)) as {
      isError?: boolean;
      structuredContent?: { estimate?: { costUsd?: number } };
    };
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent?.estimate?.costUsd).toBeGreaterThan(0);
    expect((await core.jobs.list({ limit: 1000 })).length).toBe(jobsBefore);
    expect(emu.requests.length).toBe(requestsBefore);
  });
});

describe('2026-07-28 (@modelcontextprotocol/ext-tasks)', () => {
  it('server/discover advertises exactly extensions["io.modelcontextprotocol/tasks"]: {} and no capabilities.tasks', async () => {
    const { client } = await modern();
    const caps = client.getServerCapabilities()!;
    expect(caps.extensions).toEqual({ [TASKS_EXTENSION]: {} });
    expect(caps).not.toHaveProperty('tasks');
    expect((await client.listTools()).tools.find((t) => t.name === 'generate_video')).not.toHaveProperty('execution');
  });

  it('generate_video as a task: created at once, working, then completed with the MP4 result inline', async () => {
    const c = await modern();
    const t0 = Date.now();
    const execution = await c.session.callTool('generate_video', VIDEO);
    const createdAfter = Date.now() - t0;
    expect(execution.kind).toBe('task');
    if (execution.kind !== 'task') return;
    const taskId = execution.handle.taskId;
    expect(createdAfter).toBeLessThan(2_000);
    const seen: string[] = [];
    const { outcome } = await execution.settle({ onEvent: (e) => void seen.push(taskViewFromExecutionEvent(e)?.status ?? e.type) });
    expect(seen[0]).toBe('working');
    expect(seen).toContain('completed');
    const result = resultFromTaskOutcome(outcome) as unknown as { resultType: string; structuredContent: Out };
    expect(result.resultType).toBe('complete');
    expect(result.structuredContent.job).toMatchObject({ id: taskId, state: 'succeeded' });
    expect(result.structuredContent.artifacts![0]).toMatchObject({ mimeType: 'video/mp4' });
  });

  it('the wire: flat CreateTaskResult, tasks/get inlines the result, update and cancel ack with resultType "complete"', async () => {
    const c = await modern();
    const created = await c.raw('tools/call', { name: 'generate_video', arguments: VIDEO });
    expect(created.kind).toBe('result');
    const task = (created as { result: Record<string, unknown> }).result;
    expect(task).toMatchObject({ resultType: 'task', status: 'working', ttlMs: null, pollIntervalMs: 100, taskId: expect.stringMatching(/^job_/) });
    expect(task).not.toHaveProperty('task');
    expect(task).not.toHaveProperty('content');
    const taskId = task.taskId as string;
    // Durable before it is answered.
    expect(await c.raw('tasks/get', { taskId })).toMatchObject({ kind: 'result', result: { taskId, resultType: 'complete' } });
    expect(await c.raw('tasks/update', { taskId, inputResponses: {} })).toEqual({ kind: 'result', result: expect.objectContaining({ resultType: 'complete' }) });
    await expect
      .poll(async () => ok<{ status: string }>(await c.raw('tasks/get', { taskId })).status, { timeout: 5_000 })
      .toBe('completed');
    const done = ok<{ result: { content: unknown[]; structuredContent: Out; resultType: string } }>(await c.raw('tasks/get', { taskId }));
    expect(done.result.resultType).toBe('complete');
    expect(done.result.structuredContent.artifacts![0]!.mimeType).toBe('video/mp4');
    expect(done.result).not.toHaveProperty('_meta.io\\.modelcontextprotocol/related-task');
    // Cancel on an ended task: the same empty ack.
    const ack = await c.raw('tasks/cancel', { taskId });
    expect(ack).toMatchObject({ kind: 'result', result: { resultType: 'complete' } });
    expect((ack as { result: object }).result).not.toHaveProperty('taskId');
  });

  it('generate_audio (Lyria) is a task tool too; generate_text never is', async () => {
    const c = await modern();
    const audio = await c.session.callTool('generate_audio', { prompt: 'calm piano', provider: 'google-vertex' });
    expect(audio.kind).toBe('task');
    const result = resultFromTaskOutcome((await audio.settle()).outcome) as unknown as { structuredContent: Out };
    expect(result.structuredContent.artifacts![0]!.mimeType).toBe('audio/wav');
    expect((await c.session.callTool('generate_text', { prompt: 'hi', provider: 'google-vertex' })).kind).toBe('immediate');
  });

  it('tasks/cancel cancels the job and stops its polling', async () => {
    emu.enqueueFault({ neverFinish: true, route: 'start' });
    const c = await modern();
    const execution = await c.session.callTool('generate_video', VIDEO);
    if (execution.kind !== 'task') throw new Error('no task');
    const taskId = execution.handle.taskId;
    await expect.poll(async () => (await opOf(taskId))?.polls ?? 0, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    await execution.cancel();
    const pollsAtCancel = (await opOf(taskId))!.polls;
    await sleep(400);
    const settled = (await opOf(taskId))!.polls;
    expect(settled).toBeLessThanOrEqual(pollsAtCancel + 1);
    await sleep(400);
    expect((await opOf(taskId))!.polls).toBe(settled);
    expect((await core.jobs.get(taskId))?.state).toBe('cancelled');
    expect(await c.raw('tasks/get', { taskId })).toMatchObject({ kind: 'result', result: { status: 'cancelled' } });
  });

  it('a failed job is a completed task whose result has isError (failed is for JSON-RPC errors)', async () => {
    emu.enqueueFault({ operationError: { code: 3, message: 'prompt rejected' }, route: 'start' });
    const c = await modern();
    const execution = await c.session.callTool('generate_video', VIDEO);
    const { outcome } = await execution.settle();
    expect(outcome.status).toBe('completed');
    const result = resultFromTaskOutcome(outcome) as unknown as { isError?: boolean; content: { text?: string }[] };
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toMatch(/prompt rejected/);
  });

  it('without the extension: tasks methods are -32021, long tools answer plainly; tasks/result and tasks/list are -32601; unknown ids -32602', async () => {
    const c = await modern();
    const taskId = ok<{ taskId: string }>(await c.raw('tools/call', { name: 'generate_video', arguments: VIDEO })).taskId;
    for (const [method, params] of [
      ['tasks/get', { taskId }],
      ['tasks/update', { taskId, inputResponses: {} }],
      ['tasks/cancel', { taskId }],
    ] as const) {
      const r = await c.raw(method, params, { tasks: false });
      expect(r, method).toMatchObject({ kind: 'error', error: { code: -32021, data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } } } });
    }
    const plain = await c.raw('tools/call', { name: 'generate_video', arguments: { ...VIDEO, wait_seconds: 30 } }, { tasks: false });
    expect(plain).toMatchObject({ kind: 'result', result: { resultType: 'complete', structuredContent: { job: { state: 'succeeded' } } } });
    expect((plain as { result: object }).result).not.toHaveProperty('taskId');
    // Short tools never become tasks, even with the extension.
    expect(await c.raw('tools/call', { name: 'list_jobs', arguments: {} })).toMatchObject({ kind: 'result', result: { resultType: 'complete' } });
    for (const method of ['tasks/result', 'tasks/list']) {
      expect(await c.raw(method, method === 'tasks/list' ? {} : { taskId }), method).toMatchObject({ kind: 'error', error: { code: -32601 } });
    }
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      const params: Record<string, JsonValue> = method === 'tasks/update' ? { taskId: 'job_unknown', inputResponses: {} } : { taskId: 'job_unknown' };
      expect(await c.raw(method, params), method).toMatchObject({ kind: 'error', error: { code: -32602 } });
    }
    expect(envelope(true)['io.modelcontextprotocol/protocolVersion']).toBe(PROTOCOL_2026);
  });
});

describe('one job store for both generations', () => {
  it('a task created at 2025-11-25 is read at 2026-07-28, and the other way round', async () => {
    const old = await legacy();
    const now = await modern();
    const CreateTaskResultSchema = (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema;
    const a = await old.client.request({ method: 'tools/call', params: { name: 'generate_video', arguments: VIDEO, task: {} } }, CreateTaskResultSchema);
    const b = ok<{ taskId: string }>(await now.raw('tools/call', { name: 'generate_video', arguments: VIDEO }));
    await expect.poll(async () => ok<{ status: string }>(await now.raw('tasks/get', { taskId: a.task.taskId })).status, { timeout: 5_000 }).toBe('completed');
    await expect.poll(async () => (await old.client.experimental.tasks.getTask(b.taskId)).status, { timeout: 5_000 }).toBe('completed');
  });
});
