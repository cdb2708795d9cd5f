/**
 * MCP tasks end to end: the built server over stdio and over HTTP, google-vertex pointed at
 * the loopback Vertex emulator running real (several-poll) Veo jobs. A 2025-11-25 client (the
 * v1 SDK client's experimental task API) and a 2026-07-28 client (@modelcontextprotocol/ext-tasks
 * on the v2 SDK client) each run generate_video as a task — created at once, `working`, then
 * `completed` with the MP4 — and cancel one: the job is cancelled (get_job, list_jobs) and the
 * emulator sees no fetchPredictOperation after the cancel.
 */
import { readFile } from 'node:fs/promises';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { resultFromTaskOutcome, taskViewFromExecutionEvent } from '@modelcontextprotocol/ext-tasks/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVertexEmulator, type VertexEmulator } from '../emulators/vertex/index.js';
import { httpServer, testEnv, type HttpServer } from '../helpers/server-process.js';
import { legacyTaskClient, modernTaskClient } from '../helpers/task-clients.js';
import { sha256 } from '../helpers/wav.js';

const OPERATION_POLLS = 5;
const POLL_MS = 100;
const VIDEO = { prompt: 'a fox in the snow', provider: 'google-vertex', duration_seconds: 4 };

interface Out {
  job: { id: string; state: string };
  artifacts?: { mimeType: string; path: string; sha256: string }[];
}
interface CallResult {
  isError?: boolean;
  structuredContent?: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let emu: VertexEmulator;
let env: Record<string, string>;
let http: HttpServer;
const figures: string[] = [];

beforeAll(async () => {
  emu = await startVertexEmulator({ operationPolls: OPERATION_POLLS });
  env = testEnv({ GOOGLE_API_KEY: 'test-api-key', GOOGLE_VERTEX_BASE_URL: emu.baseUrl, MCP_PROVIDERS_POLL_MS: String(POLL_MS), MCP_PROVIDERS_RETRY_BASE_MS: '10' });
  http = await httpServer(env);
});
afterAll(async () => {
  await http?.close();
  await emu?.close();
  if (figures.length) console.log(`tasks e2e:\n${figures.join('\n')}`);
});

/** The Veo operation the next start creates, once it exists. */
async function nextOperation(before: number) {
  await expect.poll(() => emu.operations.size, { timeout: 10_000 }).toBeGreaterThan(before);
  return [...emu.operations.values()].at(-1)!;
}

async function expectMp4(out: Out, taskId: string): Promise<void> {
  expect(out.job).toMatchObject({ id: taskId, state: 'succeeded' });
  const art = out.artifacts![0]!;
  expect(art.mimeType).toBe('video/mp4');
  const bytes = await readFile(art.path);
  expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  expect(sha256(bytes)).toBe(art.sha256);
}

/** After a cancel: the operation's polls stop (one already on the wire may still land). */
async function expectPollingStopped(op: { polls: number; done: boolean }, label: string): Promise<void> {
  const atCancel = op.polls;
  await sleep(600);
  const settled = op.polls;
  // Uncancelled, with polls every 100 ms ×1.5 the operation would have been polled ~3 more times and finished.
  await sleep(1_200);
  figures.push(`  ${label}: fetchPredictOperation calls up to the cancel ack ${atCancel}, after it ${op.polls - atCancel} in 1.8 s (operation done: ${op.done})`);
  expect(settled - atCancel).toBeLessThanOrEqual(1);
  expect(op.polls).toBe(settled);
  expect(op.done).toBe(false);
}

const targets = [
  { transport: 'stdio', legacy: () => ({ stdio: env }), modern: () => ({ stdio: env }) },
  { transport: 'http', legacy: () => ({ url: http.url }), modern: () => ({ url: http.url }) },
] as const;

for (const target of targets) {
  describe(`2025-11-25 over ${target.transport} (v1 SDK client, experimental tasks)`, () => {
    it('generate_video as a task: created at once, working, then completed with the MP4', async () => {
      const c = await legacyTaskClient(target.legacy());
      try {
        const seen: string[] = [];
        let taskId = '';
        let result: CallResult | undefined;
        let createdAfter = 0;
        const t0 = Date.now();
        for await (const m of c.client.experimental.tasks.callToolStream({ name: 'generate_video', arguments: VIDEO })) {
          if (m.type === 'taskCreated') {
            createdAfter = Date.now() - t0;
            taskId = m.task.taskId;
            seen.push(m.task.status);
          } else if (m.type === 'taskStatus') seen.push(m.task.status);
          else if (m.type === 'result') result = m.result as CallResult;
          else throw m.error;
        }
        const total = Date.now() - t0;
        figures.push(`  2025-11-25/${target.transport}: created after ${createdAfter} ms, done after ${total} ms; states ${[...new Set(seen)].join(' → ')} (${seen.length} observations)`);
        expect(createdAfter).toBeLessThan(total);
        expect(seen[0]).toBe('working');
        expect(seen.at(-1)).toBe('completed');
        expect(seen.filter((s) => s === 'working').length).toBeGreaterThanOrEqual(2);
        expect(result!.isError).toBeFalsy();
        await expectMp4(result!.structuredContent as Out, taskId);
      } finally {
        await c.close();
      }
    });

    it('tasks/cancel cancels the job (get_job, list_jobs) and stops the polling', async () => {
      emu.enqueueFault({ neverFinish: true, route: 'start' });
      const c = await legacyTaskClient(target.legacy());
      try {
        const before = emu.operations.size;
        const created = await c.client.request({ method: 'tools/call', params: { name: 'generate_video', arguments: VIDEO, task: {} } }, CreateTaskResultSchema);
        const taskId = created.task.taskId;
        expect(created.task.status).toBe('working');
        const op = await nextOperation(before);
        await expect.poll(() => op.polls, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
        const cancelled = await c.client.experimental.tasks.cancelTask(taskId);
        expect(cancelled).toMatchObject({ taskId, status: 'cancelled' });
        await expectPollingStopped(op, `2025-11-25/${target.transport} cancel`);
        expect((await c.client.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
        const job = (await c.client.callTool({ name: 'get_job', arguments: { job_id: taskId, wait_seconds: 0 } })).structuredContent as Out;
        expect(job.job).toMatchObject({ id: taskId, state: 'cancelled' });
        const list = (await c.client.callTool({ name: 'list_jobs', arguments: { state: 'cancelled' } })).structuredContent as { jobs: { id: string }[] };
        expect(list.jobs.map((j) => j.id)).toContain(taskId);
      } finally {
        await c.close();
      }
    });
  });

  describe(`2026-07-28 over ${target.transport} (@modelcontextprotocol/ext-tasks)`, () => {
    it('generate_video as a task: created at once, working, then completed with the MP4 inline', async () => {
      const c = await modernTaskClient(target.modern());
      try {
        expect(c.client.getServerCapabilities()?.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });
        const t0 = Date.now();
        const execution = await c.session.callTool('generate_video', VIDEO);
        const createdAfter = Date.now() - t0;
        if (execution.kind !== 'task') throw new Error('generate_video did not answer with a task');
        const taskId = execution.handle.taskId;
        const seen: string[] = [];
        const { outcome } = await execution.settle({ onEvent: (e) => void seen.push(taskViewFromExecutionEvent(e)?.status ?? `outcome:${e.type === 'outcome' ? e.outcome.status : ''}`) });
        const total = Date.now() - t0;
        figures.push(`  2026-07-28/${target.transport}: created after ${createdAfter} ms, done after ${total} ms; states ${[...new Set(seen)].join(' → ')} (${seen.length} events)`);
        expect(createdAfter).toBeLessThan(total);
        expect(seen[0]).toBe('working');
        expect(seen).toContain('completed');
        expect(outcome.status).toBe('completed');
        const result = resultFromTaskOutcome(outcome) as unknown as { resultType: string; isError?: boolean; structuredContent: Out };
        expect(result.resultType).toBe('complete');
        expect(result.isError).toBeFalsy();
        await expectMp4(result.structuredContent, taskId);
      } finally {
        await c.close();
      }
    });

    it('tasks/cancel cancels the job (get_job, list_jobs) and stops the polling', async () => {
      emu.enqueueFault({ neverFinish: true, route: 'start' });
      const c = await modernTaskClient(target.modern());
      try {
        const before = emu.operations.size;
        const execution = await c.session.callTool('generate_video', VIDEO);
        if (execution.kind !== 'task') throw new Error('generate_video did not answer with a task');
        const taskId = execution.handle.taskId;
        const op = await nextOperation(before);
        await expect.poll(() => op.polls, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
        await execution.cancel();
        await expectPollingStopped(op, `2026-07-28/${target.transport} cancel`);
        const task = await c.raw('tasks/get', { taskId });
        expect(task).toMatchObject({ kind: 'result', result: { taskId, status: 'cancelled', resultType: 'complete' } });
        const job = (await c.client.callTool({ name: 'get_job', arguments: { job_id: taskId, wait_seconds: 0 } })).structuredContent as Out;
        expect(job.job).toMatchObject({ id: taskId, state: 'cancelled' });
        const list = (await c.client.callTool({ name: 'list_jobs', arguments: { state: 'cancelled' } })).structuredContent as { jobs: { id: string }[] };
        expect(list.jobs.map((j) => j.id)).toContain(taskId);
      } finally {
        await c.close();
      }
    });
  });
}
