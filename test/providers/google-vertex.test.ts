/**
 * The google-vertex adapter, through the real @google/genai, google-auth-library and
 * @google-cloud/storage clients, against the loopback Vertex emulator. Each test asserts what
 * the emulator received (resource path, auth, parameter mapping) and what came back.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type {
  AdapterEnv,
  AudioOptions,
  GeneratedArtifact,
  ImageOptions,
  LongRunningService,
  OperationStatus,
  ProviderAdapter,
  QuickService,
  TextOptions,
  TtsOptions,
  VideoOptions,
} from '../../src/providers/base.js';
import googleVertex from '../../src/providers/google-vertex/index.js';
import { parsePcmMimeType, pcmToWav } from '../../src/providers/google-vertex/pcm-wav.js';
import { PROVIDERS_YAML } from '../../src/registry/config.js';
import { parseWav } from '../../src/util/wav.js';
import {
  IMAGEN_SIZES,
  LYRIA_CHANNELS,
  LYRIA_SAMPLE_RATE,
  TTS_SAMPLE_RATE,
  encodePng,
  startVertexEmulator,
  type RecordedRequest,
  type VertexEmulator,
} from '../emulators/vertex/index.js';
import { makeCtx, providerError } from '../helpers/provider-kit.js';

const KEY = 'test-api-key';
const PROJECT = 'test-project';
/** The models: section exactly as config/providers.yaml ships it. */
const MODELS = (parseYaml(await readFile(PROVIDERS_YAML, 'utf8')) as { providers: Record<string, { models: Record<string, Record<string, unknown>> }> })
  .providers['google-vertex']!.models;
const ARTIFACT_URI = 'artifact://0000000000aaaaaaaaaaaa';
const ARTIFACT_PNG = encodePng(16, 8, [1, 2, 3]);

function makeEnv(baseUrl: string, env: Record<string, string>): AdapterEnv {
  return {
    info: {
      id: 'google-vertex',
      displayName: 'Google Vertex AI',
      capabilities: ['text', 'image', 'video', 'audio', 'tts'],
      defaultModels: { text: 'gemini-2.5-flash', image: 'gemini-2.5-flash-image', video: 'veo-3.1-generate-001', audio: 'lyria-002', tts: 'gemini-2.5-flash-tts' },
      credentialModes: [],
      capabilityKeys: {},
      priority: 10,
      featureFlag: 'ENABLE_PROVIDER_GOOGLE_VERTEX',
      enabledByDefault: true,
     
      baseUrlEnv: 'GOOGLE_VERTEX_BASE_URL',
      baseUrl,
      models: MODELS,
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

const textOpts = (o: Partial<TextOptions> = {}): TextOptions => ({ extra: {}, ...o });
const imageOpts = (o: Partial<ImageOptions> = {}): ImageOptions => ({ count: 1, extra: {}, ...o });
const videoOpts = (o: Partial<VideoOptions> = {}): VideoOptions => ({ count: 1, extra: {}, ...o });
const audioOpts = (o: Partial<AudioOptions> = {}): AudioOptions => ({ count: 1, extra: {}, ...o });
const ttsOpts = (o: Partial<TtsOptions> = {}): TtsOptions => ({ format: 'wav', extra: {}, ...o });

/** Model calls only (token, metadata and GCS requests filtered out). */
function modelCalls(emu: VertexEmulator): RecordedRequest[] {
  return emu.requests.filter((r) => /\/publishers\/google\/models\//.test(r.path));
}
function body(req: RecordedRequest | undefined): Record<string, any> {
  expect(req?.body).toBeTypeOf('object');
  return req!.body as Record<string, any>;
}
function bytesOf(a: GeneratedArtifact): Uint8Array {
  expect(a.source.kind).toBe('bytes');
  return (a.source as { data: Uint8Array }).data;
}
async function drain(a: GeneratedArtifact): Promise<Buffer> {
  expect(a.source.kind).toBe('stream');
  const chunks: Uint8Array[] = [];
  for await (const c of (a.source as { stream: ReadableStream<Uint8Array> }).stream as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return Buffer.concat(chunks);
}
/** Decodes a PNG of one IDAT of filter-0 RGB rows: proves it is a real image of the stated size. */
function decodePng(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const idat = b.indexOf('IDAT', 0, 'ascii');
  const raw = inflateSync(b.subarray(idat + 4, idat + 4 + b.readUInt32BE(idat - 4)));
  expect(raw.length).toBe(height * (1 + width * 3));
  return { width, height };
}
function jpegSize(jpg: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(jpg);
  expect([b[0], b[1]]).toEqual([0xff, 0xd8]);
  expect([b.at(-2), b.at(-1)]).toEqual([0xff, 0xd9]);
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  return { width: b.readUInt16BE(sof + 7), height: b.readUInt16BE(sof + 5) };
}

/** Polls a long-running service to the end, like the runner (without the sleeps). */
async function runJob(svc: LongRunningService<VideoOptions>, options: VideoOptions, ctx = makeCtx(), prompt = 'a fox in the snow') {
  const { operation } = await svc.start({ text: prompt, attachments: [] }, options, ctx);
  const statuses: OperationStatus[] = [];
  for (let i = 0; i < 20; i++) {
    const s = await svc.status(operation, ctx);
    statuses.push(s);
    if (s.state === 'done') return { operation, statuses, result: s.result, failed: undefined };
    if (s.state === 'failed') return { operation, statuses, result: undefined as never, failed: s };
  }
  throw new Error('job did not finish');
}

let emu: VertexEmulator;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vertex-adapter-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  emu = await startVertexEmulator({ operationPolls: 3 });
});
afterEach(async () => {
  await emu.close();
});

describe('API-key (express) mode', () => {
  let adapter: ProviderAdapter;
  beforeEach(async () => {
    adapter = await googleVertex.load(makeEnv(emu.baseUrl, { GOOGLE_API_KEY: KEY }));
  });

  it('registers every capability', () => {
    expect(googleVertex.id).toBe('google-vertex');
    expect(Object.keys(adapter).sort()).toEqual(['audio', 'image', 'text', 'tts', 'video']);
    expect('start' in adapter.video!).toBe(true);
  });

  describe('text', () => {
    it('maps prompt, system, attachments and options onto generateContent, and usage back', async () => {
      const result = await adapter.text!.generate(
        {
          system: 'Be brief.',
          text: 'describe these',
          attachments: [
            { data: new Uint8Array([0xff, 0xd8, 0xff, 1]), mimeType: 'image/jpeg' },
            { uri: 'gs://bucket/cat.png' },
            { uri: 'https://img.example.test/dog.webp' },
            { uri: ARTIFACT_URI },
            { uri: 'data:image/png;base64,iVBORw0KGgo=' },
          ],
        },
        textOpts({ maxTokens: 64, temperature: 0.3, topP: 0.9, seed: 7, responseFormat: 'json', extra: { generationConfig: { topK: 5 }, labels: { team: 'x' } } }),
        makeCtx(),
      );
      const [req] = modelCalls(emu);
      expect(req!.path).toBe('/v1/publishers/google/models/gemini-2.5-flash:generateContent');
      expect(req!.headers['x-goog-api-key']).toBe(KEY);
      expect(req!.headers.authorization).toBeUndefined();
      const sent = body(req);
      expect(sent.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }], role: 'user' });
      expect(sent.contents).toEqual([
        {
          role: 'user',
          parts: [
            { text: 'describe these' },
            { inlineData: { data: Buffer.from([0xff, 0xd8, 0xff, 1]).toString('base64'), mimeType: 'image/jpeg' } },
            { fileData: { fileUri: 'gs://bucket/cat.png', mimeType: 'image/png' } },
            { fileData: { fileUri: 'https://img.example.test/dog.webp', mimeType: 'image/webp' } },
            { inlineData: { data: Buffer.from(ARTIFACT_PNG).toString('base64'), mimeType: 'image/png' } },
            { inlineData: { data: 'iVBORw0KGgo=', mimeType: 'image/png' } },
          ],
        },
      ]);
      // Options in generationConfig; `extra` deep-merged into the body untouched.
      expect(sent.generationConfig).toEqual({ temperature: 0.3, topP: 0.9, maxOutputTokens: 64, seed: 7, responseMimeType: 'application/json', topK: 5 });
      expect(sent.labels).toEqual({ team: 'x' });

      expect(JSON.parse(result.text!)).toEqual({ echo: 'describe these' });
      expect(result.model).toBe('gemini-2.5-flash');
      expect(result.requestId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      // Words of prompt and system, plus 258 per media part, as the emulator counts them.
      const usage = (result.raw as { usageMetadata: { promptTokenCount: number; candidatesTokenCount: number } }).usageMetadata;
      expect(usage.promptTokenCount).toBe(2 + 2 + 5 * 258);
      expect(result.usage).toEqual({ inputTokens: usage.promptTokenCount, outputTokens: usage.candidatesTokenCount });
      expect(result.warnings).toBeUndefined();
    });

    it('warns when the answer hit max_tokens', async () => {
      const result = await adapter.text!.generate({ text: 'one two three four five', attachments: [] }, textOpts({ maxTokens: 2 }), makeCtx());
      expect(result.text).toBe('echo: one');
      expect(result.warnings).toEqual([expect.stringMatching(/MAX_TOKENS/)]);
    });

    it('reports a blocked prompt and a safety-stopped answer as content_filtered, with the reason', async () => {
      emu.enqueueFault({ promptBlocked: 'PROHIBITED_CONTENT' }, { finishSafety: true });
      const blocked = await providerError(() => adapter.text!.generate({ text: 'bad', attachments: [] }, textOpts(), makeCtx()));
      expect(blocked).toMatchObject({ code: 'content_filtered', retryable: false, final: true });
      expect(blocked.message).toMatch(/prompt was blocked \(PROHIBITED_CONTENT: The prompt was blocked due to prohibited_content\.\)/);
      expect(blocked.requestId).toBeTruthy();
      const stopped = await providerError(() => adapter.text!.generate({ text: 'bad', attachments: [] }, textOpts(), makeCtx()));
      expect(stopped.code).toBe('content_filtered');
      expect(stopped.message).toMatch(/finishReason SAFETY \(HARM_CATEGORY_DANGEROUS_CONTENT\)/);
    });

    it('passes an unknown model through with a warning', async () => {
      const unknown = await adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts({ model: 'gemini-9-ultra' }), makeCtx());
      expect(modelCalls(emu)[0]!.path).toBe('/v1/publishers/google/models/gemini-9-ultra:generateContent');
      expect(unknown.warnings).toEqual([expect.stringMatching(/"gemini-9-ultra" is not in google-vertex's known model list/)]);
    });

    it('refuses a model of another capability before any request', async () => {
      const err = await providerError(() => adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts({ model: 'veo-3.1-generate-001' }), makeCtx()));
      expect(err).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/is a google-vertex video model, not a text model/) });
      expect(modelCalls(emu)).toHaveLength(0);
    });
  });

  describe('image', () => {
    it('Gemini image model: one generateContent per image with IMAGE output, reference images as parts, decodable PNGs', async () => {
      const result = await (adapter.image as QuickService<ImageOptions>).generate(
        { text: 'a red square', attachments: [{ uri: ARTIFACT_URI }] },
        imageOpts({ count: 2, aspectRatio: '16:9', seed: 10, negativePrompt: 'blue', extra: { person_generation: 'dont_allow' } }),
        makeCtx(),
      );
      const calls = modelCalls(emu);
      expect(calls.map((r) => r.path)).toEqual(Array(2).fill('/v1/publishers/google/models/gemini-2.5-flash-image:generateContent'));
      expect(calls.map((r) => body(r).generationConfig)).toEqual([
        { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9', personGeneration: 'ALLOW_NONE' }, seed: 10 },
        { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9', personGeneration: 'ALLOW_NONE' }, seed: 11 },
      ]);
      expect(body(calls[0]).contents[0].parts).toEqual([
        { text: 'a red square\n\nAvoid: blue' },
        { inlineData: { data: Buffer.from(ARTIFACT_PNG).toString('base64'), mimeType: 'image/png' } },
      ]);
      expect(result.artifacts).toHaveLength(2);
      result.artifacts.forEach((a, i) => {
        expect(Buffer.from(bytesOf(a))).toEqual(Buffer.from(emu.sent.images[i]!));
        expect(decodePng(bytesOf(a))).toEqual({ width: 64, height: 64 });
        expect(a).toMatchObject({ mimeType: 'image/png', width: 64, height: 64 });
      });
      expect(result.text).toMatch(/Here is an image of a red square/);
      expect(result.usage?.outputTokens).toBeGreaterThan(2 * 1290);
    });

    it('Imagen: generateImages → predict with the parameters mapped; JPEGs of the aspect ratio', async () => {
      const result = await (adapter.image as QuickService<ImageOptions>).generate(
        { text: 'a lighthouse', attachments: [] },
        imageOpts({ model: 'imagen-4.0-generate-001', count: 2, aspectRatio: '16:9', seed: 42, outputMimeType: 'image/jpeg', extra: { person_generation: 'allow_adult', enhance_prompt: false } }),
        makeCtx(),
      );
      const [req] = modelCalls(emu);
      expect(req!.path).toBe('/v1/publishers/google/models/imagen-4.0-generate-001:predict');
      expect(body(req)).toEqual({
        instances: [{ prompt: 'a lighthouse' }],
        parameters: {
          sampleCount: 2,
          aspectRatio: '16:9',
          seed: 42,
          addWatermark: false,
          personGeneration: 'allow_adult',
          includeRaiReason: true,
          outputOptions: { mimeType: 'image/jpeg' },
          enhancePrompt: false,
        },
      });
      expect(result.artifacts).toHaveLength(2);
      for (const a of result.artifacts) {
        expect(jpegSize(bytesOf(a))).toEqual({ width: IMAGEN_SIZES['16:9']![0], height: IMAGEN_SIZES['16:9']![1] });
        expect(a).toMatchObject({ mimeType: 'image/jpeg', width: 128, height: 72 });
      }
      expect(result.warnings).toEqual([expect.stringMatching(/seed needs the SynthID watermark off/)]);
    });

    it('Imagen: filtered images become warnings with the reason; all filtered is content_filtered', async () => {
      emu.enqueueFault({ imagenFiltered: 1 }, { imagenFiltered: 'all' });
      const some = await (adapter.image as QuickService<ImageOptions>).generate({ text: 'x', attachments: [] }, imageOpts({ model: 'imagen-4.0-fast-generate-001', count: 2 }), makeCtx());
      expect(some.artifacts).toHaveLength(1);
      expect(some.warnings).toEqual([expect.stringMatching(/One image was filtered out: .*usage guidelines/)]);
      const all = await providerError(() => (adapter.image as QuickService<ImageOptions>).generate({ text: 'x', attachments: [] }, imageOpts({ model: 'imagen-4.0-fast-generate-001', count: 2 }), makeCtx()));
      expect(all).toMatchObject({ code: 'content_filtered', final: true });
      expect(all.message).toMatch(/all 2 images were filtered: Unable to show generated images/);
    });

    it('Imagen: options the model data rules out fail before any paid call', async () => {
      const image = adapter.image as QuickService<ImageOptions>;
      const err = await providerError(() =>
        image.generate({ text: 'x', attachments: [] }, imageOpts({ model: 'imagen-4.0-generate-001', count: 5, aspectRatio: '21:9', negativePrompt: 'n', outputMimeType: 'image/webp' }), makeCtx()),
      );
      expect(err.code).toBe('invalid_request');
      expect(err.message).toMatch(/makes at most 4 per call.*aspect ratios 1:1, 3:4, 4:3, 9:16, 16:9 \(not 21:9\).*negative prompt.*not image\/webp/);
      const seedWatermark = await providerError(() =>
        image.generate({ text: 'x', attachments: [] }, imageOpts({ model: 'imagen-4.0-generate-001', seed: 1, extra: { add_watermark: true } }), makeCtx()),
      );
      expect(seedWatermark).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/seed .*add_watermark/) });
      expect(modelCalls(emu)).toHaveLength(0);
    });
  });

  describe('video (Veo)', () => {
    it('starts with predictLongRunning, polls fetchPredictOperation until done, returns an MP4', async () => {
      const svc = adapter.video as LongRunningService<VideoOptions>;
      const { operation, statuses, result } = await runJob(
        svc,
        videoOpts({ count: 1, durationSeconds: 6, aspectRatio: '9:16', resolution: '1080p', generateAudio: true, negativePrompt: 'rain', seed: 3, extra: { person_generation: 'allow_adult' } }),
      );
      // Plain JSON, so the runner (or anything else) can keep it.
      expect(JSON.parse(JSON.stringify(operation))).toEqual(operation);
      expect(operation.name).toMatch(/^projects\/test-project\/locations\/us-central1\/publishers\/google\/models\/veo-3\.1-generate-001\/operations\//);
      const calls = modelCalls(emu);
      expect(calls[0]!.path).toBe('/v1/publishers/google/models/veo-3.1-generate-001:predictLongRunning');
      expect(body(calls[0])).toEqual({
        instances: [{ prompt: 'a fox in the snow' }],
        parameters: { sampleCount: 1, durationSeconds: 6, aspectRatio: '9:16', resolution: '1080p', generateAudio: true, negativePrompt: 'rain', seed: 3, personGeneration: 'allow_adult' },
      });
      expect(calls.slice(1).map((r) => r.path)).toEqual(Array(3).fill(`/v1/projects/test-project/locations/us-central1/publishers/google/models/veo-3.1-generate-001:fetchPredictOperation`));
      expect(body(calls[1])).toEqual({ operationName: operation.name });
      expect(statuses.map((s) => s.state)).toEqual(['pending', 'pending', 'done']);
      expect(statuses[0]).toMatchObject({ message: expect.stringMatching(/veo-3\.1-generate-001 generating/) });
      const [video] = result.artifacts;
      const mp4 = Buffer.from(bytesOf(video!));
      expect(mp4.toString('ascii', 4, 8)).toBe('ftyp');
      expect(mp4).toEqual(Buffer.from(emu.sent.videos[0]!));
      expect(video).toMatchObject({ mimeType: 'video/mp4', durationSeconds: 6 });
    });

    it('image-to-video: an artifact URI as the first frame and a data: URI as the last are sent as bytes', async () => {
      const lastPng = encodePng(8, 8, [9, 9, 9]);
      await runJob(adapter.video as LongRunningService<VideoOptions>, videoOpts({ image: { uri: ARTIFACT_URI }, lastFrame: { uri: `data:image/png;base64,${Buffer.from(lastPng).toString('base64')}` } }));
      const instance = body(modelCalls(emu)[0]).instances[0];
      expect(instance.image).toEqual({ bytesBase64Encoded: Buffer.from(ARTIFACT_PNG).toString('base64'), mimeType: 'image/png' });
      expect(instance.lastFrame).toEqual({ bytesBase64Encoded: Buffer.from(lastPng).toString('base64'), mimeType: 'image/png' });
    });

    it('refuses what the model cannot do (last_frame on Veo 3.0, 5 s, 4k) before starting a job', async () => {
      const err = await providerError(() =>
        (adapter.video as LongRunningService<VideoOptions>).start(
          { text: 'x', attachments: [] },
          videoOpts({ model: 'veo-3.0-generate-001', durationSeconds: 5, resolution: '4k', image: { uri: ARTIFACT_URI }, lastFrame: { uri: ARTIFACT_URI } }),
          makeCtx(),
        ),
      );
      expect(err.code).toBe('invalid_request');
      expect(err.message).toMatch(/durations of 4, 6, 8 seconds \(not 5\).*resolutions 720p, 1080p \(not 4k\).*no last_frame/);
      expect(modelCalls(emu)).toHaveLength(0);
    });

    it('a job Vertex reports failed is a failed status (a value, not a throw) with its google.rpc.Status mapped; an all-filtered job is content_filtered', async () => {
      const svc = adapter.video as LongRunningService<VideoOptions>;
      emu.enqueueFault({ operationError: { code: 8, message: 'Quota exceeded for veo.' } });
      const failed = await runJob(svc, videoOpts());
      expect(failed.failed).toMatchObject({ state: 'failed', code: 'rate_limited', message: expect.stringMatching(/RESOURCE_EXHAUSTED: Quota exceeded for veo/) });
      emu.enqueueFault({ imagenFiltered: 'all' });
      const filtered = await runJob(svc, videoOpts());
      expect(filtered.failed).toMatchObject({ state: 'failed', code: 'content_filtered', message: expect.stringMatching(/all videos were filtered: Unable to show generated videos/) });
    });

    it('cancel sends nothing and says so: Vertex has no cancel for Veo jobs', async () => {
      const svc = adapter.video as LongRunningService<VideoOptions>;
      const { operation } = await svc.start({ text: 'x', attachments: [] }, videoOpts(), makeCtx());
      const before = emu.requests.length;
      expect(await svc.cancel(operation, makeCtx())).toBe(false);
      expect(emu.requests.length).toBe(before);
    });

    it('the stored operation is versioned JSON, and an older one without a version still polls', async () => {
      const svc = adapter.video as LongRunningService<VideoOptions>;
      const { operation } = await svc.start({ text: 'x', attachments: [] }, videoOpts(), makeCtx());
      expect(operation.v).toBe(1);
      expect(JSON.parse(JSON.stringify(operation))).toEqual(operation);
      const { v: _v, ...older } = operation;
      let status = await svc.status(older, makeCtx());
      for (let i = 0; i < 20 && status.state === 'pending'; i++) status = await svc.status(older, makeCtx());
      expect(status.state).toBe('done');
    });
  });

  describe('audio (Lyria)', () => {
    it('sends seed in the instance (no sample_count) and returns the WAV as sent', async () => {
      const result = await (adapter.audio as QuickService<AudioOptions>).generate({ text: 'calm piano', attachments: [] }, audioOpts({ seed: 5, negativePrompt: 'drums' }), makeCtx());
      const [req] = modelCalls(emu);
      expect(req!.path).toBe('/v1/publishers/google/models/lyria-002:predict');
      expect(req!.headers['x-goog-api-key']).toBe(KEY);
      expect(body(req)).toEqual({ instances: [{ prompt: 'calm piano', negative_prompt: 'drums', seed: 5 }], parameters: {} });
      const wav = bytesOf(result.artifacts[0]!);
      expect(Buffer.from(wav)).toEqual(Buffer.from(emu.sent.audio[0]!));
      const info = parseWav(wav);
      expect(info).toMatchObject({ sampleRate: LYRIA_SAMPLE_RATE, channels: LYRIA_CHANNELS, bitsPerSample: 16 });
      expect(result.artifacts[0]).toMatchObject({ mimeType: 'audio/wav', durationSeconds: info.durationSeconds });
    });

    it('count > 1 becomes sample_count; audioContent is read too', async () => {
      const result = await (adapter.audio as QuickService<AudioOptions>).generate({ text: 'drums in audioContent', attachments: [] }, audioOpts({ count: 2 }), makeCtx());
      expect(body(modelCalls(emu)[0])).toEqual({ instances: [{ prompt: 'drums in audioContent' }], parameters: { sample_count: 2 } });
      expect(result.artifacts.map((a) => Buffer.from(bytesOf(a)))).toEqual(emu.sent.audio.map((b) => Buffer.from(b)));
    });

    it('refuses seed with count > 1, and a duration Lyria cannot make, before any request', async () => {
      const audio = adapter.audio as QuickService<AudioOptions>;
      const both = await providerError(() => audio.generate({ text: 'x', attachments: [] }, audioOpts({ seed: 1, count: 2 }), makeCtx()));
      expect(both).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/seed or a sample count, not both/) });
      const viaExtra = await providerError(() => audio.generate({ text: 'x', attachments: [] }, audioOpts({ seed: 1, extra: { parameters: { sample_count: 3 } } }), makeCtx()));
      expect(viaExtra.code).toBe('invalid_request');
      const long = await providerError(() => audio.generate({ text: 'x', attachments: [] }, audioOpts({ durationSeconds: 60 }), makeCtx()));
      expect(long.message).toMatch(/durations of 30 seconds \(not 60\)/);
      expect(modelCalls(emu)).toHaveLength(0);
    });
  });

  describe('tts (Gemini speech)', () => {
    it('sends the voice and language; wraps the PCM unchanged in a WAV whose header matches it', async () => {
      const result = await adapter.tts!.generate({ text: 'Hello there', attachments: [] }, ttsOpts({ voice: 'Kore', language: 'en-US' }), makeCtx());
      const [req] = modelCalls(emu);
      expect(req!.path).toBe('/v1/publishers/google/models/gemini-2.5-flash-tts:generateContent');
      expect(body(req).generationConfig).toEqual({
        responseModalities: ['AUDIO'],
        speechConfig: { languageCode: 'en-US', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
      });
      const wav = bytesOf(result.artifacts[0]!);
      const pcm = emu.sent.pcm[0]!;
      const info = parseWav(wav);
      expect(info).toMatchObject({ audioFormat: 1, sampleRate: TTS_SAMPLE_RATE, channels: 1, bitsPerSample: 16, byteRate: TTS_SAMPLE_RATE * 2, dataOffset: 44, dataBytes: pcm.length });
      expect(Buffer.from(wav).readUInt32LE(4)).toBe(36 + pcm.length);
      // Byte for byte: no swapping of the little-endian samples.
      expect(Buffer.from(wav.subarray(44))).toEqual(Buffer.from(pcm));
      expect(result.artifacts[0]).toMatchObject({ mimeType: 'audio/wav', durationSeconds: 0.5 });
      expect(result.providerMetadata).toMatchObject({ sourceMimeType: 'audio/L16;codec=pcm;rate=24000', sampleRate: 24000 });
    });

    it('two-speaker dialogue through extra.speakers', async () => {
      const result = await adapter.tts!.generate(
        { text: 'Joe: Hi!\nJane: Hello!', attachments: [] },
        ttsOpts({ extra: { speakers: [{ speaker: 'Joe', voice: 'Kore' }, { speaker: 'Jane', voice: 'Puck' }] } }),
        makeCtx(),
      );
      expect(body(modelCalls(emu)[0]).generationConfig.speechConfig).toEqual({
        multiSpeakerVoiceConfig: {
          speakerVoiceConfigs: [
            { speaker: 'Joe', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
            { speaker: 'Jane', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Puck' } } },
          ],
        },
      });
      expect(parseWav(bytesOf(result.artifacts[0]!)).durationSeconds).toBe(1);
    });

    it('refuses mp3, a speed, bad speakers and dialogue on a single-voice model before any request', async () => {
      const tts = adapter.tts!;
      const p = { text: 'x', attachments: [] };
      expect((await providerError(() => tts.generate(p, ttsOpts({ format: 'mp3' }), makeCtx()))).message).toMatch(/WAV only/);
      expect((await providerError(() => tts.generate(p, ttsOpts({ speed: 1.5 }), makeCtx()))).message).toMatch(/no speed setting/);
      expect((await providerError(() => tts.generate(p, ttsOpts({ extra: { speakers: [{ speaker: 'A', voice: 'Kore' }] } }), makeCtx()))).message).toMatch(/exactly two/);
      const lite = await providerError(() =>
        tts.generate(p, ttsOpts({ model: 'gemini-2.5-flash-lite-preview-tts', extra: { speakers: [{ speaker: 'A', voice: 'Kore' }, { speaker: 'B', voice: 'Puck' }] } }), makeCtx()),
      );
      expect(lite.message).toMatch(/one voice only/);
      expect(modelCalls(emu)).toHaveLength(0);
    });
  });

  describe('errors', () => {
    const ask = () => adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx());

    it('maps google.rpc.Status bodies: 429 with Retry-After, 400, 403, 404, 503, 504', async () => {
      emu.enqueueFault(
        { status: 429, retryAfter: '2' },
        { status: 400, message: 'Invalid value at generation_config.temperature' },
        { status: 403 },
        { status: 404 },
        { status: 503 },
        { status: 504 },
        { status: 400, grpcStatus: 'FAILED_PRECONDITION', message: 'Project not allowlisted.' },
      );
      expect(await providerError(ask)).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 2000, message: expect.stringMatching(/HTTP 429 RESOURCE_EXHAUSTED: Resource exhausted/) });
      expect(await providerError(ask)).toMatchObject({ code: 'invalid_request', status: 400, retryable: false, final: true, message: expect.stringMatching(/INVALID_ARGUMENT: Invalid value at generation_config\.temperature/) });
      expect(await providerError(ask)).toMatchObject({ code: 'auth', status: 403, message: expect.stringMatching(/PERMISSION_DENIED.*Vertex AI User role/) });
      expect(await providerError(ask)).toMatchObject({ code: 'not_found', status: 404 });
      expect(await providerError(ask)).toMatchObject({ code: 'unavailable', status: 503, retryable: true });
      expect(await providerError(ask)).toMatchObject({ code: 'timeout', status: 504, retryable: true });
      expect(await providerError(ask)).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/FAILED_PRECONDITION: Project not allowlisted/) });
    });

    it('a wrong API key is auth, and the key never appears in the message', async () => {
      const wrong = 'wrong-key-0123456789';
      const bad = await googleVertex.load(makeEnv(emu.baseUrl, { GOOGLE_API_KEY: wrong }));
      const err = await providerError(() => bad.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx()));
      expect(err).toMatchObject({ code: 'auth', status: 400, message: expect.stringMatching(/API key not valid.*API_KEY_INVALID.*Check GOOGLE_API_KEY/) });
      expect(err.message).not.toContain(wrong);
    });

    it('the caller cancelling aborts the HTTP request: cancelled', async () => {
      emu.enqueueFault({ delayMs: 5000 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const started = Date.now();
      const err = await providerError(() => adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx({ signal: ac.signal })));
      expect(err.code).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('the deadline aborts the HTTP request: timeout, retryable', async () => {
      emu.enqueueFault({ delayMs: 5000 });
      const err = await providerError(() => adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx({ deadline: Date.now() + 200 })));
      expect(err).toMatchObject({ code: 'timeout', retryable: true });
    });
  });
});

describe('Application Default Credentials (external_account file → emulator STS)', () => {
  let adapter: ProviderAdapter;
  let credentials: string;
  beforeEach(async () => {
    credentials = await emu.externalAccountFile(dir);
    // google-auth-library finds ADC in the process environment itself (see client.ts).
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', credentials);
    adapter = await googleVertex.load(
      makeEnv(emu.baseUrl, {
        GOOGLE_CLOUD_PROJECT: PROJECT,
        GOOGLE_APPLICATION_CREDENTIALS: credentials,
        GOOGLE_VERTEX_OUTPUT_GCS_URI: 'gs://out-bucket/veo',
        GOOGLE_VERTEX_STORAGE_URL: emu.storageEndpoint,
      }),
    );
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('SDK calls carry an STS-issued bearer token on the project/location path', async () => {
    await adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx());
    const sts = emu.requests.filter((r) => r.path === '/v1/token');
    expect(sts.length).toBeGreaterThanOrEqual(1);
    expect(body(sts[0])).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', scope: expect.stringContaining('cloud-platform') });
    const [req] = modelCalls(emu);
    expect(req!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent`);
    expect(emu.issuedTokens).toContain(String(req!.headers.authorization).replace(/^Bearer /, ''));
    expect(req!.headers['x-goog-api-key']).toBeUndefined();
  });

  it("the SDK's console explanation when env and options disagree goes to the debug log, not console/stdout", async () => {
    // The SDK sees an API key in the environment while we pass project + location.
    vi.stubEnv('GEMINI_API_KEY', 'gemini-key-in-the-environment');
    const consoleDebug = vi.spyOn(console, 'debug');
    const consoleLog = vi.spyOn(console, 'log');
    const ctx = makeCtx();
    const logDebug = vi.spyOn(ctx.logger, 'debug');
    await adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts(), ctx);
    expect(consoleDebug).not.toHaveBeenCalled();
    expect(consoleLog).not.toHaveBeenCalled();
    expect(logDebug).toHaveBeenCalledWith({ provider: 'google-vertex' }, expect.stringMatching(/project\/location will take precedence over the API key/));
    // And the key from the environment was not sent.
    expect(modelCalls(emu)[0]!.headers['x-goog-api-key']).toBeUndefined();
  });

  it('a model pinned to global in the model data is called on locations/global', async () => {
    await adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts({ model: 'gemini-3-pro-preview' }), makeCtx());
    expect(modelCalls(emu)[0]!.path).toBe(`/v1/projects/${PROJECT}/locations/global/publishers/google/models/gemini-3-pro-preview:generateContent`);
  });

  it('Lyria REST calls use google-auth-library tokens', async () => {
    await (adapter.audio as QuickService<AudioOptions>).generate({ text: 'calm', attachments: [] }, audioOpts(), makeCtx());
    const [req] = modelCalls(emu);
    expect(req!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/lyria-002:predict`);
    expect(emu.issuedTokens).toContain(String(req!.headers.authorization).replace(/^Bearer /, ''));
  });

  it('Veo with an output bucket: storageUri sent, the gs:// object streamed from Cloud Storage', async () => {
    const { result } = await runJob(adapter.video as LongRunningService<VideoOptions>, videoOpts({ count: 2 }));
    expect(body(modelCalls(emu)[0]).parameters).toMatchObject({ sampleCount: 2, storageUri: 'gs://out-bucket/veo' });
    expect(result.artifacts).toHaveLength(2);
    for (const [i, a] of result.artifacts.entries()) {
      expect(a.sourceUri).toMatch(/^gs:\/\/out-bucket\/veo\/\d+\/sample_\d\.mp4$/);
      const bytes = await drain(a);
      expect(bytes.toString('ascii', 4, 8)).toBe('ftyp');
      expect(bytes).toEqual(Buffer.from(emu.gcsObjects.get(a.sourceUri!.slice(5))!));
      expect(bytes).toEqual(Buffer.from(emu.sent.videos[i]!));
      expect(a.mimeType).toBe('video/mp4');
    }
    const downloads = emu.requests.filter((r) => r.query.alt === 'media');
    expect(downloads).toHaveLength(2);
    expect(emu.issuedTokens).toContain(String(downloads[0]!.headers.authorization).replace(/^Bearer /, ''));
  });
});

describe('configuration', () => {
  it('with neither credential, load says exactly what is needed', async () => {
    const err = await providerError(() => googleVertex.load(makeEnv(emu.baseUrl, {})));
    expect(err.code).toBe('auth');
    expect(err.message).toMatch(/GOOGLE_API_KEY.*GOOGLE_CLOUD_PROJECT.*GOOGLE_APPLICATION_CREDENTIALS.*gcloud auth application-default login/);
  });

  it('a credentials file that does not exist is auth, naming the variable', async () => {
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', join(dir, 'nope.json'));
    onTestFinished(() => void vi.unstubAllEnvs());
    const adapter = await googleVertex.load(makeEnv(emu.baseUrl, { GOOGLE_CLOUD_PROJECT: PROJECT, GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'nope.json') }));
    const err = await providerError(() => adapter.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx()));
    expect(err.code).toBe('auth');
    expect(err.message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
  });

  it('a malformed models: entry fails the load with its YAML path', async () => {
    const env = makeEnv(emu.baseUrl, { GOOGLE_API_KEY: KEY });
    env.info.models = { 'veo-x': { capability: 'video', durations: 'eight' } };
    const err = await providerError(() => googleVertex.load(env));
    expect(err.message).toMatch(/google-vertex\.models\.veo-x is invalid: durations/);
  });

  it('every shipped model entry parses', async () => {
    await expect(googleVertex.load(makeEnv(emu.baseUrl, { GOOGLE_API_KEY: KEY }))).resolves.toBeDefined();
    expect(Object.keys(MODELS).length).toBeGreaterThan(10);
  });
});

describe('pcm-wav', () => {
  it('reads rate and channels from the mime type, and refuses what is not L16', () => {
    expect(parsePcmMimeType('audio/L16;codec=pcm;rate=24000')).toEqual({ sampleRate: 24000, channels: 1 });
    expect(parsePcmMimeType('audio/l16; rate=16000; channels=2')).toEqual({ sampleRate: 16000, channels: 2 });
    expect(parsePcmMimeType('audio/mpeg')).toBeUndefined();
  });

  it('drops a trailing partial frame and keeps the samples byte for byte', () => {
    const pcm = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    const { wav, durationSeconds } = pcmToWav(pcm, { sampleRate: 8000, channels: 2 });
    const info = parseWav(wav);
    expect(info).toMatchObject({ sampleRate: 8000, channels: 2, bitsPerSample: 16, dataBytes: 4 });
    expect([...wav.subarray(44)]).toEqual([1, 2, 3, 4]);
    expect(durationSeconds).toBe(4 / (8000 * 4));
  });
});
