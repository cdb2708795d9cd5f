/**
 * The Hugging Face adapter, through the real @huggingface/inference client, against the loopback
 * emulator (router, Hub mapping and result files on one origin). A fetch guard fails any request
 * that is not for 127.0.0.1, and every test ends by checking that all requests went to the
 * emulator — nothing to huggingface.co, router.huggingface.co or fal's queue host.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  AdapterEnv,
  AudioOptions,
  CallContext,
  GeneratedArtifact,
  ImageOptions,
  LongRunningService,
  ProviderAdapter,
  QuickService,
  TextOptions,
  TtsOptions,
  VideoOptions,
} from '../../src/providers/base.js';
import huggingface from '../../src/providers/huggingface/index.js';
import { routeUrl } from '../../src/providers/huggingface/client.js';
import { loadProviderInfos } from '../../src/registry/config.js';
import { createLogger } from '../../src/util/logger.js';
import { startHfEmulator, type HfEmulator, type RecordedRequest } from '../emulators/huggingface/index.js';
import { providerError } from '../helpers/provider-kit.js';

const TOKEN = 'hf_test_token_abcdefghijklmnop';

// ---------------------------------------------------------------------------
// The fetch guard: every fetch in this process, the SDK's included, must go to 127.0.0.1.
// ---------------------------------------------------------------------------

const fetched: string[] = [];
const refused: string[] = [];
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    fetched.push(url);
    if (new URL(url).hostname !== '127.0.0.1') {
      refused.push(url);
      throw new TypeError(`fetch guard: ${url} is not the emulator`);
    }
    return realFetch(input, init);
  }) as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

function makeEnv(baseUrl: string, env: Record<string, string> = {}): AdapterEnv {
  const info = loadProviderInfos({ HUGGINGFACE_BASE_URL: baseUrl, ...env }).find((p) => p.id === 'huggingface')!;
  return {
    info,
    env: { HUGGINGFACE_API_TOKEN: TOKEN, MCP_PROVIDERS_LOG_LEVEL: 'silent', ...env },
    resolveArtifact: () => Promise.reject(new Error('no artifacts here')),
    appName: 'mcp-providers-test',
    appUrl: 'https://example.test',
  };
}

function makeCtx(overrides: Partial<CallContext> = {}): CallContext & { progressCalls: { fraction?: number; message?: string }[] } {
  const progressCalls: { fraction?: number; message?: string }[] = [];
  return { signal: new AbortController().signal, progress: (p) => void progressCalls.push(p), logger: createLogger('silent'), deadline: Date.now() + 20_000, progressCalls, ...overrides };
}

const textOpts = (o: Partial<TextOptions> = {}): TextOptions => ({ extra: {}, ...o });
const imageOpts = (o: Partial<ImageOptions> = {}): ImageOptions => ({ count: 1, extra: {}, ...o });
const videoOpts = (o: Partial<VideoOptions> = {}): VideoOptions => ({ count: 1, extra: {}, ...o });
const audioOpts = (o: Partial<AudioOptions> = {}): AudioOptions => ({ count: 1, extra: {}, ...o });
const ttsOpts = (o: Partial<TtsOptions> = {}): TtsOptions => ({ format: 'wav', extra: {}, ...o });
const prompt = (text: string) => ({ text, attachments: [] });

function body(r: RecordedRequest | undefined): Record<string, any> {
  expect(r?.body).toBeTypeOf('object');
  return r!.body as Record<string, any>;
}

/** The artifact's bytes: inline, or downloaded from its URL (which must be on the emulator). */
async function bytesOf(a: GeneratedArtifact, emu: HfEmulator): Promise<Buffer> {
  if (a.source.kind === 'bytes') return Buffer.from(a.source.data);
  if (a.source.kind !== 'url') throw new Error('unexpected stream');
  expect(a.source.url.startsWith(`${emu.baseUrl}/files/`)).toBe(true);
  const res = await fetch(a.source.url);
  return Buffer.from(await res.arrayBuffer());
}

const routes = (emu: HfEmulator) => emu.requests.map((r) => r.route);

describe('huggingface adapter', () => {
  let emu: HfEmulator;
  let adapter: ProviderAdapter;

  beforeEach(async () => {
    emu = await startHfEmulator({
      token: TOKEN,
      mappings: {
        'emu/staging-chat': [{ provider: 'together', providerId: 'emu-staging-chat', task: 'conversational', status: 'staging' }],
      },
    });
    adapter = await huggingface.load(makeEnv(emu.baseUrl));
    fetched.length = 0;
  });
  afterEach(async () => {
    await emu.close();
    // Nothing left the machine: every request went to the emulator's origin.
    expect(refused).toEqual([]);
    for (const url of fetched) expect(url.startsWith(emu.baseUrl)).toBe(true);
    for (const r of emu.requests) if (r.route !== 'file') expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  describe('text', () => {
    it('auto: the router picks the provider, POST /v1/chat/completions, no Hub lookup; usage and request id', async () => {
      const ctx = makeCtx();
      const res = await adapter.text!.generate({ text: 'Name three moons', system: 'Be brief', attachments: [] }, textOpts({ maxTokens: 50, temperature: 0.2, topP: 0.9, seed: 7, responseFormat: 'json' }), ctx);
      expect(emu.requests).toHaveLength(1);
      const [req] = emu.requests;
      expect(req!.path).toBe('/v1/chat/completions');
      expect(req!.headers['content-type']).toMatch(/application\/json/);
      expect(body(req)).toEqual({
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Name three moons' }],
        max_tokens: 50,
        temperature: 0.2,
        top_p: 0.9,
        seed: 7,
        response_format: { type: 'json_object' },
      });
      const answered = req!.response as { usage: { prompt_tokens: number; completion_tokens: number } };
      expect(res).toMatchObject({ model: 'meta-llama/Llama-3.1-8B-Instruct', text: 'echo: Name three moons', artifacts: [] });
      expect(res.usage).toEqual({ inputTokens: answered.usage.prompt_tokens, outputTokens: answered.usage.completion_tokens });
      expect(res.usage!.inputTokens).toBeGreaterThan(0);
      expect(res.requestId).toBe('chatcmpl-emu-1');
      expect(res.providerMetadata).toMatchObject({ inferenceProvider: 'auto', httpRequestId: 'emu-req-1' });
    });

    it('extra.provider together: the Hub mapping, then /together/v1/chat/completions with the provider id; other extra keys and bill_to pass through', async () => {
      const res = await adapter.text!.generate(prompt('hi'), textOpts({ extra: { provider: 'together', stop: ['\n\n'], bill_to: 'my-org' } }), makeCtx());
      expect(routes(emu)).toEqual(['hub', 'chat']);
      const [hub, chat] = emu.requests;
      expect(hub!.path).toBe('/api/models/meta-llama/Llama-3.1-8B-Instruct');
      expect(hub!.query).toEqual({ 'expand[]': 'inferenceProviderMapping' });
      expect(chat!.path).toBe('/together/v1/chat/completions');
      expect(chat!.headers['x-hf-bill-to']).toBe('my-org');
      expect(body(chat)).toMatchObject({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', stop: ['\n\n'], messages: [{ role: 'user', content: 'hi' }] });
      expect(body(chat)).not.toHaveProperty('provider');
      expect(body(chat)).not.toHaveProperty('bill_to');
      expect(res.providerMetadata).toMatchObject({ inferenceProvider: 'together' });
    });

    it('hf-inference: POST /hf-inference/models/{model}/v1/chat/completions', async () => {
      await adapter.text!.generate(prompt('hi'), textOpts({ extra: { provider: 'hf-inference' } }), makeCtx());
      const chat = emu.requests.find((r) => r.route === 'chat')!;
      expect(chat.path).toBe('/hf-inference/models/meta-llama/Llama-3.1-8B-Instruct/v1/chat/completions');
    });

    it('the client logs through our logger, never console (a staging mapping makes it warn)', async () => {
      const spies = (['log', 'info', 'warn', 'debug', 'error'] as const).map((m) => vi.spyOn(console, m));
      try {
        await adapter.text!.generate(prompt('hi'), textOpts({ model: 'emu/staging-chat', extra: { provider: 'together' } }), makeCtx());
      } finally {
        for (const s of spies) {
          expect(s).not.toHaveBeenCalled();
          s.mockRestore();
        }
      }
      expect(emu.requests.find((r) => r.route === 'chat')!.path).toBe('/together/v1/chat/completions');
    });

    it('a 503 is one request, not the client\'s endless retry; estimated_time becomes retryAfterMs', async () => {
      emu.enqueueFault({ route: 'chat', status: 503, message: 'Model meta-llama/Llama-3.1-8B-Instruct is currently loading', estimatedTime: 20.5 });
      const err = await providerError(() => adapter.text!.generate(prompt('hi'), textOpts(), makeCtx()));
      expect(emu.requests).toHaveLength(1);
      expect(err).toMatchObject({ code: 'unavailable', status: 503, retryable: true, retryAfterMs: 20_500, requestId: 'emu-req-1' });
      expect(err.message).toMatch(/currently loading/);
    });

    it('maps 401, 402, 404, 422, 429 (Retry-After) and 500, keeping the provider\'s words and never the token', async () => {
      const cases = [
        { fault: { status: 401 }, code: 'auth', words: /Invalid credentials.*HUGGINGFACE_API_TOKEN/ },
        { fault: { status: 402 }, code: 'quota', words: /exceeded your monthly included credits/ },
        { fault: { status: 404, message: 'Model not found' }, code: 'not_found', words: /Model not found/ },
        { fault: { status: 422, message: 'max_tokens must be at most 4096' }, code: 'invalid_request', words: /max_tokens must be at most 4096/ },
        { fault: { status: 429, retryAfter: '7' }, code: 'rate_limited', words: /rate limit/, retryAfterMs: 7000 },
        { fault: { status: 500, body: { error: { message: 'upstream exploded', type: 'server_error' } } }, code: 'unavailable', words: /upstream exploded/ },
      ] as const;
      for (const c of cases) {
        emu.enqueueFault({ route: 'chat', ...c.fault });
        const err = await providerError(() => adapter.text!.generate(prompt('hi'), textOpts(), makeCtx()));
        expect(err.code).toBe(c.code);
        expect(err.status).toBe(c.fault.status);
        expect(err.message).toMatch(c.words);
        expect(err.message).not.toContain(TOKEN);
        if ('retryAfterMs' in c) expect(err.retryAfterMs).toBe(c.retryAfterMs);
      }
      expect(emu.requests).toHaveLength(cases.length);
    });

    it('a reset connection is unavailable; a cancelled call is cancelled', async () => {
      emu.enqueueFault({ route: 'chat', reset: true });
      expect((await providerError(() => adapter.text!.generate(prompt('hi'), textOpts(), makeCtx()))).code).toBe('unavailable');
      emu.enqueueFault({ route: 'chat', delayMs: 5000 });
      const controller = new AbortController();
      const pending = adapter.text!.generate(prompt('hi'), textOpts(), makeCtx({ signal: controller.signal }));
      setTimeout(() => controller.abort(), 100);
      expect((await providerError(() => pending)).code).toBe('cancelled');
    });
  });

  describe('image', () => {
    const image = () => adapter.image as QuickService<ImageOptions>;

    it('default (auto → hf-inference, first in the mapping): Hub lookup, POST /hf-inference/models/{model} with {inputs, parameters}; the bytes as served', async () => {
      const ctx = makeCtx();
      const res = await image().generate(prompt('A red square'), imageOpts({ aspectRatio: '16:9', seed: 5, negativePrompt: 'blur' }), ctx);
      expect(routes(emu)).toEqual(['hub', 'hf-inference']);
      expect(emu.requests[0]!.path).toBe('/api/models/black-forest-labs/FLUX.1-schnell');
      const req = emu.requests[1]!;
      expect(req.path).toBe('/hf-inference/models/black-forest-labs/FLUX.1-schnell');
      expect(body(req)).toEqual({ inputs: 'A red square', parameters: { negative_prompt: 'blur', seed: 5, width: 1024, height: 576 } });
      const [art] = res.artifacts;
      expect(art).toMatchObject({ mimeType: 'image/png', width: 8, height: 8, source: { kind: 'bytes' } });
      expect(await bytesOf(art!, emu)).toEqual(Buffer.from(emu.sent.images[0]!));
      expect(res.providerMetadata).toMatchObject({ inferenceProvider: 'hf-inference' });
    });

    it('extra.provider fal-ai: a queue job at /fal-ai/{fal id}?_subdomain=queue, polled at /fal-ai/{app}/requests/{id}/status, the result URL on the emulator', async () => {
      const ctx = makeCtx();
      const res = await image().generate(prompt('A fox'), imageOpts({ aspectRatio: '1:1', seed: 3, outputMimeType: 'image/png', extra: { provider: 'fal-ai', num_inference_steps: 2 } }), ctx);
      expect(ctx.progressCalls.map((p) => p.message)).toContain('image 1 of 1: fal queued (position 1)');
      expect(routes(emu)).toEqual(['hub', 'fal-submit', 'fal-status', 'fal-status', 'fal-result']);
      const [, submit, status, , result] = emu.requests;
      expect(submit!.path).toBe('/fal-ai/fal-ai/flux/schnell');
      expect(submit!.query).toEqual({ _subdomain: 'queue' });
      expect(body(submit)).toEqual({ prompt: 'A fox', seed: 3, image_size: { width: 1024, height: 1024 }, output_format: 'png', num_inference_steps: 2 });
      const id = [...emu.falJobs.keys()][0]!;
      // The app id from fal's response_url (fal-ai/flux, not fal-ai/flux/schnell), under the router's /fal-ai prefix.
      expect(status!.path).toBe(`/fal-ai/fal-ai/flux/requests/${id}/status`);
      expect(status!.query).toEqual({ _subdomain: 'queue' });
      expect(result!.path).toBe(`/fal-ai/fal-ai/flux/requests/${id}`);
      const [art] = res.artifacts;
      expect(art).toMatchObject({ mimeType: 'image/png', width: 8, height: 8, source: { kind: 'url' } });
      expect(await bytesOf(art!, emu)).toEqual(Buffer.from(emu.sent.images[0]!));
      expect(res.requestId).toBe(id);
    });

    it('count 2: two requests, seed and seed + 1', async () => {
      const res = await image().generate(prompt('two'), imageOpts({ count: 2, seed: 10, extra: { provider: 'hf-inference' } }), makeCtx());
      const posts = emu.requests.filter((r) => r.route === 'hf-inference');
      expect(posts.map((r) => body(r).parameters.seed)).toEqual([10, 11]);
      expect(res.artifacts).toHaveLength(2);
      expect(await bytesOf(res.artifacts[1]!, emu)).toEqual(Buffer.from(emu.sent.images[1]!));
    });

    it('together: /together/v1/images/generations, base64 in the answer', async () => {
      const res = await image().generate(prompt('A tree'), imageOpts({ aspectRatio: '3:4', extra: { provider: 'together' } }), makeCtx());
      const req = emu.requests.find((r) => r.route === 'together')!;
      expect(body(req)).toMatchObject({ prompt: 'A tree', model: 'black-forest-labs/FLUX.1-schnell', response_format: 'base64', width: 768, height: 1024 });
      expect(await bytesOf(res.artifacts[0]!, emu)).toEqual(Buffer.from(emu.sent.images[0]!));
    });

    it('replicate: a prediction with Prefer: wait; the output URL on the emulator', async () => {
      const res = await image().generate(prompt('A boat'), imageOpts({ aspectRatio: '16:9', extra: { provider: 'replicate' } }), makeCtx());
      const req = emu.requests.find((r) => r.route === 'replicate')!;
      expect(req.path).toBe('/replicate/v1/models/black-forest-labs/flux-schnell/predictions');
      expect(req.headers.prefer).toBe('wait');
      expect(body(req)).toMatchObject({ input: { prompt: 'A boat', aspect_ratio: '16:9' } });
      expect(await bytesOf(res.artifacts[0]!, emu)).toEqual(Buffer.from(emu.sent.images[0]!));
    });

    it('a failed fal job (its result answers 422) is invalid_request with fal\'s detail; one submit', async () => {
      emu.enqueueFault({ route: 'fal-result', status: 422, body: { detail: [{ loc: ['body', 'image_size'], msg: 'unsupported size', type: 'value_error' }] } });
      const err = await providerError(() => image().generate(prompt('x'), imageOpts({ extra: { provider: 'fal-ai' } }), makeCtx()));
      expect(err).toMatchObject({ code: 'invalid_request', status: 422 });
      expect(err.message).toMatch(/body\.image_size: unsupported size/);
      expect(emu.requests.filter((r) => r.route === 'fal-submit')).toHaveLength(1);
    });

    it('a failing fal status poll is polled again, not submitted again', async () => {
      emu.enqueueFault({ route: 'fal-status', status: 503 }, { route: 'fal-status', reset: true });
      const res = await image().generate(prompt('x'), imageOpts({ extra: { provider: 'fal-ai' } }), makeCtx());
      expect(res.artifacts).toHaveLength(1);
      expect(emu.requests.filter((r) => r.route === 'fal-submit')).toHaveLength(1);
      expect(emu.requests.filter((r) => r.route === 'fal-status').length).toBeGreaterThanOrEqual(4);
    });

    it('a model the Hub does not know is not_found; a provider that does not serve it names those that do; neither is paid for', async () => {
      const unknown = await providerError(() => image().generate(prompt('x'), imageOpts({ model: 'nobody/nothing' }), makeCtx()));
      expect(unknown).toMatchObject({ code: 'not_found' });
      expect(unknown.message).toMatch(/nobody\/nothing was not found on the Hub/);
      const wrong = await providerError(() => image().generate(prompt('x'), imageOpts({ extra: { provider: 'nscale' } }), makeCtx()));
      expect(wrong).toMatchObject({ code: 'not_found' });
      expect(wrong.message).toMatch(/served by hf-inference, fal-ai, together, replicate/);
      const bad = await providerError(() => image().generate(prompt('x'), imageOpts({ extra: { provider: 'zai-org' } }), makeCtx()));
      expect(bad.code).toBe('unsupported');
      expect(routes(emu).every((r) => r === 'hub')).toBe(true);
    });
  });

  describe('video (long-running, fal-ai queue)', () => {
    const video = () => adapter.video as LongRunningService<VideoOptions>;

    it('start: auto skips wavespeed (unsupported) for fal-ai; the operation is plain JSON with router URLs and no token; status pending, then done with the video URL', async () => {
      const ctx = makeCtx();
      const { operation } = await video().start(prompt('A fox in snow'), videoOpts({ aspectRatio: '16:9', resolution: '720p', seed: 9, negativePrompt: 'text', extra: { num_frames: 81 } }), ctx);
      expect(routes(emu)).toEqual(['hub', 'fal-submit']);
      const submit = emu.requests[1]!;
      expect(submit.path).toBe('/fal-ai/fal-ai/wan-t2v');
      expect(submit.query).toEqual({ _subdomain: 'queue' });
      expect(body(submit)).toEqual({ prompt: 'A fox in snow', negative_prompt: 'text', seed: 9, aspect_ratio: '16:9', resolution: '720p', num_frames: 81 });
      const stored = JSON.parse(JSON.stringify(operation)) as typeof operation;
      expect(JSON.stringify(stored)).not.toContain(TOKEN);
      const id = [...emu.falJobs.keys()][0]!;
      expect(stored).toMatchObject({
        v: 1,
        requestId: id,
        model: 'Wan-AI/Wan2.1-T2V-14B',
        inferenceProvider: 'fal-ai',
        statusUrl: `https://router.huggingface.co/fal-ai/fal-ai/wan-t2v/requests/${id}/status?_subdomain=queue`,
        resultUrl: `https://router.huggingface.co/fal-ai/fal-ai/wan-t2v/requests/${id}?_subdomain=queue`,
      });
      expect(await video().status(stored, ctx)).toMatchObject({ state: 'pending', message: expect.stringMatching(/queued \(position 1\)/) });
      const done = await video().status(stored, ctx);
      expect(done.state).toBe('done');
      if (done.state !== 'done') return;
      const [art] = done.result.artifacts;
      expect(art).toMatchObject({ mimeType: 'video/mp4', source: { kind: 'url' } });
      expect(await bytesOf(art!, emu)).toEqual(Buffer.from(emu.sent.videos[0]!));
      expect(routes(emu).filter((r) => r === 'fal-submit')).toHaveLength(1);
    });

    it('cancel: PUT /fal-ai/{app}/requests/{id}/cancel → true', async () => {
      const ctx = makeCtx();
      const { operation } = await video().start(prompt('stop me'), videoOpts(), ctx);
      expect(await video().cancel(operation, ctx)).toBe(true);
      const cancel = emu.requests.find((r) => r.route === 'fal-cancel')!;
      const id = [...emu.falJobs.keys()][0]!;
      expect(cancel.method).toBe('PUT');
      expect(cancel.path).toBe(`/fal-ai/fal-ai/wan-t2v/requests/${id}/cancel`);
      expect(emu.falJobs.get(id)!.cancelled).toBe(true);
    });

    it('a job fal failed is a failed status (a value), with fal\'s words; a failing poll throws (polled again)', async () => {
      const ctx = makeCtx();
      const { operation } = await video().start(prompt('x'), videoOpts(), ctx);
      emu.enqueueFault({ route: 'fal-status', status: 502 });
      expect((await providerError(() => video().status(operation, ctx))).code).toBe('unavailable');
      await video().status(operation, ctx); // poll 1: queued
      emu.enqueueFault({ route: 'fal-result', status: 500, body: { detail: 'CUDA out of memory' } });
      expect(await video().status(operation, ctx)).toMatchObject({ state: 'failed', code: 'unavailable', message: expect.stringMatching(/CUDA out of memory/) });
    });

    it('unsupported asks fail before anything is paid for: count 2, an image, a provider without a readable queue', async () => {
      expect((await providerError(() => video().start(prompt('x'), videoOpts({ count: 2 }), makeCtx()))).code).toBe('invalid_request');
      expect((await providerError(() => video().start(prompt('x'), videoOpts({ image: { uri: 'https://example.com/a.png' } }), makeCtx()))).code).toBe('invalid_request');
      const err = await providerError(() => video().start(prompt('x'), videoOpts({ extra: { provider: 'novita' } }), makeCtx()));
      expect(err.code).toBe('unsupported');
      expect(err.message).toMatch(/fal-ai/);
      expect(emu.requests.filter((r) => r.route !== 'hub')).toHaveLength(0);
    });
  });

  describe('tts and audio', () => {
    it('tts default (Kokoro, fal-ai from the YAML): a direct call POST /fal-ai/{fal id} with {text, voice, speed}; the audio URL on the emulator', async () => {
      const res = await adapter.tts!.generate(prompt('Hello there'), ttsOpts({ voice: 'af_heart', speed: 1.2 }), makeCtx());
      expect(routes(emu)).toEqual(['hub', 'fal-submit']);
      const req = emu.requests[1]!;
      expect(req.path).toBe('/fal-ai/fal-ai/kokoro/american-english');
      expect(req.query).toEqual({});
      expect(body(req)).toEqual({ text: 'Hello there', voice: 'af_heart', speed: 1.2 });
      const [art] = res.artifacts;
      expect(art).toMatchObject({ mimeType: 'audio/wav', source: { kind: 'url' } });
      expect(await bytesOf(art!, emu)).toEqual(Buffer.from(emu.sent.audio[0]!));
      expect(res.warnings).toBeUndefined();
    });

    it('tts on hf-inference: bytes; voice and speed cannot be set there (warnings), mp3 cannot be chosen (warning)', async () => {
      const res = await adapter.tts!.generate(prompt('Hi'), ttsOpts({ model: 'facebook/mms-tts-eng', voice: 'x', speed: 2, format: 'mp3' }), makeCtx());
      const req = emu.requests.find((r) => r.route === 'hf-inference')!;
      expect(req.path).toBe('/hf-inference/models/facebook/mms-tts-eng');
      expect(body(req)).toEqual({ inputs: 'Hi', parameters: {} });
      expect(await bytesOf(res.artifacts[0]!, emu)).toEqual(Buffer.from(emu.sent.audio[0]!));
      expect(res.warnings!.join(' ')).toMatch(/voice is not a parameter.*speed is not a parameter.*audio\/wav; mp3 cannot be chosen/);
    });

    it('tts on replicate: input {text, voice}; the output URL', async () => {
      const res = await adapter.tts!.generate(prompt('Hi'), ttsOpts({ voice: 'am_adam', extra: { provider: 'replicate' } }), makeCtx());
      const req = emu.requests.find((r) => r.route === 'replicate')!;
      expect(req.path).toBe('/replicate/v1/models/jaaari/kokoro-82m/predictions');
      expect(body(req)).toMatchObject({ input: { text: 'Hi', voice: 'am_adam' } });
      expect(await bytesOf(res.artifacts[0]!, emu)).toEqual(Buffer.from(emu.sent.audio[0]!));
    });

    it('audio default (Stable Audio, auto → fal-ai): a queue job with {prompt, seed, seconds_total}; audio_file URL', async () => {
      const res = await (adapter.audio as QuickService<AudioOptions>).generate(prompt('rain on a roof'), audioOpts({ seed: 1, durationSeconds: 12 }), makeCtx());
      const submit = emu.requests.find((r) => r.route === 'fal-submit')!;
      expect(submit.path).toBe('/fal-ai/fal-ai/stable-audio');
      expect(body(submit)).toEqual({ prompt: 'rain on a roof', seed: 1, seconds_total: 12 });
      const [art] = res.artifacts;
      expect(art).toMatchObject({ mimeType: 'audio/wav', durationSeconds: 12 });
      expect(await bytesOf(art!, emu)).toEqual(Buffer.from(emu.sent.audio[0]!));
    });

    it('audio on hf-inference (MusicGen): bytes; seed is not a parameter there (warning)', async () => {
      const res = await (adapter.audio as QuickService<AudioOptions>).generate(prompt('lofi'), audioOpts({ model: 'facebook/musicgen-small', seed: 4 }), makeCtx());
      expect(body(emu.requests.find((r) => r.route === 'hf-inference'))).toEqual({ inputs: 'lofi', parameters: {} });
      expect(await bytesOf(res.artifacts[0]!, emu)).toEqual(Buffer.from(emu.sent.audio[0]!));
      expect(res.warnings!.join(' ')).toMatch(/seed is not a parameter of hf-inference/);
    });
  });
});

describe('huggingface configuration', () => {
  it('refuses a token that is not a Hugging Face token (the client would send it to the inference provider directly)', async () => {
    const env = makeEnv('http://127.0.0.1:9', { HUGGINGFACE_API_TOKEN: 'fal-key-0123456789' });
    const err = await providerError(() => huggingface.load(env));
    expect(err.code).toBe('auth');
    expect(err.message).not.toContain('fal-key-0123456789');
  });

  it('HF_TOKEN works as well', async () => {
    const env = makeEnv('http://127.0.0.1:9', {});
    await expect(huggingface.load({ ...env, env: { HF_TOKEN: TOKEN } })).resolves.toHaveProperty('text');
  });

  it('with a base URL, the router and the Hub are rewritten to it and anything else is refused', () => {
    const base = 'http://127.0.0.1:8080/hf';
    expect(routeUrl('https://router.huggingface.co/v1/chat/completions', base)).toBe(`${base}/v1/chat/completions`);
    expect(routeUrl('https://router.huggingface.co/fal-ai/x?_subdomain=queue', base)).toBe(`${base}/fal-ai/x?_subdomain=queue`);
    expect(routeUrl('https://huggingface.co/api/models/a/b?expand[]=inferenceProviderMapping', base)).toBe(`${base}/api/models/a/b?expand[]=inferenceProviderMapping`);
    expect(routeUrl(`${base}/files/x.png`, base)).toBe(`${base}/files/x.png`);
    for (const other of ['https://queue.fal.run/fal-ai/flux/requests/1', 'https://huggingface.co.evil.example/x', 'https://api.together.xyz/v1/chat/completions']) {
      expect(() => routeUrl(other, base)).toThrow(/refusing a request/);
    }
    expect(routeUrl('https://router.huggingface.co/v1/chat/completions', undefined)).toBe('https://router.huggingface.co/v1/chat/completions');
  });
});

describe('the client quirks this adapter designs around, verified against the emulator', () => {
  let emu: HfEmulator;
  beforeEach(async () => {
    emu = await startHfEmulator({ token: TOKEN });
  });
  afterEach(async () => {
    await emu.close();
    refused.length = 0;
    fetched.length = 0;
  });
  const rewrite = (base: string) => ((input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(routeUrl(String(input), base), init)) as typeof fetch;

  it('left alone, the client retries a 503 at once and without end (retry_on_error defaults to true)', async () => {
    const { InferenceClient } = await import('@huggingface/inference');
    emu.enqueueFault(...Array.from({ length: 8 }, () => ({ route: 'chat' as const, status: 503 })));
    const client = new InferenceClient(TOKEN, { fetch: rewrite(emu.baseUrl) });
    const t0 = Date.now();
    const out = await client.chatCompletion({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'hi' }] });
    // It got through only because the emulator ran out of 503s: eight retries, no backoff.
    expect(out.choices[0]!.message.content).toBe('echo: hi');
    expect(emu.requests.filter((r) => r.route === 'chat').map((r) => r.status)).toEqual([...Array(8).fill(503), 200]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("its media tasks fetch fal's queue with the global fetch, past the fetch option: the router host, not the base URL", async () => {
    const { InferenceClient } = await import('@huggingface/inference');
    const client = new InferenceClient(TOKEN, { fetch: rewrite(emu.baseUrl), retry_on_error: false });
    await expect(client.textToImage({ provider: 'fal-ai', model: 'black-forest-labs/FLUX.1-schnell', inputs: 'x' })).rejects.toThrow();
    // The submit went through the option (to the emulator); the first status poll went for router.huggingface.co.
    expect(emu.requests.some((r) => r.route === 'fal-submit')).toBe(true);
    expect(refused[0]).toMatch(/^https:\/\/router\.huggingface\.co\/fal-ai\/fal-ai\/flux\/requests\/[^/]+\/status\?_subdomain=queue$/);
  });
});
