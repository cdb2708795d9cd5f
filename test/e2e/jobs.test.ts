/**
 * Long work that is never lost or paid twice, end to end: the built server (HTTP) against the
 * Vertex emulator running Veo jobs. A SIGKILL mid-job and a restart; polls that fail five times;
 * a job longer than a minute answered with a handle under 60 s; cancel_job; and two processes on
 * one data directory, the survivor finishing the job of the one that died. Each with one start.
 */
import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { startVertexEmulator, type VertexEmulator } from '../emulators/vertex/index.js';
import { httpHarness, until } from '../helpers/http-harness.js';
import { testEnv } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

interface Job {
  id: string;
  state: string;
  provider?: string;
  providerCancelled?: boolean;
  error?: { code: string };
}
interface Out {
  job: Job;
  artifacts?: { uri: string; sha256: string; path: string; mimeType: string }[];
}

const { defer, server, client } = httpHarness('jobs-e2e');

async function emulator(operationPolls: number): Promise<VertexEmulator> {
  const emu = await startVertexEmulator({ operationPolls });
  defer(() => emu.close());
  return emu;
}

function env(emu: VertexEmulator, extra: Record<string, string> = {}) {
  return testEnv({ GOOGLE_API_KEY: 'test-api-key', GOOGLE_VERTEX_BASE_URL: emu.baseUrl, MCP_PROVIDERS_JOB_LEASE_MS: '1500', ...extra });
}

async function call(c: Client, name: string, args: Record<string, unknown>, timeout = 120_000): Promise<{ res: CallToolResult; out: Out }> {
  const res = (await c.callTool({ name, arguments: args }, undefined, { timeout })) as CallToolResult;
  return { res, out: res.structuredContent as unknown as Out };
}

const starts = (emu: VertexEmulator) => emu.requests.filter((r) => r.path.endsWith(':predictLongRunning')).length;
const polls = (emu: VertexEmulator) => emu.requests.filter((r) => r.path.endsWith(':fetchPredictOperation')).length;

async function expectMp4(c: Client, out: Out, emu: VertexEmulator): Promise<void> {
  expect(out.job.state).toBe('succeeded');
  const art = out.artifacts![0]!;
  expect(art.mimeType).toBe('video/mp4');
  const bytes = await readFile(art.path);
  expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  expect(sha256(bytes)).toBe(art.sha256);
  expect(Buffer.from(bytes)).toEqual(Buffer.from(emu.sent.videos.at(-1)!));
  const read = await c.readResource({ uri: art.uri });
  expect(sha256(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64'))).toBe(art.sha256);
}

describe('a video job survives a SIGKILL of the server', () => {
  it('after a restart with the same environment, get_job returns the MP4; the emulator saw exactly one start', async () => {
    const emu = await emulator(6);
    const e = env(emu, { MCP_PROVIDERS_POLL_MS: '300' });
    const first = await server(e);
    const c1 = await client(first);
    const { out: handle } = await call(c1, 'generate_video', { prompt: 'a fox, killed mid-job', wait_seconds: 0, provider: 'google-vertex' });
    expect(handle.job.state).toMatch(/queued|running/);
    await until('the first poll', () => polls(emu) >= 1);
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const pollsAtKill = polls(emu);

    const second = await server(e);
    const c2 = await client(second);
    const { out } = await call(c2, 'get_job', { job_id: handle.job.id, wait_seconds: 60 });
    await expectMp4(c2, out, emu);
    expect(starts(emu)).toBe(1);
    expect(polls(emu)).toBeGreaterThan(pollsAtKill);
  });
});

describe('status polls that fail', () => {
  it('503 five times in a row, then success: one start, the job succeeds, the artifact is stored', async () => {
    const emu = await emulator(2);
    const srv = await server(env(emu, { MCP_PROVIDERS_POLL_MS: '50', MCP_PROVIDERS_RETRY_BASE_MS: '20', MCP_PROVIDERS_RETRY_MAX_MS: '100' }));
    const c = await client(srv);
    const pending = call(c, 'generate_video', { prompt: 'flaky polls', provider: 'google-vertex' });
    await until('the start', () => starts(emu) === 1);
    // The start has been answered; the next five requests (polls) fail.
    emu.enqueueFault(...Array.from({ length: 5 }, () => ({ status: 503, grpcStatus: 'UNAVAILABLE' as const })));
    const { res, out } = await pending;
    expect(res.isError).toBeFalsy();
    await expectMp4(c, out, emu);
    expect(starts(emu)).toBe(1);
    expect(polls(emu)).toBeGreaterThanOrEqual(5 + 2);
  });
});

describe('job handles', () => {
  it('generate_video without wait_seconds, for a job longer than a minute, answers under 60 s with a handle; get_job later returns the artifact', { timeout: 150_000 }, async () => {
    // Polls at 1 s growing ×1.5 to 10 s: the 11th poll comes after more than a minute.
    const emu = await emulator(11);
    const srv = await server(env(emu, { MCP_PROVIDERS_POLL_MS: '1000' }));
    const c = await client(srv);
    const t0 = Date.now();
    const { res, out: handle } = await call(c, 'generate_video', { prompt: 'a long one', provider: 'google-vertex' });
    const answeredMs = Date.now() - t0;
    expect(res.isError).toBeFalsy();
    expect(answeredMs).toBeLessThan(60_000);
    expect(handle.job.state).toBe('running');
    expect((res.content[0] as { text: string }).text).toMatch(new RegExp(`Call get_job with job_id "${handle.job.id}"`));
    const { out } = await call(c, 'get_job', { job_id: handle.job.id, wait_seconds: 90 });
    expect(Date.now() - t0).toBeGreaterThan(60_000);
    await expectMp4(c, out, emu);
    expect(starts(emu)).toBe(1);
  });

  it('cancel_job on a running job stops its polling and marks it cancelled; Vertex has no cancel, and the answer says so', async () => {
    const emu = await emulator(1_000);
    const srv = await server(env(emu, { MCP_PROVIDERS_POLL_MS: '50' }));
    const c = await client(srv);
    const { out: handle } = await call(c, 'generate_video', { prompt: 'stop me', wait_seconds: 0, provider: 'google-vertex' });
    await until('two polls', () => polls(emu) >= 2);
    const { out } = await call(c, 'cancel_job', { job_id: handle.job.id });
    expect(out.job).toMatchObject({ id: handle.job.id, state: 'cancelled', providerCancelled: false });
    const after = polls(emu);
    await new Promise((r) => setTimeout(r, 600));
    expect(polls(emu)).toBe(after);
    const { res, out: got } = await call(c, 'get_job', { job_id: handle.job.id, wait_seconds: 0 });
    expect(res.isError).toBeFalsy();
    expect(got.job.state).toBe('cancelled');
    const listed = (await call(c, 'list_jobs', { state: 'cancelled' })).res.structuredContent as { jobs: Job[] };
    expect(listed.jobs.map((j) => j.id)).toContain(handle.job.id);
  });
});

describe('two server processes on one data directory', () => {
  it('a job started in one is finished by the other, already running, when the first is killed mid-job — with one start', async () => {
    const emu = await emulator(8);
    const e = env(emu, { MCP_PROVIDERS_POLL_MS: '300' });
    const a = await server(e);
    const b = await server(e);
    const ca = await client(a);
    const cb = await client(b);
    const { out: handle } = await call(ca, 'generate_video', { prompt: 'hand me over', wait_seconds: 0, provider: 'google-vertex' });
    await until('the first poll', () => polls(emu) >= 1);
    a.proc.kill('SIGKILL');
    const { out } = await call(cb, 'get_job', { job_id: handle.job.id, wait_seconds: 60 });
    await expectMp4(cb, out, emu);
    expect(starts(emu)).toBe(1);
    expect(b.stderr()).toMatch(/resuming job from its stored operation/);
  });
});
