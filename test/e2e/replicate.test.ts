/**
 * The built server with Replicate pointed at the loopback emulator (REPLICATE_BASE_URL): every
 * capability through its MCP tool — the request the emulator received (path, bearer token, input
 * mapping) and the stored artifact byte-identical to the file it served — plus a failed
 * prediction's error text in the job, Retry-After honoured by the runner (not burst through by
 * the SDK), a client cancel and cancel_job reaching Replicate's cancel endpoint, and a
 * prediction surviving a SIGKILL of the server with exactly one create.
 */
import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startReplicateEmulator, type RecordedRequest, type ReplicateEmulator } from '../emulators/replicate/index.js';
import { httpHarness, until } from '../helpers/http-harness.js';
import { stdioClient, stdioWithLoads, testEnv, type StdioSession } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

const MUSICGEN_VERSION = '671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb';
const KOKORO_VERSION = 'f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13';

interface Artifact {
  uri: string;
  sha256: string;
  size: number;
  path: string;
  mimeType: string;
  durationSeconds?: number;
}
interface Job {
  id: string;
  state: string;
  provider?: string;
  providerCancelled?: boolean;
  error?: { code: string; message: string };
}
interface Out {
  job: Job;
  provider: string;
  model: string;
  text?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
  artifacts: Artifact[];
  warnings?: string[];
  telemetry: { attempts: number; requestId?: string; fallbackFrom?: string[] };
}

function bodyOf(r: RecordedRequest | undefined): Record<string, any> {
  expect(r?.body).toBeTypeOf('object');
  return r!.body as Record<string, any>;
}
const gets = (emu: ReplicateEmulator) => emu.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/'));
const cancels = (emu: ReplicateEmulator) => emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'));
const lastPrediction = (emu: ReplicateEmulator) => [...emu.predictions.values()].at(-1)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** The stored file is byte for byte the one the emulator served at `url`. */
async function expectServed(emu: ReplicateEmulator, art: Artifact, url: string): Promise<void> {
  const served = emu.files.get(url);
  expect(served, `the emulator served ${url}`).toBeDefined();
  const stored = await readFile(art.path);
  expect(stored).toEqual(Buffer.from(served!.bytes));
  expect(art.sha256).toBe(sha256(served!.bytes));
  expect(art.mimeType).toBe(served!.contentType);
}

function urlsOf(emu: ReplicateEmulator, id: string): string[] {
  const output = emu.predictions.get(id)!.output;
  return Array.isArray(output) ? (output as string[]) : [output as string];
}

describe('Replicate through the MCP tools (stdio)', () => {
  let emu: ReplicateEmulator;
  let s: StdioSession;

  async function call(name: string, args: Record<string, unknown>, onprogress?: (p: Progress) => void) {
    const res = (await s.client.callTool({ name, arguments: args }, undefined, onprogress ? { onprogress } : undefined)) as CallToolResult;
    return { res, out: res.structuredContent as unknown as Out, text: res.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n') };
  }

  beforeAll(async () => {
    emu = await startReplicateEmulator({ processingPolls: 3 });
    s = await stdioClient(
      testEnv({
        REPLICATE_API_TOKEN: emu.token,
        REPLICATE_BASE_URL: emu.baseUrl,
        MCP_PROVIDERS_POLL_MS: '20',
        MCP_PROVIDERS_RETRY_BASE_MS: '10',
        MCP_PROVIDERS_COOLDOWN_AFTER: '1000',
      }),
    );
  });
  afterAll(async () => {
    await s?.close();
    await emu?.close();
  });
  beforeEach(() => {
    emu.requests.length = 0;
    emu.pendingFaults.length = 0;
  });

  it('list_providers: replicate usable with its five capabilities and default models', async () => {
    const { res } = await call('list_providers', {});
    const row = (res.structuredContent as { providers: Record<string, unknown>[] }).providers.find((p) => p.id === 'replicate');
    expect(row).toMatchObject({
      usable: true,
      implemented: true,
      configured: true,
      missing: [],
      capabilities: ['text', 'image', 'video', 'audio', 'tts'],
      defaultModels: { text: 'meta/meta-llama-3-8b-instruct', image: 'black-forest-labs/flux-schnell', video: 'minimax/hailuo-02', audio: 'meta/musicgen', tts: 'jaaari/kokoro-82m' },
    });
    expect(JSON.stringify(res)).not.toContain(emu.token);
  });

  it('generate_text: sync-mode create on the official path, the bearer token, the input mapping; predict_time logged', async () => {
    const { res, out } = await call('generate_text', { prompt: 'Name three moons', system: 'Be brief', max_tokens: 40, temperature: 0.3, provider: 'replicate', extra: { top_k: 20 } });
    expect(res.isError).toBeFalsy();
    expect(emu.requests).toHaveLength(1);
    const [req] = emu.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/models/meta/meta-llama-3-8b-instruct/predictions' });
    expect(req!.headers.authorization).toBe(`Bearer ${emu.token}`);
    expect(req!.headers.prefer).toMatch(/^wait=\d+$/);
    expect(bodyOf(req)).toEqual({ input: { prompt: 'Name three moons', system_prompt: 'Be brief', max_tokens: 40, temperature: 0.3, top_k: 20 } });
    const p = lastPrediction(emu);
    expect(out).toMatchObject({ provider: 'replicate', model: 'meta/meta-llama-3-8b-instruct', text: 'echo: Name three moons', usage: { inputTokens: 5, outputTokens: 4 } });
    expect(out.telemetry).toMatchObject({ attempts: 1, requestId: p.id });
    await until('the log line', () => s.stderr().includes(`"prediction":"${p.id}"`));
    const line = s.stderr().split('\n').find((l) => l.includes(`"prediction":"${p.id}"`))!;
    expect(JSON.parse(line)).toMatchObject({ provider: 'replicate', predictTimeSeconds: p.metrics.predict_time });
  });

  it('generate_image: one create (num_outputs 2, seed, aspect ratio, png), polled to the end; both PNGs stored as served', async () => {
    const progress: Progress[] = [];
    const { res, out } = await call('generate_image', { prompt: 'A red square', count: 2, aspect_ratio: '3:2', output_format: 'png', seed: 5, provider: 'replicate' }, (p) => void progress.push(p));
    expect(res.isError).toBeFalsy();
    const [create] = emu.creates();
    expect(emu.creates()).toHaveLength(1);
    expect(create).toMatchObject({ path: '/v1/models/black-forest-labs/flux-schnell/predictions' });
    expect(create!.headers.authorization).toBe(`Bearer ${emu.token}`);
    expect(create!.headers.prefer).toBeUndefined();
    expect(bodyOf(create)).toEqual({ input: { prompt: 'A red square', aspect_ratio: '3:2', output_format: 'png', num_outputs: 2, seed: 5 } });
    const p = lastPrediction(emu);
    expect(gets(emu).map((r) => r.path)).toEqual(Array.from({ length: 4 }, () => `/v1/predictions/${p.id}`));
    expect(out.artifacts).toHaveLength(2);
    const urls = urlsOf(emu, p.id);
    for (const [i, art] of out.artifacts.entries()) await expectServed(emu, art, urls[i]!);
    expect(out.telemetry.requestId).toBe(p.id);
    expect(progress.some((x) => /replicate: black-forest-labs\/flux-schnell processing after \d+ s — \d+%\|/.test(x.message ?? ''))).toBe(true);
  });

  it('generate_video from one of our image artifacts: the first frame is exactly its bytes; the MP4 stored as served', async () => {
    const img = await call('generate_image', { prompt: 'first frame', output_format: 'png', provider: 'replicate' });
    const frame = img.out.artifacts[0]!;
    const frameBytes = await readFile(frame.path);
    emu.requests.length = 0;
    const { res, out } = await call('generate_video', { prompt: 'animate it', duration_seconds: 6, resolution: '1080p', image: { uri: frame.uri }, provider: 'replicate', extra: { prompt_optimizer: false } });
    expect(res.isError).toBeFalsy();
    const [create] = emu.creates();
    expect(create).toMatchObject({ path: '/v1/models/minimax/hailuo-02/predictions' });
    expect(bodyOf(create)).toEqual({
      input: { prompt: 'animate it', duration: 6, resolution: '1080p', first_frame_image: `data:image/png;base64,${frameBytes.toString('base64')}`, prompt_optimizer: false },
    });
    const p = lastPrediction(emu);
    const [art] = out.artifacts;
    expect(art).toMatchObject({ mimeType: 'video/mp4', durationSeconds: 6 });
    await expectServed(emu, art!, urlsOf(emu, p.id)[0]!);
    expect((await readFile(art!.path)).toString('ascii', 4, 8)).toBe('ftyp');
  });

  it('generate_audio: MusicGen by its pinned version on POST /v1/predictions; the WAV stored as served', async () => {
    const { res, out } = await call('generate_audio', { prompt: 'calm piano', duration_seconds: 5, seed: 11, provider: 'replicate' });
    expect(res.isError).toBeFalsy();
    const [create] = emu.creates();
    expect(create).toMatchObject({ path: '/v1/predictions' });
    expect(create!.headers.authorization).toBe(`Bearer ${emu.token}`);
    expect(bodyOf(create)).toEqual({ version: MUSICGEN_VERSION, input: { prompt: 'calm piano', duration: 5, seed: 11 } });
    const [art] = out.artifacts;
    expect(art).toMatchObject({ mimeType: 'audio/wav', durationSeconds: 5 });
    await expectServed(emu, art!, urlsOf(emu, lastPrediction(emu).id)[0]!);
  });

  it('tts: Kokoro by its pinned version in sync mode (text, voice, speed); the WAV stored as served', async () => {
    const { res, out } = await call('tts', { text: 'Hello there', voice: 'af_bella', speed: 1.5, provider: 'replicate' });
    expect(res.isError).toBeFalsy();
    expect(emu.requests.filter((r) => r.path.startsWith('/v1/'))).toHaveLength(1);
    const [create] = emu.creates();
    expect(create).toMatchObject({ path: '/v1/predictions' });
    expect(create!.headers.prefer).toMatch(/^wait=\d+$/);
    expect(bodyOf(create)).toEqual({ version: KOKORO_VERSION, input: { text: 'Hello there', voice: 'af_bella', speed: 1.5 } });
    await expectServed(emu, out.artifacts[0]!, urlsOf(emu, lastPrediction(emu).id)[0]!);
  });

  it("a failed prediction: the tool's error and get_job's job.error keep Replicate's error text", async () => {
    emu.enqueueFault({ fail: 'CUDA out of memory. Tried to allocate 20.00 GiB' });
    const { res, out, text } = await call('generate_image', { prompt: 'too big', provider: 'replicate' });
    expect(res.isError).toBe(true);
    expect(text).toMatch(/^replicate: internal: The Replicate prediction \w+ \(black-forest-labs\/flux-schnell\) failed: CUDA out of memory\. Tried to allocate 20\.00 GiB/);
    const job = await call('get_job', { job_id: out.job.id, wait_seconds: 0 });
    expect(job.out.job).toMatchObject({ state: 'failed', error: { code: 'internal', message: expect.stringContaining('CUDA out of memory. Tried to allocate 20.00 GiB') } });
    expect(emu.creates()).toHaveLength(1);
  });

  it('a 429 with Retry-After: 1 on the create: the runner waits it out and creates again — two creates, not a burst of six', async () => {
    emu.enqueueFault({ route: 'create', status: 429, retryAfter: '1' });
    const { res, out } = await call('generate_image', { prompt: 'throttled', provider: 'replicate' });
    expect(res.isError).toBeFalsy();
    const creates = emu.creates();
    expect(creates).toHaveLength(2);
    expect(creates[1]!.at - creates[0]!.at).toBeGreaterThanOrEqual(950);
    expect(out.telemetry.attempts).toBe(2);
  });

  it('a client cancel of generate_video reaches the cancel endpoint; polling stops', async () => {
    emu.enqueueFault({ neverFinish: true });
    const ac = new AbortController();
    const pending = s.client.callTool({ name: 'generate_video', arguments: { prompt: 'cancel me', provider: 'replicate' } }, undefined, { signal: ac.signal, onprogress: () => ac.abort('user pressed stop') });
    await expect(pending).rejects.toThrow();
    const p = lastPrediction(emu);
    await until('the cancel', () => cancels(emu).length === 1);
    expect(cancels(emu)[0]).toMatchObject({ path: `/v1/predictions/${p.id}/cancel` });
    expect(cancels(emu)[0]!.headers.authorization).toBe(`Bearer ${emu.token}`);
    expect(p.status).toBe('canceled');
    const polls = gets(emu).length;
    await sleep(400);
    expect(gets(emu)).toHaveLength(polls);
  });

  it('the API token never reaches the log', () => {
    expect(s.stderr()).toContain('"provider":"replicate"');
    expect(s.stderr()).not.toContain(emu.token);
  });
});

describe('start-up cost', () => {
  it('with Replicate configured, the replicate SDK and the adapter load on the first call, not at start-up', async () => {
    const emu = await startReplicateEmulator();
    const s = await stdioWithLoads(testEnv({ REPLICATE_API_TOKEN: emu.token, REPLICATE_BASE_URL: emu.baseUrl }));
    const ours = /\/node_modules\/replicate\/|\/src\/providers\/replicate\//;
    try {
      const listed = (await s.client.callTool({ name: 'list_providers', arguments: {} })) as CallToolResult;
      expect(JSON.stringify(listed.structuredContent)).toMatch(/"id":"replicate"[^}]*"usable":true/);
      const atStart = await s.loaded();
      expect(atStart.some((u) => u.startsWith('bundled:') && u.endsWith('/src/main.ts'))).toBe(true);
      expect(atStart.filter((u) => ours.test(u))).toEqual([]);

      const res = (await s.client.callTool({ name: 'generate_text', arguments: { prompt: 'hi', provider: 'replicate' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const after = await s.loaded();
      expect(after.some((u) => u.includes('/node_modules/replicate/'))).toBe(true);
      expect(after.some((u) => u.endsWith('/src/providers/replicate/index.ts'))).toBe(true);
    } finally {
      await s.close();
      await emu.close();
    }
  });
});

describe('durable predictions (HTTP server)', () => {
  const { defer, server, client } = httpHarness('replicate-e2e');

  async function emulator(processingPolls: number): Promise<ReplicateEmulator> {
    const emu = await startReplicateEmulator({ processingPolls });
    defer(() => emu.close());
    return emu;
  }
  async function call(c: Client, name: string, args: Record<string, unknown>) {
    const res = (await c.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
    return { res, out: res.structuredContent as unknown as Out };
  }
  const env = (emu: ReplicateEmulator, extra: Record<string, string> = {}) =>
    testEnv({ REPLICATE_API_TOKEN: emu.token, REPLICATE_BASE_URL: emu.baseUrl, MCP_PROVIDERS_JOB_LEASE_MS: '1500', ...extra });

  it('a video prediction survives a SIGKILL: after a restart get_job returns the MP4 as served, with exactly one create', async () => {
    const emu = await emulator(6);
    const e = env(emu, { MCP_PROVIDERS_POLL_MS: '300' });
    const first = await server(e);
    const c1 = await client(first);
    const { out: handle } = await call(c1, 'generate_video', { prompt: 'a fox, killed mid-job', wait_seconds: 0, provider: 'replicate' });
    expect(handle.job.state).toMatch(/queued|running/);
    await until('the first poll', () => gets(emu).length >= 1);
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const pollsAtKill = gets(emu).length;

    const second = await server(e);
    const c2 = await client(second);
    const { out } = await call(c2, 'get_job', { job_id: handle.job.id, wait_seconds: 60 });
    expect(out.job.state).toBe('succeeded');
    expect(emu.creates()).toHaveLength(1);
    expect(gets(emu).length).toBeGreaterThan(pollsAtKill);
    const p = lastPrediction(emu);
    const [art] = out.artifacts;
    await expectServed(emu, art!, urlsOf(emu, p.id)[0]!);
    expect(second.stderr()).toMatch(/resuming job from its stored operation/);
    const read = await c2.readResource({ uri: art!.uri });
    expect(sha256(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64'))).toBe(art!.sha256);
  });

  it('cancel_job cancels the prediction at Replicate: providerCancelled true, the cancel endpoint called, polling stopped', async () => {
    const emu = await emulator(2);
    emu.enqueueFault({ neverFinish: true });
    const srv = await server(env(emu, { MCP_PROVIDERS_POLL_MS: '50' }));
    const c = await client(srv);
    const { out: handle } = await call(c, 'generate_video', { prompt: 'stop me', wait_seconds: 0, provider: 'replicate' });
    await until('two polls', () => gets(emu).length >= 2);
    const { out } = await call(c, 'cancel_job', { job_id: handle.job.id });
    expect(out.job).toMatchObject({ id: handle.job.id, state: 'cancelled', providerCancelled: true });
    const p = lastPrediction(emu);
    expect(cancels(emu).map((r) => r.path)).toEqual([`/v1/predictions/${p.id}/cancel`]);
    expect(p).toMatchObject({ status: 'canceled', cancels: 1 });
    const after = gets(emu).length;
    await sleep(400);
    expect(gets(emu)).toHaveLength(after);
    const { out: got } = await call(c, 'get_job', { job_id: handle.job.id, wait_seconds: 0 });
    expect(got.job).toMatchObject({ state: 'cancelled', providerCancelled: true });
  });
});
