/**
 * The Replicate adapter, through the real `replicate` SDK, against the loopback emulator: the
 * request each capability sends (path, bearer token, Prefer header, input mapping), sync mode
 * and its fallback to polling, long jobs' start/status/cancel, the SDK's own retries disarmed
 * (one HTTP request per call, Retry-After kept for the runner), error mapping and telemetry.
 */
import Replicate from 'replicate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  AdapterEnv, AudioOptions, CallContext, ImageOptions, LongRunningService, Operation, OperationStatus, ProviderAdapter, QuickService, TextOptions, TtsOptions, VideoOptions,
} from '../../src/providers/base.js';
import replicate from '../../src/providers/replicate/index.js';
import { KNOWN_MODELS } from '../../src/providers/replicate/models.js';
import { logProgress } from '../../src/providers/replicate/predictions.js';
import { createLogger } from '../../src/util/logger.js';
import { startReplicateEmulator, type RecordedRequest, type ReplicateEmulator } from '../emulators/replicate/index.js';
import { encodePng } from '../emulators/media.js';
import { providerError } from '../helpers/provider-kit.js';

const FRAME = encodePng(4, 4, [1, 2, 3]);
const MUSICGEN_VERSION = '671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb';
const KOKORO_VERSION = 'f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13';
const SKETCH_VERSION = 'a'.repeat(64);

function makeEnv(emu: ReplicateEmulator, token = emu.token): AdapterEnv {
  return {
    info: {
      id: 'replicate',
      displayName: 'Replicate',
      capabilities: ['text', 'image', 'video', 'audio', 'tts'],
      defaultModels: { text: 'meta/meta-llama-3-8b-instruct', image: 'black-forest-labs/flux-schnell', video: 'minimax/hailuo-02', audio: 'meta/musicgen', tts: 'jaaari/kokoro-82m' },
      credentialModes: [{ name: 'api token', requires: [['REPLICATE_API_TOKEN']] }],
      capabilityKeys: {},
      models: {},
      priority: 40,
      featureFlag: 'ENABLE_PROVIDER_REPLICATE',
      enabledByDefault: false,
      baseUrlEnv: 'REPLICATE_BASE_URL',
      baseUrl: emu.baseUrl,
    },
    env: { REPLICATE_API_TOKEN: token, MCP_PROVIDERS_POLL_MS: '50' },
    async resolveArtifact(uri) {
      if (uri !== 'artifact://frame') throw new Error(`unknown artifact ${uri}`);
      return { data: FRAME, mimeType: 'image/png' };
    },
    appName: 'mcp-providers-test',
    appUrl: 'https://example.test',
  };
}

type Ctx = CallContext & { progressCalls: { fraction?: number; message?: string }[] };
function makeCtx(overrides: Partial<CallContext> = {}): Ctx {
  const progressCalls: { fraction?: number; message?: string }[] = [];
  return { signal: new AbortController().signal, progress: (p) => void progressCalls.push(p), logger: createLogger('silent'), deadline: Date.now() + 20_000, progressCalls, ...overrides };
}

const text = (o: Partial<TextOptions> = {}): TextOptions => ({ extra: {}, ...o });
const image = (o: Partial<ImageOptions> = {}): ImageOptions => ({ count: 1, extra: {}, ...o });
const video = (o: Partial<VideoOptions> = {}): VideoOptions => ({ count: 1, extra: {}, ...o });
const audio = (o: Partial<AudioOptions> = {}): AudioOptions => ({ count: 1, extra: {}, ...o });
const tts = (o: Partial<TtsOptions> = {}): TtsOptions => ({ format: 'wav', extra: {}, ...o });
const prompt = (t: string, more: { system?: string } = {}) => ({ text: t, attachments: [], ...more });

function bodyOf(r: RecordedRequest | undefined): Record<string, any> {
  expect(r?.body).toBeTypeOf('object');
  return r!.body as Record<string, any>;
}
const gets = (emu: ReplicateEmulator) => emu.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/'));
const cancels = (emu: ReplicateEmulator) => emu.requests.filter((r) => r.path.endsWith('/cancel'));

/** Polls a long job to its end, as the runner would (no sleep: the emulator moves on per GET). */
async function runJob(service: LongRunningService<any>, operation: Operation, ctx = makeCtx()): Promise<{ final: OperationStatus; pending: OperationStatus[] }> {
  const pending: OperationStatus[] = [];
  for (let i = 0; i < 20; i++) {
    const s = await service.status(operation, ctx);
    if (s.state !== 'pending') return { final: s, pending };
    pending.push(s);
  }
  throw new Error('job did not end');
}

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.ok).toBe(true);
  return Buffer.from(await res.arrayBuffer());
}

let emu: ReplicateEmulator;
let adapter: ProviderAdapter;
beforeAll(async () => {
  emu = await startReplicateEmulator({ processingPolls: 2 });
  adapter = await replicate.load(makeEnv(emu));
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => {
  emu.requests.length = 0;
  emu.pendingFaults.length = 0;
});

const textService = () => adapter.text as QuickService<TextOptions>;
const ttsService = () => adapter.tts as QuickService<TtsOptions>;
const imageService = () => adapter.image as LongRunningService<ImageOptions>;
const videoService = () => adapter.video as LongRunningService<VideoOptions>;
const audioService = () => adapter.audio as LongRunningService<AudioOptions>;

describe('text (sync mode)', () => {
  it('one create on the official model path with Prefer: wait and the bearer token; tokens joined; usage and predict_time kept', async () => {
    const out = await textService().generate(prompt('Name three moons', { system: 'Be brief' }), text({ maxTokens: 50, temperature: 0.2, topP: 0.9, extra: { top_k: 40 } }), makeCtx());
    expect(emu.requests).toHaveLength(1);
    const [req] = emu.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/models/meta/meta-llama-3-8b-instruct/predictions' });
    expect(req!.headers.authorization).toBe(`Bearer ${emu.token}`);
    expect(req!.headers.prefer).toMatch(/^wait=(1[0-5]|[1-9])$/);
    expect(req!.headers['user-agent']).toBe('mcp-providers-test (replicate-javascript)');
    expect(bodyOf(req)).toEqual({ input: { prompt: 'Name three moons', system_prompt: 'Be brief', max_tokens: 50, temperature: 0.2, top_p: 0.9, top_k: 40 } });
    const prediction = [...emu.predictions.values()].at(-1)!;
    expect(out).toMatchObject({ model: 'meta/meta-llama-3-8b-instruct', text: 'echo: Name three moons', usage: { inputTokens: 5, outputTokens: 4 }, requestId: prediction.id, artifacts: [] });
    expect(out.providerMetadata).toMatchObject({ predictionIds: [prediction.id], predictTimeSeconds: prediction.metrics.predict_time, totalTimeSeconds: prediction.metrics.total_time });
    expect(out.providerMetadata!.predictTimeSeconds).toBeGreaterThan(0);
  });

  it('a sync wait that ends while the prediction still runs (where run() would return null) is polled to the end', async () => {
    emu.enqueueFault({ syncTimesOut: true });
    const ctx = makeCtx();
    const out = await textService().generate(prompt('slow one'), text(), ctx);
    expect(out.text).toBe('echo: slow one');
    expect(emu.creates()).toHaveLength(1);
    expect(gets(emu)).toHaveLength(3);
    expect(ctx.progressCalls.map((p) => p.fraction)).toEqual([expect.closeTo(0.33, 2), expect.closeTo(0.67, 2)]);
    expect(ctx.progressCalls[0]!.message).toMatch(/^replicate: meta\/meta-llama-3-8b-instruct processing after \d+ s — 33%\|/);
  });

  it('a poll that fails with 503 is polled again: one request per poll (no burst of SDK retries), one create', async () => {
    emu.enqueueFault({ syncTimesOut: true }, { route: 'get', status: 503 }, { route: 'get', status: 503 });
    const out = await textService().generate(prompt('flaky'), text(), makeCtx());
    expect(out.text).toBe('echo: flaky');
    expect(emu.creates()).toHaveLength(1);
    expect(gets(emu)).toHaveLength(2 + 3);
  });

  it('a client cancel while polling cancels the prediction at Replicate; the error is final', async () => {
    emu.enqueueFault({ neverFinish: true });
    const ac = new AbortController();
    const ctx = makeCtx({ signal: ac.signal, progress: () => ac.abort() });
    const err = await providerError(() => textService().generate(prompt('stop me'), text(), ctx));
    expect(err).toMatchObject({ code: 'cancelled', retryable: false });
    const id = bodyless(cancels(emu)[0]!.path);
    expect(cancels(emu)).toHaveLength(1);
    expect(emu.predictions.get(id)).toMatchObject({ status: 'canceled', cancels: 1 });
  });

  it('the deadline cancels the prediction and fails with a final timeout', async () => {
    emu.enqueueFault({ neverFinish: true });
    const err = await providerError(() => textService().generate(prompt('too slow'), text(), makeCtx({ deadline: Date.now() + 1_200 })));
    expect(err).toMatchObject({ code: 'timeout', retryable: false });
    // Under 5 s to the deadline there is no sync wait to spend.
    expect(emu.creates()[0]!.headers.prefer).toBeUndefined();
    expect(cancels(emu)).toHaveLength(1);
  });

  it("a failed prediction keeps Replicate's error text and is not retried", async () => {
    emu.enqueueFault({ fail: 'CUDA out of memory. Tried to allocate 2.00 GiB' });
    const err = await providerError(() => textService().generate(prompt('boom'), text(), makeCtx()));
    expect(err.message).toMatch(/^The Replicate prediction \w+ \(meta\/meta-llama-3-8b-instruct\) failed: CUDA out of memory\. Tried to allocate 2\.00 GiB$/);
    expect(err).toMatchObject({ code: 'internal', retryable: false });
  });

  it('json response format is asked for in the system prompt, with a warning; a seed is refused for Llama 3', async () => {
    const out = await textService().generate(prompt('give json'), text({ responseFormat: 'json' }), makeCtx());
    expect(bodyOf(emu.creates()[0]).input.system_prompt).toBe('Answer with a single JSON object and nothing else.');
    expect(out.warnings).toEqual([expect.stringMatching(/no JSON mode/)]);
    const err = await providerError(() => textService().generate(prompt('x'), text({ seed: 1 }), makeCtx()));
    expect(err).toMatchObject({ code: 'invalid_request', message: 'meta/meta-llama-3-8b-instruct does not support a seed.' });
    expect(emu.creates()).toHaveLength(1);
  });

  it('attachments are refused before any request', async () => {
    const err = await providerError(() => textService().generate({ text: 'what is this', attachments: [{ uri: 'https://example.test/a.png' }] }, text(), makeCtx()));
    expect(err.code).toBe('invalid_request');
    expect(emu.requests).toHaveLength(0);
  });
});

describe('the SDK retries are off, and errors are mapped', () => {
  it('429 on create: one request, rate_limited with the Retry-After wait for the runner', async () => {
    emu.enqueueFault({ route: 'create', status: 429, retryAfter: '3', detail: 'Request was throttled. Expected available in 3 seconds.' });
    const err = await providerError(() => textService().generate(prompt('throttled'), text(), makeCtx()));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3000, retryable: true });
    expect(err.message).toBe('Replicate returned HTTP 429: Request was throttled. Expected available in 3 seconds.');
    expect(emu.requests).toHaveLength(1);
  });

  it('429 without Retry-After: the wait named in the detail', async () => {
    emu.enqueueFault({ route: 'create', status: 429, title: 'Too many requests', detail: 'Request was throttled. Expected available in 2 seconds.' });
    const err = await providerError(() => textService().generate(prompt('x'), text(), makeCtx()));
    expect(err.retryAfterMs).toBe(2000);
    expect(err.message).toBe('Replicate returned HTTP 429: Too many requests — Request was throttled. Expected available in 2 seconds.');
  });

  it('a 503 on a status poll: one GET (the SDK would have made six), unavailable', async () => {
    const { operation } = await imageService().start(prompt('x'), image(), makeCtx());
    emu.requests.length = 0;
    emu.enqueueFault({ route: 'get', status: 503 });
    const err = await providerError(() => imageService().status(operation, makeCtx()));
    expect(err).toMatchObject({ code: 'unavailable', status: 503, retryable: true });
    expect(emu.requests).toHaveLength(1);
  });

  it('a connection reset: one request, unavailable', async () => {
    emu.enqueueFault({ route: 'create', reset: true });
    const err = await providerError(() => imageService().start(prompt('x'), image(), makeCtx()));
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect(err.message).toMatch(/request failed before an answer came back/);
    expect(emu.requests).toHaveLength(1);
  });

  it('a malformed answer to a create is final (the prediction may exist); to a poll it is worth polling again', async () => {
    emu.enqueueFault({ route: 'create', malformed: true });
    const created = await providerError(() => imageService().start(prompt('x'), image(), makeCtx()));
    expect(created).toMatchObject({ code: 'unavailable', retryable: false });
    const { operation } = await imageService().start(prompt('x'), image(), makeCtx());
    emu.enqueueFault({ route: 'get', malformed: true });
    expect(await providerError(() => imageService().status(operation, makeCtx()))).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('401 auth (with the variable to check), 402 quota, 404 not_found, 422 invalid_request with the detail; the token never in a message', async () => {
    const wrong = await replicate.load(makeEnv(emu, 'r8_wrong_token_value'));
    const auth = await providerError(() => (wrong.text as QuickService<TextOptions>).generate(prompt('x'), text(), makeCtx()));
    expect(auth).toMatchObject({ code: 'auth', status: 401, message: 'Replicate returned HTTP 401: Unauthenticated — You did not pass a valid authentication token (check REPLICATE_API_TOKEN)' });

    emu.enqueueFault({ status: 402, title: 'Insufficient credit', detail: 'You have insufficient credit to run this model.' });
    expect(await providerError(() => textService().generate(prompt('x'), text(), makeCtx()))).toMatchObject({ code: 'quota', status: 402, retryable: false });

    const missing = await providerError(() => imageService().start(prompt('x'), image({ model: 'nobody/no-such-model' }), makeCtx()));
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });
    expect(missing.message).toMatch(/no such model or version: an official model runs as owner\/name, any other needs owner\/name:<version>/);

    const badVersion = await providerError(() => imageService().start(prompt('x'), image({ model: `acme/sketch:${'b'.repeat(64)}` }), makeCtx()));
    expect(badVersion).toMatchObject({ code: 'invalid_request', status: 422, message: expect.stringMatching(/Invalid version or not permitted — The specified version does not exist/) });

    emu.enqueueFault({ status: 422, title: 'Input validation failed', detail: '- input.prompt: String too long', invalidFields: [{ type: 'max_length', field: 'input.prompt', description: 'String too long' }] });
    const invalid = await providerError(() => imageService().start(prompt('x'), image(), makeCtx()));
    expect(invalid).toMatchObject({ code: 'invalid_request', status: 422, message: 'Replicate returned HTTP 422: Input validation failed — - input.prompt: String too long', retryable: false });
    for (const e of [auth, invalid, missing]) expect(e.message).not.toContain(emu.token);
  });

  it('load() without a token is an auth error naming REPLICATE_API_TOKEN', async () => {
    const env = makeEnv(emu, '');
    await expect(replicate.load(env)).rejects.toMatchObject({ code: 'auth', message: expect.stringMatching(/REPLICATE_API_TOKEN/) });
  });
});

describe('image (long job)', () => {
  it('count 6 on FLUX schnell: two creates (4 + 2, seeds 7 and 8), no sync wait; progress from the logs; six PNG URLs as served', async () => {
    const { operation } = await imageService().start(prompt('A red square'), image({ count: 6, seed: 7, aspectRatio: '16:9', outputMimeType: 'image/png', extra: { go_fast: true } }), makeCtx());
    const creates = emu.creates();
    expect(creates.map((r) => r.path)).toEqual(['/v1/models/black-forest-labs/flux-schnell/predictions', '/v1/models/black-forest-labs/flux-schnell/predictions']);
    for (const r of creates) expect(r.headers.prefer).toBeUndefined();
    expect(creates.map((r) => bodyOf(r).input)).toEqual([
      { prompt: 'A red square', aspect_ratio: '16:9', output_format: 'png', go_fast: true, num_outputs: 4, seed: 7 },
      { prompt: 'A red square', aspect_ratio: '16:9', output_format: 'png', go_fast: true, num_outputs: 2, seed: 8 },
    ]);
    const ids = [...emu.predictions.keys()].slice(-2);
    expect(operation).toMatchObject({ v: 1, capability: 'image', model: 'black-forest-labs/flux-schnell', predictions: ids, mimeType: 'image/png', count: 6 });
    expect(JSON.parse(JSON.stringify(operation))).toEqual(operation);

    const { final, pending } = await runJob(imageService(), operation);
    expect(pending.map((s) => s.state === 'pending' && s.progress)).toEqual([expect.closeTo(0.33, 2), expect.closeTo(0.67, 2)]);
    expect(pending[0]).toMatchObject({ message: expect.stringMatching(/^replicate: black-forest-labs\/flux-schnell processing \(0 of 2 done\) after \d+ s — 33%\|/) });
    expect(final.state).toBe('done');
    if (final.state !== 'done') return;
    expect(final.result.artifacts).toHaveLength(6);
    for (const art of final.result.artifacts) {
      expect(art).toMatchObject({ mimeType: 'image/png', source: { kind: 'url' } });
      const url = (art.source as { url: string }).url;
      expect(url.startsWith(`${emu.origin}/files/`)).toBe(true);
      expect(await download(url)).toEqual(Buffer.from(emu.files.get(url)!.bytes));
    }
    const predictTime = ids.reduce((sum, id) => sum + emu.predictions.get(id)!.metrics.predict_time!, 0);
    expect(final.result.providerMetadata).toMatchObject({ predictionIds: ids, predictTimeSeconds: expect.closeTo(predictTime, 6) });
    expect(final.result.requestId).toBe(ids[0]);
  });

  it('the default output is WebP, named by the file extension', async () => {
    const { operation } = await imageService().start(prompt('x'), image(), makeCtx());
    expect(bodyOf(emu.creates()[0]).input).toEqual({ prompt: 'x', num_outputs: 1 });
    const { final } = await runJob(imageService(), operation);
    expect(final.state === 'done' && final.result.artifacts.map((a) => a.mimeType)).toEqual(['image/webp']);
  });

  it('what FLUX schnell cannot do is refused before any paid call, all at once', async () => {
    const err = await providerError(() => imageService().start({ text: 'x', attachments: [{ uri: 'https://example.test/ref.png' }] }, image({ negativePrompt: 'blur', aspectRatio: '9:21' as never }), makeCtx()));
    expect(err.message).toBe('black-forest-labs/flux-schnell does not support a negative prompt; takes no attachments.');
    expect(emu.requests).toHaveLength(0);
  });

  it('a failed prediction is a failed status with its error text', async () => {
    emu.enqueueFault({ fail: 'NSFW content detected. Try running it again, or try a different prompt.' });
    const { operation } = await imageService().start(prompt('x'), image(), makeCtx());
    const { final } = await runJob(imageService(), operation);
    expect(final).toEqual({ state: 'failed', code: 'content_filtered', message: expect.stringMatching(/failed: NSFW content detected\. Try running it again/) });
  });

  it('cancel POSTs /v1/predictions/{id}/cancel for each prediction; the job then reads as cancelled', async () => {
    const { operation } = await imageService().start(prompt('x'), image({ count: 5 }), makeCtx());
    const ids = operation.predictions as string[];
    expect(await imageService().cancel(operation, makeCtx())).toBe(true);
    expect(cancels(emu).map((r) => r.path)).toEqual(ids.map((id) => `/v1/predictions/${id}/cancel`));
    for (const r of cancels(emu)) expect(r.headers.authorization).toBe(`Bearer ${emu.token}`);
    const status = await imageService().status(operation, makeCtx());
    expect(status).toMatchObject({ state: 'failed', code: 'cancelled' });
  });

  it('a model it does not know runs by version with the conventional names and a warning; count makes one prediction each', async () => {
    const { operation } = await imageService().start(prompt('doodle'), image({ model: `acme/sketch:${SKETCH_VERSION}`, count: 2, seed: 1 }), makeCtx());
    expect(emu.creates().map((r) => [r.path, bodyOf(r)])).toEqual([
      ['/v1/predictions', { version: SKETCH_VERSION, input: { prompt: 'doodle', seed: 1 } }],
      ['/v1/predictions', { version: SKETCH_VERSION, input: { prompt: 'doodle', seed: 2 } }],
    ]);
    expect(operation.warnings).toEqual([expect.stringMatching(/not in replicate's known model list/)]);
    const { final } = await runJob(imageService(), operation);
    expect(final.state === 'done' && final.result.artifacts.map((a) => a.mimeType)).toEqual(['image/png', 'image/png']);
  });

  it('a second create that fails keeps the first (it is paid for) with a warning', async () => {
    emu.enqueueFault({ route: 'create', delayMs: 0 }, { route: 'create', status: 503 });
    const { operation } = await imageService().start(prompt('x'), image({ count: 8 }), makeCtx());
    expect(operation.predictions).toHaveLength(1);
    expect(operation.warnings).toEqual([expect.stringMatching(/^Started 1 of 2 predictions; the next one failed: Replicate returned HTTP 503/)]);
  });

  it('a malformed model id is refused', async () => {
    const err = await providerError(() => imageService().start(prompt('x'), image({ model: 'flux schnell' }), makeCtx()));
    expect(err.message).toMatch(/is not a Replicate model id/);
  });
});

describe('video (long job)', () => {
  it('Hailuo 02: duration 10 asks for 768p (its only tier for 10 s); our artifact as a data: URI first frame, an https last frame; an MP4 as served', async () => {
    const { operation } = await videoService().start(prompt('a fox'), video({ durationSeconds: 10, image: { uri: 'artifact://frame' }, lastFrame: { uri: 'https://example.test/last.png' }, extra: { prompt_optimizer: false } }), makeCtx());
    const [req] = emu.creates();
    expect(req!.path).toBe('/v1/models/minimax/hailuo-02/predictions');
    expect(bodyOf(req).input).toEqual({
      prompt: 'a fox',
      duration: 10,
      resolution: '768p',
      first_frame_image: `data:image/png;base64,${Buffer.from(FRAME).toString('base64')}`,
      last_frame_image: 'https://example.test/last.png',
      prompt_optimizer: false,
    });
    expect(operation.warnings).toEqual(['minimax/hailuo-02 makes clips longer than 6 s at 768p only, so resolution 768p was sent.']);
    const { final } = await runJob(videoService(), operation);
    expect(final.state).toBe('done');
    if (final.state !== 'done') return;
    const [art] = final.result.artifacts;
    expect(art).toMatchObject({ mimeType: 'video/mp4', durationSeconds: 10 });
    const url = (art!.source as { url: string }).url;
    const mp4 = await download(url);
    expect(mp4.toString('ascii', 4, 8)).toBe('ftyp');
    expect(mp4).toEqual(Buffer.from(emu.files.get(url)!.bytes));
  });

  it('720p maps to 768p with a warning; 1080p at 10 s, an aspect ratio, a seed or a soundtrack are refused before any request', async () => {
    const { operation } = await videoService().start(prompt('x'), video({ resolution: '720p', count: 2 }), makeCtx());
    expect(emu.creates().map((r) => bodyOf(r).input)).toEqual([{ prompt: 'x', resolution: '768p' }, { prompt: 'x', resolution: '768p' }]);
    expect(operation.warnings).toEqual(['minimax/hailuo-02 has no 720p; its 768p tier was used.']);
    emu.requests.length = 0;
    const err = await providerError(() => videoService().start(prompt('x'), video({ resolution: '1080p', durationSeconds: 10, aspectRatio: '16:9', seed: 3, generateAudio: true }), makeCtx()));
    expect(err.message).toBe(
      'minimax/hailuo-02 takes no aspect ratio; does not support a seed; cannot generate audio (generate_audio must be false or unset); makes clips longer than 6 s at resolution 720p only (not 1080p).',
    );
    expect(await providerError(() => videoService().start(prompt('x'), video({ durationSeconds: 8 }), makeCtx()))).toMatchObject({ message: 'minimax/hailuo-02 supports durations of 6, 10 seconds (not 8).' });
    expect(await providerError(() => videoService().start(prompt('x'), video({ image: { uri: 'gs://bucket/frame.png' } }), makeCtx()))).toMatchObject({ message: expect.stringMatching(/cannot read gs:\/\/ objects/) });
    expect(emu.requests).toHaveLength(0);
  });
});

describe('audio (long job)', () => {
  it('MusicGen runs by its pinned version (POST /v1/predictions); count 2 is two predictions, seeds 3 and 4; WAVs as served', async () => {
    const { operation } = await audioService().start(prompt('calm piano'), audio({ count: 2, seed: 3, durationSeconds: 8, extra: { model_version: 'stereo-large' } }), makeCtx());
    expect(emu.creates().map((r) => [r.path, bodyOf(r)])).toEqual([
      ['/v1/predictions', { version: MUSICGEN_VERSION, input: { prompt: 'calm piano', duration: 8, model_version: 'stereo-large', seed: 3 } }],
      ['/v1/predictions', { version: MUSICGEN_VERSION, input: { prompt: 'calm piano', duration: 8, model_version: 'stereo-large', seed: 4 } }],
    ]);
    expect(operation).toMatchObject({ model: 'meta/musicgen', version: MUSICGEN_VERSION });
    const { final } = await runJob(audioService(), operation);
    expect(final.state).toBe('done');
    if (final.state !== 'done') return;
    expect(final.result.artifacts).toHaveLength(2);
    for (const art of final.result.artifacts) {
      const url = (art.source as { url: string }).url;
      expect(art).toMatchObject({ mimeType: 'audio/wav', durationSeconds: 8 });
      expect(await download(url)).toEqual(Buffer.from(emu.files.get(url)!.bytes));
    }
    expect(final.result.providerMetadata).toMatchObject({ version: MUSICGEN_VERSION });
  });

  it('extra.output_format mp3 gives MP3s; a fractional duration or a negative prompt is refused for MusicGen; Lyria 2 takes the negative prompt', async () => {
    const { operation } = await audioService().start(prompt('x'), audio({ extra: { output_format: 'mp3' } }), makeCtx());
    const { final } = await runJob(audioService(), operation);
    expect(final.state === 'done' && final.result.artifacts[0]!.mimeType).toBe('audio/mpeg');
    expect(await providerError(() => audioService().start(prompt('x'), audio({ durationSeconds: 7.5, negativePrompt: 'drums' }), makeCtx()))).toMatchObject({
      message: 'meta/musicgen does not support a negative prompt; takes whole seconds only (not 7.5).',
    });
    expect(await providerError(() => audioService().start(prompt('x'), audio({ extra: { output_format: 'flac' } }), makeCtx()))).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^extra\.output_format: /) });
    emu.requests.length = 0;
    await audioService().start(prompt('ambient'), audio({ model: 'google/lyria-2', negativePrompt: 'drums', seed: 5 }), makeCtx());
    expect(emu.creates().map((r) => [r.path, bodyOf(r)])).toEqual([['/v1/models/google/lyria-2/predictions', { input: { prompt: 'ambient', negative_prompt: 'drums', seed: 5 } }]]);
  });
});

describe('tts (sync mode)', () => {
  it('Kokoro by its pinned version: text, voice, speed; a WAV URL as the artifact; the language is not sent (warned)', async () => {
    const out = await ttsService().generate(prompt('Hello there'), tts({ voice: 'bf_emma', speed: 1.25, language: 'en-GB' }), makeCtx());
    const [req] = emu.requests;
    expect(emu.requests).toHaveLength(1);
    expect(req).toMatchObject({ method: 'POST', path: '/v1/predictions' });
    expect(req!.headers.prefer).toMatch(/^wait=\d+$/);
    expect(bodyOf(req)).toEqual({ version: KOKORO_VERSION, input: { text: 'Hello there', voice: 'bf_emma', speed: 1.25 } });
    const [art] = out.artifacts;
    expect(art).toMatchObject({ mimeType: 'audio/wav', source: { kind: 'url' } });
    const url = (art!.source as { url: string }).url;
    expect(await download(url)).toEqual(Buffer.from(emu.files.get(url)!.bytes));
    expect(out.warnings).toEqual(['jaaari/kokoro-82m has no language input: the voice sets the language and accent (language "en-GB" was not sent).']);
    expect(out.providerMetadata).toMatchObject({ version: KOKORO_VERSION, predictTimeSeconds: expect.any(Number) });
  });

  it('mp3, or a speed outside 0.1..5, is refused before any request', async () => {
    expect(await providerError(() => ttsService().generate(prompt('x'), tts({ format: 'mp3' }), makeCtx()))).toMatchObject({ code: 'invalid_request', message: 'jaaari/kokoro-82m speaks wav only; ask for format "wav" (not mp3).' });
    expect(await providerError(() => ttsService().generate(prompt('x'), tts({ speed: 0.05 }), makeCtx()))).toMatchObject({ message: 'jaaari/kokoro-82m takes a speed from 0.1 to 5 (not 0.05).' });
    expect(emu.requests).toHaveLength(0);
  });
});

describe('the SDK quirks client.ts exists for (the bare SDK, not the adapter)', () => {
  it('with its own fetch the SDK answers a 429 by creating again at once — twice in well under the 30 s Retry-After', async () => {
    emu.enqueueFault({ route: 'create', status: 429, retryAfter: '30' });
    const sdk = new Replicate({ auth: emu.token, baseUrl: emu.baseUrl });
    const t0 = Date.now();
    await sdk.predictions.create({ model: 'black-forest-labs/flux-schnell', input: { prompt: 'x' } });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(emu.creates()).toHaveLength(2);
  });

  it('run() resolves to null for a prediction still processing when the sync wait ends', async () => {
    emu.enqueueFault({ syncTimesOut: true });
    const sdk = new Replicate({ auth: emu.token, baseUrl: emu.baseUrl });
    await expect(sdk.run('meta/meta-llama-3-8b-instruct', { input: { prompt: 'x' } })).resolves.toBeNull();
  });
});

describe('models and logs', () => {
  it('the community models among the known ones carry a pinned 64-hex version', () => {
    for (const m of KNOWN_MODELS.values()) {
      if (!m.official) expect(m.version).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('progress comes from the latest percentage in the logs', () => {
    expect(logProgress('Loading\n 12%|#   | 1/8\n 45%|####  | 9/20 [00:01<00:02]\n')).toBe(0.45);
    expect(logProgress('step 3: progress 72.5 %')).toBe(0.725);
    expect(logProgress('no numbers here')).toBeUndefined();
    expect(logProgress(null)).toBeUndefined();
  });
});

function bodyless(cancelPath: string): string {
  return cancelPath.split('/')[3]!;
}
