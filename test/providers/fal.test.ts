/**
 * The fal adapter against the loopback fal queue emulator: what each capability submits (path,
 * `Authorization: Key …`, input mapping, `extra` merged over it), the status/result/cancel
 * paths on the app id alone, progress messages from queue position and logs, the files the
 * result points at, error mapping (auth, 429 + Retry-After, 5xx, a job fal failed), no hidden
 * retries, URLs from a response body never followed off the configured base, and an operation
 * that survives JSON (a restart) and is polled by a fresh adapter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AdapterEnv,
  AudioOptions,
  CallContext,
  GenerationResult,
  ImageOptions,
  LongRunningService,
  Operation,
  OperationStatus,
  ProviderAdapter,
  QuickService,
  TtsOptions,
  VideoOptions,
} from '../../src/providers/base.js';
import fal from '../../src/providers/fal/index.js';
import { encodePng } from '../emulators/media.js';
import { startFalEmulator, type FalEmulator, type RecordedRequest } from '../emulators/fal/index.js';
import { makeCtx, providerError } from '../helpers/provider-kit.js';

const KEY = 'fal-test-id:fal-test-secret';
const ARTIFACT_URI = 'artifact://0000000000aaaaaaaaaaaa';
const ARTIFACT_PNG = encodePng(16, 8, [1, 2, 3]);

function makeEnv(baseUrl: string, env: Record<string, string> = { FAL_AI_API_KEY: KEY }): AdapterEnv {
  return {
    info: {
      id: 'fal',
      displayName: 'fal',
      capabilities: ['image', 'video', 'audio', 'tts'],
      defaultModels: { image: 'fal-ai/flux/schnell', video: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video', audio: 'fal-ai/stable-audio', tts: 'fal-ai/kokoro/american-english' },
      credentialModes: [{ name: 'api key', requires: [['FAL_AI_API_KEY', 'FAL_KEY']] }],
      capabilityKeys: {},
      models: {},
      priority: 30,
      featureFlag: 'ENABLE_PROVIDER_FAL',
      enabledByDefault: false,
      baseUrlEnv: 'FAL_BASE_URL',
      baseUrl,
    },
    env,
    async resolveArtifact(uri) {
      if (uri !== ARTIFACT_URI) throw new Error(`unknown artifact ${uri}`);
      return { data: ARTIFACT_PNG, mimeType: 'image/png' };
    },
    appName: 'mcp-providers-test',
    appUrl: 'https://example.test',
  };
}

const imageOpts = (o: Partial<ImageOptions> = {}): ImageOptions => ({ count: 1, extra: {}, ...o });
const videoOpts = (o: Partial<VideoOptions> = {}): VideoOptions => ({ count: 1, extra: {}, ...o });
const audioOpts = (o: Partial<AudioOptions> = {}): AudioOptions => ({ count: 1, extra: {}, ...o });
const ttsOpts = (o: Partial<TtsOptions> = {}): TtsOptions => ({ format: 'wav', extra: {}, ...o });
const prompt = (text: string) => ({ text, attachments: [] });

const submits = (emu: FalEmulator) => emu.requests.filter((r) => r.method === 'POST');
const statusPolls = (emu: FalEmulator) => emu.requests.filter((r) => r.path.endsWith('/status'));
const cancels = (emu: FalEmulator) => emu.requests.filter((r) => r.method === 'PUT');
const body = (r: RecordedRequest | undefined) => r?.body as Record<string, unknown>;

/** Polls like the runner (without its sleeps) until the job ends; returns every status seen. */
async function runJob<O>(service: LongRunningService<O>, p: { text: string; attachments: never[] | { uri: string }[] }, options: O, ctx: CallContext = makeCtx()) {
  const { operation } = await service.start(p as never, options, ctx);
  // What the job layer stores: it must survive JSON.
  const stored = JSON.parse(JSON.stringify(operation)) as Operation;
  const seen: OperationStatus[] = [];
  for (let i = 0; i < 50; i++) {
    const status = await service.status(stored, ctx);
    seen.push(status);
    if (status.state !== 'pending') return { operation: stored, seen, last: status };
  }
  throw new Error('job did not finish');
}

function doneResult(status: OperationStatus): GenerationResult {
  expect(status.state).toBe('done');
  return (status as { result: GenerationResult }).result;
}

describe('fal adapter', () => {
  let emu: FalEmulator;
  let adapter: ProviderAdapter;
  let image: LongRunningService<ImageOptions>;
  let video: LongRunningService<VideoOptions>;
  let audio: LongRunningService<AudioOptions>;
  let tts: QuickService<TtsOptions>;

  beforeEach(async () => {
    emu = await startFalEmulator({ queuePolls: 1, progressPolls: 1 });
    adapter = await fal.load(makeEnv(emu.baseUrl));
    image = adapter.image as LongRunningService<ImageOptions>;
    video = adapter.video as LongRunningService<VideoOptions>;
    audio = adapter.audio as LongRunningService<AudioOptions>;
    tts = adapter.tts!;
  });
  afterEach(async () => {
    await emu.close();
  });

  it('every media service but tts is a long-running job; tts is a quick call over the same queue', () => {
    expect('start' in image && 'start' in video && 'start' in audio).toBe(true);
    expect('generate' in tts).toBe(true);
    expect(adapter.text).toBeUndefined();
  });

  describe('image', () => {
    it('FLUX schnell: submit path, Key auth, input mapping; status and result on the app id alone; the result files as URL artifacts', async () => {
      const { operation, last } = await runJob(image, prompt('A red fox'), imageOpts({ count: 2, aspectRatio: '16:9', seed: 7, outputMimeType: 'image/jpeg' }));
      const [submit] = submits(emu);
      expect(submit!.path).toBe('/fal-ai/flux/schnell');
      expect(submit!.headers.authorization).toBe(`Key ${KEY}`);
      expect(submit!.headers['content-type']).toBe('application/json');
      expect(body(submit)).toEqual({ prompt: 'A red fox', num_images: 2, image_size: 'landscape_16_9', seed: 7, output_format: 'jpeg' });
      const id = (operation.requests as { id: string }[])[0]!.id;
      expect(operation).toMatchObject({ v: 1, endpoint: 'fal-ai/flux/schnell', requests: [{ endpoint: 'fal-ai/flux/schnell', id }] });
      expect(statusPolls(emu).map((r) => [r.path, r.query.logs])).toEqual([
        [`/fal-ai/flux/requests/${id}/status`, '1'],
        [`/fal-ai/flux/requests/${id}/status`, '1'],
        [`/fal-ai/flux/requests/${id}/status`, '1'],
      ]);
      const resultCall = emu.requests.find((r) => r.method === 'GET' && r.path === `/fal-ai/flux/requests/${id}`);
      expect(resultCall?.headers.authorization).toBe(`Key ${KEY}`);
      const result = doneResult(last);
      expect(result).toMatchObject({ model: 'fal-ai/flux/schnell', requestId: id, providerMetadata: { seeds: [7] } });
      expect(result.artifacts).toHaveLength(2);
      expect(result.artifacts.map((a) => a.source)).toEqual(emu.made.map((f) => ({ kind: 'url', url: f.url })));
      for (const a of result.artifacts) expect(a).toMatchObject({ mimeType: 'image/jpeg', width: 64, height: 40, sourceUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/files\//) });
      expect(result.warnings).toBeUndefined();
    });

    it('aspect ratios without a FLUX preset become an explicit image_size; extra is merged over the mapped input', async () => {
      await runJob(image, prompt('wide'), imageOpts({ aspectRatio: '21:9', extra: { num_inference_steps: 2, enable_safety_checker: false, some_new_field: 'kept' } }));
      expect(body(submits(emu)[0])).toEqual({ prompt: 'wide', num_images: 1, image_size: { width: 1568, height: 672 }, num_inference_steps: 2, enable_safety_checker: false, some_new_field: 'kept' });
      emu.requests.length = 0;
      await runJob(image, prompt('override'), imageOpts({ aspectRatio: '1:1', extra: { image_size: 'square' } }));
      expect(body(submits(emu)[0])).toMatchObject({ image_size: 'square' });
    });

    it('an endpoint with aspect_ratio and image_urls (nano-banana edit): attachments become data URIs; its ratio list is checked', async () => {
      const res = await runJob(image, { text: 'make it blue', attachments: [{ uri: ARTIFACT_URI }, { uri: 'https://example.test/ref.png' }] }, imageOpts({ model: 'fal-ai/nano-banana/edit', aspectRatio: '3:2', outputMimeType: 'image/webp' }));
      expect(submits(emu)[0]!.path).toBe('/fal-ai/nano-banana/edit');
      expect(body(submits(emu)[0])).toEqual({
        prompt: 'make it blue',
        num_images: 1,
        aspect_ratio: '3:2',
        output_format: 'webp',
        image_urls: [`data:image/png;base64,${Buffer.from(ARTIFACT_PNG).toString('base64')}`, 'https://example.test/ref.png'],
      });
      expect(statusPolls(emu)[0]!.path).toMatch(/^\/fal-ai\/nano-banana\/requests\/[\w-]+\/status$/);
      expect(doneResult(res.last).artifacts).toHaveLength(1);
      emu.requests.length = 0;
      const err = await providerError(() => image.start(prompt('x'), imageOpts({ model: 'fal-ai/nano-banana', aspectRatio: '9:21' }), makeCtx()));
      expect(err).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/fal-ai\/nano-banana does not take aspect ratio 9:21; it takes 21:9, 16:9/) });
      expect(emu.requests).toHaveLength(0);
    });

    it('what a known endpoint cannot take fails before any request: negative prompt and webp on FLUX, a reference image on schnell, bad extra types', async () => {
      const cases: [ImageOptions, { text: string; attachments: { uri: string }[] }, RegExp][] = [
        [imageOpts({ negativePrompt: 'blur' }), prompt('x'), /fal-ai\/flux\/schnell does not take a negative prompt/],
        [imageOpts({ outputMimeType: 'image/webp' }), prompt('x'), /does not take output_format webp; it makes jpeg, png/],
        [imageOpts(), { text: 'x', attachments: [{ uri: ARTIFACT_URI }] }, /does not take reference images; use an image-editing endpoint/],
        [imageOpts({ model: 'fal-ai/flux-pro/kontext' }), prompt('x'), /fal-ai\/flux-pro\/kontext edits an image: attach one/],
        [imageOpts({ extra: { num_inference_steps: 'many' } }), prompt('x'), /extra\.num_inference_steps/],
        [imageOpts({ model: '../../etc/passwd' }), prompt('x'), /must be a fal endpoint id/],
        [imageOpts({ model: 'flux' }), prompt('x'), /must be a fal endpoint id/],
      ];
      for (const [options, p, message] of cases) {
        const err = await providerError(() => image.start(p, options, makeCtx()));
        expect(err).toMatchObject({ code: 'invalid_request', providerId: 'fal', message: expect.stringMatching(message) });
      }
      expect(emu.requests).toHaveLength(0);
    });

    it('an endpoint the adapter does not know gets the common fields (both aspect fields) and a warning', async () => {
      const { last } = await runJob(image, prompt('new model'), imageOpts({ model: 'fal-ai/brand-new-image-model', aspectRatio: '4:3', negativePrompt: 'text' }));
      expect(body(submits(emu)[0])).toEqual({ prompt: 'new model', num_images: 1, aspect_ratio: '4:3', image_size: 'landscape_4_3', negative_prompt: 'text' });
      expect(doneResult(last).warnings).toEqual([expect.stringMatching(/fal-ai\/brand-new-image-model is not one of the fal image endpoints this server knows/)]);
    });
  });

  describe('progress and status', () => {
    it('queue position, then the last log line, as progress messages', async () => {
      emu.options.queuePolls = 3;
      emu.options.progressPolls = 2;
      const { seen } = await runJob(image, prompt('slow'), imageOpts());
      expect(seen.map((s) => (s.state === 'pending' ? s.message : s.state))).toEqual([
        'fal: in queue, position 2',
        'fal: in queue, position 1',
        'fal: in queue, position 0',
        'fal: running: step 1 of 2',
        'fal: running: step 2 of 2',
        'done',
      ]);
    });

    it('a job fal fails (422 from the model) is a failed status with fal\'s words, not a thrown poll', async () => {
      const { last } = await runJob(image, prompt(''), imageOpts());
      expect(last).toEqual({ state: 'failed', code: 'invalid_request', message: expect.stringMatching(/^fal job [\w-]+ \(fal-ai\/flux\/schnell\) returned HTTP 422: prompt: Field required \(missing\)$/) });
    });

    it('a content-policy refusal is content_filtered', async () => {
      const { last } = await runJob(image, prompt('something forbidden'), imageOpts());
      expect(last).toMatchObject({ state: 'failed', code: 'content_filtered', message: expect.stringMatching(/flagged by a content checker\. \(content_policy_violation\)/) });
    });

    it('a request error fal gave up on (error_type) is the job\'s failure, coded from its type', async () => {
      emu.enqueueFault({ route: 'submit', jobError: { status: 504, detail: 'Request timed out', errorType: 'request_timeout' } });
      const { last } = await runJob(video, prompt('too slow'), videoOpts());
      expect(last).toMatchObject({ state: 'failed', code: 'timeout', message: expect.stringMatching(/HTTP 504: Request timed out/) });
    });

    it('a failed poll throws (the runner polls again); the job is not submitted again', async () => {
      const { operation } = await image.start(prompt('x'), imageOpts(), makeCtx());
      emu.enqueueFault({ route: 'status', status: 503 }, { route: 'status', status: 429, retryAfter: '3' });
      expect(await providerError(() => image.status(operation, makeCtx()))).toMatchObject({ code: 'unavailable', status: 503 });
      expect(await providerError(() => image.status(operation, makeCtx()))).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3000 });
      expect(await image.status(operation, makeCtx())).toMatchObject({ state: 'pending' });
      expect(submits(emu)).toHaveLength(1);
    });

    it('an operation read back from JSON is polled to the end by a freshly loaded adapter (a restart)', async () => {
      const { operation } = await video.start(prompt('resume me'), videoOpts(), makeCtx());
      const stored = JSON.parse(JSON.stringify(operation)) as Operation;
      const fresh = (await fal.load(makeEnv(emu.baseUrl))).video as LongRunningService<VideoOptions>;
      let status: OperationStatus;
      do status = await fresh.status(stored, makeCtx());
      while (status.state === 'pending');
      const result = doneResult(status);
      expect(result.artifacts[0]).toMatchObject({ mimeType: 'video/mp4', source: { kind: 'url', url: emu.made[0]!.url } });
      expect(submits(emu)).toHaveLength(1);
    });
  });

  describe('video', () => {
    it('Kling (default): aspect_ratio, duration as a string, negative_prompt; count 2 is two requests', async () => {
      const { operation, last } = await runJob(video, prompt('A fox in the snow'), videoOpts({ count: 2, aspectRatio: '9:16', durationSeconds: 10, negativePrompt: 'rain' }));
      expect(submits(emu).map((r) => [r.path, r.body])).toEqual([
        ['/fal-ai/kling-video/v2.5-turbo/pro/text-to-video', { prompt: 'A fox in the snow', aspect_ratio: '9:16', duration: '10', negative_prompt: 'rain' }],
        ['/fal-ai/kling-video/v2.5-turbo/pro/text-to-video', { prompt: 'A fox in the snow', aspect_ratio: '9:16', duration: '10', negative_prompt: 'rain' }],
      ]);
      expect(statusPolls(emu).every((r) => r.path.startsWith('/fal-ai/kling-video/requests/'))).toBe(true);
      expect((operation.requests as unknown[]).length).toBe(2);
      const result = doneResult(last);
      expect(result.artifacts.map((a) => [a.mimeType, a.durationSeconds, a.source])).toEqual(emu.made.map((f) => ['video/mp4', 10, { kind: 'url', url: f.url }]));
    });

    it('several requests report progress as "request i of n"', async () => {
      emu.options.queuePolls = 1;
      const { seen } = await runJob(video, prompt('two'), videoOpts({ count: 2 }));
      expect(seen.filter((s) => s.state === 'pending').map((s) => (s as { message: string }).message)).toContain('fal: in queue, position 0 (request 1 of 2)');
    });

    it('a first frame moves Kling text-to-video to its image-to-video endpoint; the last frame goes to tail_image_url', async () => {
      const { last } = await runJob(video, prompt('animate'), videoOpts({ image: { uri: ARTIFACT_URI }, lastFrame: { data: ARTIFACT_PNG, mimeType: 'image/png' }, durationSeconds: 5 }));
      const dataUri = `data:image/png;base64,${Buffer.from(ARTIFACT_PNG).toString('base64')}`;
      expect(submits(emu)[0]!.path).toBe('/fal-ai/kling-video/v2.5-turbo/pro/image-to-video');
      expect(body(submits(emu)[0])).toEqual({ prompt: 'animate', duration: '5', image_url: dataUri, tail_image_url: dataUri });
      expect(doneResult(last)).toMatchObject({ model: 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video', warnings: [expect.stringMatching(/A first frame was given/)] });
    });

    it('Veo 3: duration "8s", seed, resolution, generate_audio; limits checked before any request', async () => {
      await runJob(video, prompt('veo'), videoOpts({ model: 'fal-ai/veo3', durationSeconds: 8, seed: 3, resolution: '1080p', generateAudio: true, aspectRatio: '16:9' }));
      expect(body(submits(emu)[0])).toEqual({ prompt: 'veo', aspect_ratio: '16:9', duration: '8s', seed: 3, resolution: '1080p', generate_audio: true });
      emu.requests.length = 0;
      for (const [o, m] of [
        [videoOpts({ model: 'fal-ai/veo3', durationSeconds: 5 }), /does not take 5 s; it makes 4, 6, 8 s/],
        [videoOpts({ durationSeconds: 7 }), /kling-video\/v2\.5-turbo\/pro\/text-to-video does not take 7 s; it makes 5, 10 s/],
        [videoOpts({ seed: 1 }), /does not take a seed/],
        [videoOpts({ generateAudio: true }), /does not take generate_audio/],
        [videoOpts({ model: 'fal-ai/minimax/hailuo-02/standard/text-to-video', image: { uri: ARTIFACT_URI } }), /does not take a first frame/],
        [videoOpts({ model: 'fal-ai/kling-video/v2.1/standard/image-to-video' }), /animates an image: give image/],
        [videoOpts({ lastFrame: { uri: ARTIFACT_URI } }), /last_frame needs image/],
        [videoOpts({ image: { uri: 'gs://bucket/frame.png' } }), /fal cannot read gs: URIs/],
      ] as const) {
        expect(await providerError(() => video.start(prompt('x'), o, makeCtx()))).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(m) });
      }
      expect(emu.requests).toHaveLength(0);
    });
  });

  describe('audio', () => {
    it('Stable Audio (default): seconds_total; the WAV in audio_file', async () => {
      const { last } = await runJob(audio, prompt('calm piano'), audioOpts({ durationSeconds: 2 }));
      expect(submits(emu)[0]!.path).toBe('/fal-ai/stable-audio');
      expect(body(submits(emu)[0])).toEqual({ prompt: 'calm piano', seconds_total: 2 });
      expect(statusPolls(emu)[0]!.path).toMatch(/^\/fal-ai\/stable-audio\/requests\//);
      expect(doneResult(last).artifacts).toEqual([{ source: { kind: 'url', url: emu.made[0]!.url }, sourceUri: emu.made[0]!.url, mimeType: 'audio/wav', durationSeconds: 2 }]);
    });

    it('ElevenLabs sound effects: text and duration_seconds, an MP3; Lyria 2: negative prompt and seed, no duration', async () => {
      const sfx = await runJob(audio, prompt('door slam'), audioOpts({ model: 'fal-ai/elevenlabs/sound-effects/v2', durationSeconds: 1.5, count: 2 }));
      expect(submits(emu).map((r) => r.body)).toEqual([{ text: 'door slam', duration_seconds: 1.5 }, { text: 'door slam', duration_seconds: 1.5 }]);
      expect(doneResult(sfx.last).artifacts.map((a) => a.mimeType)).toEqual(['audio/mpeg', 'audio/mpeg']);
      emu.requests.length = 0;
      await runJob(audio, prompt('jazz'), audioOpts({ model: 'fal-ai/lyria2', negativePrompt: 'drums', seed: 5, count: 2 }));
      expect(submits(emu).map((r) => r.body)).toEqual([
        { prompt: 'jazz', negative_prompt: 'drums', seed: 5 },
        { prompt: 'jazz', negative_prompt: 'drums', seed: 6 },
      ]);
      emu.requests.length = 0;
      expect(await providerError(() => audio.start(prompt('x'), audioOpts({ model: 'fal-ai/lyria2', durationSeconds: 10 }), makeCtx()))).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/lyria2 does not take a duration/) });
      expect(await providerError(() => audio.start(prompt('x'), audioOpts({ negativePrompt: 'x' }), makeCtx()))).toMatchObject({ message: expect.stringMatching(/stable-audio does not take a negative prompt/) });
      expect(emu.requests).toHaveLength(0);
    });
  });

  describe('tts', () => {
    it('Kokoro (default): prompt, voice and speed; polled to the end inside the call, with progress', async () => {
      emu.options.queuePolls = 2;
      const progress: string[] = [];
      const result = await tts.generate(prompt('Hello there'), ttsOpts({ voice: 'af_bella', speed: 1.25 }), makeCtx({ progress: (p) => void progress.push(p.message ?? '') }));
      expect(submits(emu)[0]!.path).toBe('/fal-ai/kokoro/american-english');
      expect(body(submits(emu)[0])).toEqual({ prompt: 'Hello there', voice: 'af_bella', speed: 1.25 });
      expect(statusPolls(emu).every((r) => r.path.startsWith('/fal-ai/kokoro/requests/'))).toBe(true);
      expect(progress).toEqual(['fal: in queue, position 1', 'fal: in queue, position 0', 'fal: running: step 1 of 1']);
      expect(result.artifacts).toEqual([{ source: { kind: 'url', url: emu.made[0]!.url }, sourceUri: emu.made[0]!.url, mimeType: 'audio/wav' }]);
    });

    it('ElevenLabs: text, voice, speed and language_code; an MP3 with a warning when wav was asked for; limits checked', async () => {
      const result = await tts.generate(prompt('Bonjour'), ttsOpts({ model: 'fal-ai/elevenlabs/tts/multilingual-v2', voice: 'Aria', speed: 1.1, language: 'fr' }), makeCtx());
      expect(body(submits(emu)[0])).toEqual({ text: 'Bonjour', voice: 'Aria', speed: 1.1, language_code: 'fr' });
      expect(result.artifacts[0]!.mimeType).toBe('audio/mpeg');
      expect(result.warnings).toEqual([expect.stringMatching(/makes audio\/mpeg; format wav cannot be chosen/)]);
      emu.requests.length = 0;
      expect(await providerError(() => tts.generate(prompt('x'), ttsOpts({ voice: 'klingon' }), makeCtx()))).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/no voice "klingon"; its voices: af_heart/) });
      expect(await providerError(() => tts.generate(prompt('x'), ttsOpts({ model: 'fal-ai/elevenlabs/tts/multilingual-v2', speed: 2 }), makeCtx()))).toMatchObject({ message: expect.stringMatching(/speed 2; it takes 0.7 to 1.2/) });
      expect(emu.requests).toHaveLength(0);
    });

    it('a cancelled call cancels the fal request', async () => {
      emu.options.progressPolls = Infinity;
      const ac = new AbortController();
      const pending = tts.generate(prompt('long'), ttsOpts(), makeCtx({ signal: ac.signal, progress: () => ac.abort() }));
      expect(await providerError(() => pending)).toMatchObject({ code: 'cancelled' });
      expect(cancels(emu).map((r) => r.path)).toEqual([expect.stringMatching(/^\/fal-ai\/kokoro\/requests\/[\w-]+\/cancel$/)]);
    });

    it('a job that fails after it was accepted is final (not retryable), so the runner never submits it again', async () => {
      emu.enqueueFault({ route: 'submit', jobError: { status: 503, detail: 'Runner disconnected', errorType: 'runner_disconnected' } });
      const err = await providerError(() => tts.generate(prompt('x'), ttsOpts(), makeCtx()));
      expect(err).toMatchObject({ code: 'unavailable', retryable: false, message: expect.stringMatching(/Runner disconnected/) });
    });
  });

  describe('cancel', () => {
    it('PUT …/cancel on the app id: true while queued or running, false once completed', async () => {
      emu.options.progressPolls = 3;
      const { operation } = await video.start(prompt('stop me'), videoOpts(), makeCtx());
      await video.status(operation, makeCtx());
      expect(await video.cancel(operation, makeCtx())).toBe(true);
      const id = (operation.requests as { id: string }[])[0]!.id;
      expect(cancels(emu).map((r) => [r.path, r.headers.authorization])).toEqual([[`/fal-ai/kling-video/requests/${id}/cancel`, `Key ${KEY}`]]);
      expect(emu.jobs.get(id)!.cancelled).toBe(true);

      const done = await runJob(image, prompt('finished'), imageOpts());
      expect(await image.cancel(done.operation, makeCtx())).toBe(false);

      // The runner cancels a job whose deadline has passed: the cancel is still sent.
      const late = await video.start(prompt('late'), videoOpts(), makeCtx());
      expect(await video.cancel(late.operation, makeCtx({ deadline: Date.now() - 1000 }))).toBe(true);
      expect(cancels(emu)).toHaveLength(3);
    });
  });

  describe('errors and the wire', () => {
    it('401 is auth (naming the variables, never the key); 429 keeps Retry-After; 503 is unavailable; an unknown app is not_found', async () => {
      const bad = await fal.load(makeEnv(emu.baseUrl, { FAL_KEY: 'wrong-id:wrong-secret' }));
      const auth = await providerError(() => (bad.image as LongRunningService<ImageOptions>).start(prompt('x'), imageOpts(), makeCtx()));
      expect(auth).toMatchObject({ code: 'auth', status: 401, message: expect.stringMatching(/No user found for Key ID and Secret\. Check FAL_AI_API_KEY \(or FAL_KEY\)/) });
      expect(auth.message).not.toContain('wrong-secret');
      expect(emu.requests.at(-1)!.headers.authorization).toBe('Key wrong-id:wrong-secret');

      emu.enqueueFault({ route: 'submit', status: 429, retryAfter: '7' });
      expect(await providerError(() => image.start(prompt('x'), imageOpts(), makeCtx()))).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 7000 });
      emu.enqueueFault({ route: 'submit', status: 503, errorType: 'runner_scheduling_failure', detail: 'No runner available' });
      expect(await providerError(() => image.start(prompt('x'), imageOpts(), makeCtx()))).toMatchObject({ code: 'unavailable', retryable: true, message: expect.stringMatching(/HTTP 503: No runner available/) });
      emu.enqueueFault({ route: 'submit', status: 500, retryable: false });
      expect(await providerError(() => image.start(prompt('x'), imageOpts(), makeCtx()))).toMatchObject({ code: 'unavailable', retryable: false });
      expect(await providerError(() => image.start(prompt('x'), imageOpts({ model: 'nobody/nothing' }), makeCtx()))).toMatchObject({ code: 'not_found', status: 404, message: expect.stringMatching(/Application 'nobody\/nothing' not found/) });
      emu.enqueueFault({ route: 'submit', status: 403, detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' });
      expect(await providerError(() => image.start(prompt('x'), imageOpts(), makeCtx()))).toMatchObject({ code: 'quota' });
    });

    it('no hidden retries: one failed submit is one request at fal (the runner decides on retries)', async () => {
      emu.enqueueFault({ route: 'submit', status: 503 }, { route: 'submit', status: 503 });
      await providerError(() => image.start(prompt('x'), imageOpts(), makeCtx()));
      expect(submits(emu)).toHaveLength(1);
      emu.enqueueFault({ route: 'submit', reset: true });
      expect(await providerError(() => image.start(prompt('x'), imageOpts(), makeCtx()))).toMatchObject({ code: 'unavailable' });
      expect(submits(emu)).toHaveLength(2);
    });

    it('URLs in a response body on another origin are not followed: status, result and cancel go to the configured base', async () => {
      emu.enqueueFault({ route: 'submit', foreignUrls: true });
      const { operation, last } = await runJob(image, prompt('stay home'), imageOpts());
      expect(JSON.stringify(operation)).not.toContain('fal-elsewhere.invalid');
      expect(statusPolls(emu).length).toBeGreaterThan(0);
      expect(doneResult(last).artifacts).toHaveLength(1);
      expect(await image.cancel(operation, makeCtx())).toBe(false);
      expect(cancels(emu)).toHaveLength(1);
    });

    it('a second request refused after the first was accepted keeps the first (paid) one, with a warning', async () => {
      emu.enqueueFault({ route: 'submit', delayMs: 0 }, { route: 'submit', status: 429 });
      const { operation, last } = await runJob(video, prompt('two'), videoOpts({ count: 2 }));
      expect((operation.requests as unknown[]).length).toBe(1);
      const result = doneResult(last);
      expect(result.artifacts).toHaveLength(1);
      expect(result.warnings).toEqual([expect.stringMatching(/fal accepted 1 of 2 requests; the next was refused: .*HTTP 429/)]);
    });

    it('without a key, load fails with auth', async () => {
      expect(await providerError(() => fal.load(makeEnv(emu.baseUrl, {})))).toMatchObject({ code: 'auth', message: 'fal needs FAL_AI_API_KEY (or FAL_KEY).' });
    });
  });
});
