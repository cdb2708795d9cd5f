/**
 * fal end to end: the built server, driven by the MCP SDK's Client, with fal pointed at the
 * loopback fal queue emulator (FAL_BASE_URL). Each capability through its tool, with the request
 * fal received asserted (path, `Authorization: Key …`, input mapping) and the stored artifact's
 * bytes equal to the file the emulator served; queue position and log lines arriving as progress
 * notifications, in order; a client cancel and cancel_job each reaching fal's cancel endpoint; a
 * 429 retried by the runner; a job that survives a SIGKILL of the server with one submit; and
 * @fal-ai/client loading on the first fal call, not at start-up.
 */
import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseWav } from '../../src/util/wav.js';
import { startFalEmulator, type FalEmulator, type RecordedRequest } from '../emulators/fal/index.js';
import { httpHarness, until } from '../helpers/http-harness.js';
import { stdioClient, stdioWithLoads, testEnv, type StdioSession } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

const KEY = 'fal-e2e-id:fal-e2e-secret';

interface Artifact {
  uri: string;
  sha256: string;
  size: number;
  path: string;
  mimeType: string;
  width?: number;
  height?: number;
  durationSeconds?: number;
}
interface Out {
  job: { id: string; state: string; provider?: string; providerCancelled?: boolean; error?: { code: string; message: string } };
  provider?: string;
  model?: string;
  artifacts?: Artifact[];
  warnings?: string[];
  telemetry?: { attempts: number; requestId?: string };
}

const submits = (emu: FalEmulator) => emu.requests.filter((r) => r.method === 'POST');
const polls = (emu: FalEmulator) => emu.requests.filter((r) => r.path.endsWith('/status'));
const cancels = (emu: FalEmulator) => emu.requests.filter((r) => r.method === 'PUT');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function call(client: Client, name: string, args: Record<string, unknown>, onprogress?: (p: Progress) => void) {
  const res = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000, ...(onprogress ? { onprogress } : {}) })) as CallToolResult;
  return { res, out: res.structuredContent as unknown as Out, text: res.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n') };
}

/** The stored file is byte for byte the one fal (the emulator) served at the artifact's source URL. */
async function expectServed(emu: FalEmulator, art: Artifact, index: number): Promise<Buffer> {
  const bytes = await readFile(art.path);
  const served = emu.made[index]!;
  expect(Buffer.from(bytes)).toEqual(Buffer.from(served.bytes));
  expect(art).toMatchObject({ sha256: sha256(served.bytes), size: served.bytes.length, mimeType: served.contentType });
  const record = JSON.parse(await readFile(art.path.replace(/\.[a-z0-9]+$/, '.json'), 'utf8')) as { sourceUri?: string };
  expect(record.sourceUri).toBe(served.url);
  return bytes;
}

function expectKeyAuth(r: RecordedRequest | undefined): void {
  expect(r?.headers.authorization).toBe(`Key ${KEY}`);
}

describe('fal through the MCP tools (stdio)', () => {
  let emu: FalEmulator;
  let s: StdioSession;

  beforeAll(async () => {
    emu = await startFalEmulator({ apiKey: KEY, queuePolls: 1, progressPolls: 1 });
    s = await stdioClient(testEnv({ FAL_AI_API_KEY: KEY, FAL_BASE_URL: emu.baseUrl, MCP_PROVIDERS_POLL_MS: '20', MCP_PROVIDERS_RETRY_BASE_MS: '10' }));
  });
  afterAll(async () => {
    await s?.close();
    await emu?.close();
  });
  beforeEach(() => {
    emu.requests.length = 0;
    emu.made.length = 0;
    emu.options.queuePolls = 1;
    emu.options.progressPolls = 1;
  });

  it('list_providers: fal is usable with its four capabilities and default models', async () => {
    const { res } = await call(s.client, 'list_providers', {});
    const row = (res.structuredContent as { providers: { id: string }[] }).providers.find((p) => p.id === 'fal');
    expect(row).toMatchObject({
      implemented: true,
      configured: true,
      usable: true,
      missing: [],
      capabilities: ['image', 'video', 'audio', 'tts'],
      defaultModels: { image: 'fal-ai/flux/schnell', video: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video', audio: 'fal-ai/stable-audio', tts: 'fal-ai/kokoro/american-english' },
    });
  });

  it('generate_image: FLUX schnell with num_images, image_size, seed, output_format; two PNGs byte-identical to what fal served', async () => {
    const { res, out } = await call(s.client, 'generate_image', { prompt: 'A lighthouse at dusk', count: 2, aspect_ratio: '16:9', seed: 7, output_format: 'png', provider: 'fal' });
    expect(res.isError).toBeFalsy();
    const [submit] = submits(emu);
    expect(submit!.path).toBe('/fal-ai/flux/schnell');
    expectKeyAuth(submit);
    expect(submit!.body).toEqual({ prompt: 'A lighthouse at dusk', num_images: 2, image_size: 'landscape_16_9', seed: 7, output_format: 'png' });
    expect(polls(emu).map((r) => r.path)).toEqual(Array(3).fill(`/fal-ai/flux/requests/${out.telemetry!.requestId}/status`));
    expect(out).toMatchObject({ provider: 'fal', model: 'fal-ai/flux/schnell', telemetry: { attempts: 1 } });
    expect(out.artifacts).toHaveLength(2);
    for (const [i, art] of out.artifacts!.entries()) {
      const png = await expectServed(emu, art, i);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(art).toMatchObject({ mimeType: 'image/png', width: 64, height: 36 });
    }
  });

  it('generate_video: Kling with aspect_ratio, duration "5" and negative_prompt; the MP4 as served', async () => {
    const { res, out } = await call(s.client, 'generate_video', { prompt: 'A fox in the snow', aspect_ratio: '16:9', duration_seconds: 5, negative_prompt: 'rain', provider: 'fal' });
    expect(res.isError).toBeFalsy();
    const [submit] = submits(emu);
    expect(submit!.path).toBe('/fal-ai/kling-video/v2.5-turbo/pro/text-to-video');
    expectKeyAuth(submit);
    expect(submit!.body).toEqual({ prompt: 'A fox in the snow', aspect_ratio: '16:9', duration: '5', negative_prompt: 'rain' });
    expect(polls(emu).every((r) => r.path.startsWith('/fal-ai/kling-video/requests/'))).toBe(true);
    const mp4 = await expectServed(emu, out.artifacts![0]!, 0);
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(out.artifacts![0]).toMatchObject({ mimeType: 'video/mp4', durationSeconds: 5 });
  });

  it('generate_audio: Stable Audio with seconds_total; the WAV as served', async () => {
    const { res, out } = await call(s.client, 'generate_audio', { prompt: 'calm piano', duration_seconds: 2, provider: 'fal' });
    expect(res.isError).toBeFalsy();
    const [submit] = submits(emu);
    expect(submit!.path).toBe('/fal-ai/stable-audio');
    expectKeyAuth(submit);
    expect(submit!.body).toEqual({ prompt: 'calm piano', seconds_total: 2 });
    const wav = await expectServed(emu, out.artifacts![0]!, 0);
    expect(parseWav(wav)).toMatchObject({ sampleRate: 4000, channels: 1, durationSeconds: 2 });
  });

  it('tts: Kokoro with voice and speed; the WAV as served', async () => {
    const { res, out } = await call(s.client, 'tts', { text: 'Hello there', voice: 'af_bella', speed: 1.25, provider: 'fal' });
    expect(res.isError).toBeFalsy();
    const [submit] = submits(emu);
    expect(submit!.path).toBe('/fal-ai/kokoro/american-english');
    expectKeyAuth(submit);
    expect(submit!.body).toEqual({ prompt: 'Hello there', voice: 'af_bella', speed: 1.25 });
    expect(polls(emu).every((r) => r.path.startsWith('/fal-ai/kokoro/requests/'))).toBe(true);
    const wav = await expectServed(emu, out.artifacts![0]!, 0);
    expect(parseWav(wav)).toMatchObject({ sampleRate: 24000, channels: 1 });
  });

  it('a job that waits in the queue, then runs, sends its queue position and then its log lines as progress, in order', async () => {
    emu.options.queuePolls = 3;
    emu.options.progressPolls = 2;
    const progress: Progress[] = [];
    const { res } = await call(s.client, 'generate_video', { prompt: 'queued fox', provider: 'fal' }, (p) => void progress.push(p));
    expect(res.isError).toBeFalsy();
    expect(progress.map((p) => p.message).filter((m) => m?.startsWith('fal:'))).toEqual([
      'fal: in queue, position 2',
      'fal: in queue, position 1',
      'fal: in queue, position 0',
      'fal: running: step 1 of 2',
      'fal: running: step 2 of 2',
    ]);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
  });

  it('a client cancel (notifications/cancelled) of the waiting call cancels the request at fal', async () => {
    emu.options.progressPolls = Infinity;
    const ac = new AbortController();
    const pending = s.client.callTool({ name: 'generate_video', arguments: { prompt: 'cancel me', provider: 'fal' } }, undefined, {
      signal: ac.signal,
      onprogress: (p) => {
        if (p.message?.startsWith('fal: running')) ac.abort('user pressed stop');
      },
    });
    await expect(pending).rejects.toThrow();
    const put = await emu.waitFor((r) => r.method === 'PUT');
    const [submitted] = [...emu.jobs.values()].filter((j) => j.input.prompt === 'cancel me');
    expect(put.path).toBe(`/fal-ai/kling-video/requests/${submitted!.id}/cancel`);
    expectKeyAuth(put);
    await until('fal to record the cancel', () => submitted!.cancelled, 5_000);
    const pollsAtCancel = polls(emu).length;
    await sleep(300);
    expect(polls(emu)).toHaveLength(pollsAtCancel);
    const listed = (await call(s.client, 'list_jobs', { state: 'cancelled' })).res.structuredContent as { jobs: Out['job'][] };
    const [cancelled] = listed.jobs.filter((j) => j.provider === 'fal');
    const { out } = await call(s.client, 'get_job', { job_id: cancelled!.id, wait_seconds: 0 });
    expect(out.job).toMatchObject({ state: 'cancelled', providerCancelled: true });
    expect(s.stderr()).toMatch(/"outcome":"requested"[^\n]*"msg":"fal cancel"/);
  });

  it('cancel_job reaches fal\'s cancel endpoint: providerCancelled true, polling stops', async () => {
    emu.options.progressPolls = Infinity;
    const { out: handle } = await call(s.client, 'generate_video', { prompt: 'stop me', wait_seconds: 0, provider: 'fal' });
    expect(handle.job.state).toMatch(/queued|running/);
    await emu.waitFor((r) => r.path.endsWith('/status'));
    const { out } = await call(s.client, 'cancel_job', { job_id: handle.job.id });
    expect(out.job).toMatchObject({ id: handle.job.id, state: 'cancelled', providerCancelled: true });
    const [put] = cancels(emu);
    const [job] = [...emu.jobs.values()].filter((j) => j.input.prompt === 'stop me');
    expect(put!.path).toBe(`/fal-ai/kling-video/requests/${job!.id}/cancel`);
    expect(job!.cancelled).toBe(true);
    const after = polls(emu).length;
    await sleep(300);
    expect(polls(emu)).toHaveLength(after);
  });

  it('a 429 on submit (Retry-After 0) is retried by the runner, not by a hidden SDK loop: two submits, one job', async () => {
    emu.enqueueFault({ route: 'submit', status: 429, retryAfter: '0' });
    const { res, out } = await call(s.client, 'generate_image', { prompt: 'retry me', provider: 'fal' });
    expect(res.isError).toBeFalsy();
    expect(submits(emu)).toHaveLength(2);
    expect(out.telemetry!.attempts).toBe(2);
  });

  it('a job fal refuses (content policy) fails as content_filtered, with fal\'s words', async () => {
    const { res, text, out } = await call(s.client, 'generate_image', { prompt: 'something forbidden', provider: 'fal' });
    expect(res.isError).toBe(true);
    expect(out.job.error).toMatchObject({ code: 'content_filtered' });
    expect(text).toMatch(/content_filtered.*flagged by a content checker/);
    expect(submits(emu)).toHaveLength(1);
  });
});

describe('fal without a key', () => {
  it('list_providers names the missing variables', async () => {
    const s = await stdioClient(testEnv({ ENABLE_PROVIDER_FAL: 'true' }));
    try {
      const { res } = await call(s.client, 'list_providers', {});
      const row = (res.structuredContent as { providers: { id: string }[] }).providers.find((p) => p.id === 'fal');
      expect(row).toMatchObject({ implemented: true, configured: false, usable: false, missing: ['FAL_AI_API_KEY or FAL_KEY'] });
    } finally {
      await s.close();
    }
  });
});

describe('a fal job survives a SIGKILL of the server', () => {
  const { defer, server, client } = httpHarness('fal-sigkill');


  it('after a restart get_job returns the video; the emulator saw exactly one submit', async () => {
    const emu = await startFalEmulator({ apiKey: KEY, queuePolls: 2, progressPolls: 4 });
    defer(() => emu.close());
    const env = testEnv({ FAL_AI_API_KEY: KEY, FAL_BASE_URL: emu.baseUrl, MCP_PROVIDERS_POLL_MS: '300', MCP_PROVIDERS_JOB_LEASE_MS: '1500' });
    const first = await server(env);
    const c1 = await client(first);
    const { out: handle } = await call(c1, 'generate_video', { prompt: 'a fox, killed mid-job', wait_seconds: 0, provider: 'fal' });
    expect(handle.job.state).toMatch(/queued|running/);
    await emu.waitFor((r) => r.path.endsWith('/status'), 20_000);
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const pollsAtKill = polls(emu).length;
    const [job] = emu.jobs.values();
    expect(job!.output).toBeUndefined();

    const second = await server(env);
    const c2 = await client(second);
    const { out } = await call(c2, 'get_job', { job_id: handle.job.id, wait_seconds: 60 });
    expect(out.job.state).toBe('succeeded');
    expect(submits(emu)).toHaveLength(1);
    expect(polls(emu).length).toBeGreaterThan(pollsAtKill);
    const art = out.artifacts![0]!;
    await expectServed(emu, art, 0);
    const read = await c2.readResource({ uri: art.uri });
    expect(sha256(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64'))).toBe(art.sha256);
    expect(second.stderr()).toMatch(/resuming job from its stored operation/);
  });
});

describe('start-up cost', () => {
  it('with fal configured, neither the fal adapter nor @fal-ai/client loads until the first fal call', async () => {
    const emu = await startFalEmulator({ apiKey: KEY });
    const s = await stdioWithLoads(testEnv({ FAL_AI_API_KEY: KEY, FAL_BASE_URL: emu.baseUrl }));
    const falModules = /\/node_modules\/@fal-ai\/client\/|\/src\/providers\/fal\//;
    try {
      await s.client.callTool({ name: 'list_providers', arguments: {} });
      const atStart = await s.loaded();
      expect(atStart.some((u) => u.startsWith('bundled:') && u.endsWith('/src/main.ts'))).toBe(true);
      expect(atStart.filter((u) => falModules.test(u))).toEqual([]);
      const res = (await s.client.callTool({ name: 'generate_image', arguments: { prompt: 'hi', provider: 'fal' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const after = await s.loaded();
      expect(after.some((u) => u.endsWith('/src/providers/fal/index.ts'))).toBe(true);
      expect(after.some((u) => u.includes('/node_modules/@fal-ai/client/'))).toBe(true);
    } finally {
      await s.close();
      await emu.close();
    }
  });
});
