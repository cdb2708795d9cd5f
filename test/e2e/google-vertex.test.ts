/**
 * The built server over stdio, driven by the MCP SDK's Client, with google-vertex pointed at the
 * loopback Vertex emulator: the five tools, Veo progress and cancel, image-to-video from one of
 * our artifacts, the three ways to authenticate (API key, external_account ADC, metadata-server
 * ADC) and none, error mapping through the runner, and the SDK loading on first call only.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseWav } from '../../src/util/wav.js';
import { start as startOpenAICompatible, type Emulator as LocalEmulator } from '../emulators/openai-compatible.js';
import { LYRIA_SAMPLE_RATE, TTS_SAMPLE_RATE, startVertexEmulator, type RecordedRequest, type VertexEmulator } from '../emulators/vertex/index.js';
import { CLI, stdioClient, stdioWithLoads, testEnv, type StdioSession } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

const KEY = 'test-api-key';
const PROJECT = 'test-project';
const OPERATION_POLLS = 4;

interface Out {
  provider: string;
  model: string;
  text?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
  artifacts: { uri: string; sha256: string; size: number; path: string; mimeType: string; width?: number; height?: number; durationSeconds?: number }[];
  warnings?: string[];
  telemetry: { attempts: number; fallbackFrom?: string[]; requestId?: string };
}
interface ProviderRow {
  id: string;
  usable: boolean;
  implemented: boolean;
  configured: boolean;
  missing: string[];
  credentialMode?: string;
  defaultModels: Record<string, string>;
}

async function call(s: StdioSession, name: string, args: Record<string, unknown>) {
  const res = (await s.client.callTool({ name, arguments: args })) as CallToolResult;
  return { res, out: res.structuredContent as unknown as Out, text: res.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n') };
}
async function vertexRow(s: StdioSession): Promise<ProviderRow> {
  const { res } = await call(s, 'list_providers', {});
  return (res.structuredContent as { providers: ProviderRow[] }).providers.find((p) => p.id === 'google-vertex')!;
}
function modelCalls(emu: VertexEmulator, method?: string): RecordedRequest[] {
  return emu.requests.filter((r) => /\/publishers\/google\/models\//.test(r.path) && (!method || r.path.endsWith(`:${method}`)));
}
function bodyOf(r: RecordedRequest | undefined): Record<string, any> {
  expect(r?.body).toBeTypeOf('object');
  return r!.body as Record<string, any>;
}
function bearer(r: RecordedRequest): string {
  return String(r.headers.authorization ?? '').replace(/^Bearer /, '');
}
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat = png.indexOf('IDAT', 0, 'ascii');
  // The pixel data inflates to exactly height rows of (filter byte + RGB): a real, decodable image.
  expect(inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4))).length).toBe(height * (1 + width * 3));
  return { width, height };
}
function jpegSize(jpg: Buffer): { width: number; height: number } {
  expect([jpg[0], jpg[1], jpg.at(-2), jpg.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  return { width: jpg.readUInt16BE(sof + 7), height: jpg.readUInt16BE(sof + 5) };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vertex-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('API key (express mode): the five tools', () => {
  let emu: VertexEmulator;
  let local: LocalEmulator;
  let s: StdioSession;

  beforeAll(async () => {
    emu = await startVertexEmulator({ operationPolls: OPERATION_POLLS });
    // A second text provider, to prove that a 400 does not fall back to it.
    local = await startOpenAICompatible({ basePath: '/v1' });
    s = await stdioClient(
      testEnv({
        GOOGLE_API_KEY: KEY,
        GOOGLE_VERTEX_BASE_URL: emu.baseUrl,
        LOCAL_OPENAI_BASE_URL: local.url,
        MCP_PROVIDERS_POLL_MS: '20',
        MCP_PROVIDERS_RETRY_BASE_MS: '10',
        MCP_PROVIDERS_COOLDOWN_AFTER: '1000',
      }),
    );
  });
  afterAll(async () => {
    await s?.close();
    await emu?.close();
    await local?.close();
  });
  beforeEach(() => {
    emu.requests.length = 0;
    local.requests.length = 0;
  });

  it('list_providers: google-vertex usable in API-key mode, with the default models from the YAML', async () => {
    const row = await vertexRow(s);
    expect(row).toMatchObject({ usable: true, implemented: true, configured: true, missing: [], credentialMode: 'API key, Vertex express mode' });
    expect(row.defaultModels).toMatchObject({ text: 'gemini-2.5-flash', image: 'gemini-2.5-flash-image', video: 'veo-3.1-generate-001', audio: 'lyria-002', tts: 'gemini-2.5-flash-tts' });
  });

  it('generate_text', async () => {
    const { res, out } = await call(s, 'generate_text', { prompt: 'Name three moons', system: 'Be brief', max_tokens: 50, temperature: 0.2, provider: 'google-vertex' });
    expect(res.isError).toBeFalsy();
    const [req] = modelCalls(emu);
    expect(req!.path).toBe('/v1/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(req!.headers['x-goog-api-key']).toBe(KEY);
    expect(bodyOf(req)).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'Name three moons' }] }],
      systemInstruction: { parts: [{ text: 'Be brief' }] },
      generationConfig: { maxOutputTokens: 50, temperature: 0.2 },
    });
    expect(out).toMatchObject({ provider: 'google-vertex', model: 'gemini-2.5-flash', text: 'echo: Name three moons', usage: { inputTokens: 5, outputTokens: 4 } });
    expect(out.telemetry).toMatchObject({ attempts: 1, requestId: expect.stringMatching(/^[\w-]{22}$/) });
  });

  it('generate_image (Gemini image, the default): a PNG that decodes, byte-identical to what Vertex sent', async () => {
    const { res, out } = await call(s, 'generate_image', { prompt: 'A red square', aspect_ratio: '3:2', provider: 'google-vertex' });
    expect(res.isError).toBeFalsy();
    const [req] = modelCalls(emu);
    expect(req!.path).toBe('/v1/publishers/google/models/gemini-2.5-flash-image:generateContent');
    expect(bodyOf(req).generationConfig).toEqual({ responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '3:2' } });
    const [art] = out.artifacts;
    const png = await readFile(art!.path);
    expect(pngSize(png)).toEqual({ width: 64, height: 64 });
    expect(art).toMatchObject({ mimeType: 'image/png', width: 64, height: 64, sha256: sha256(emu.sent.images.at(-1)!) });
  });

  it('generate_image (Imagen): predict with count, aspect ratio and JPEG output; JPEGs of that size', async () => {
    const { res, out } = await call(s, 'generate_image', { prompt: 'A lighthouse', model: 'imagen-4.0-generate-001', count: 2, aspect_ratio: '16:9', output_format: 'jpeg', provider: 'google-vertex' });
    expect(res.isError).toBeFalsy();
    const [req] = modelCalls(emu);
    expect(req!.path).toBe('/v1/publishers/google/models/imagen-4.0-generate-001:predict');
    expect(bodyOf(req).parameters).toMatchObject({ sampleCount: 2, aspectRatio: '16:9', outputOptions: { mimeType: 'image/jpeg' } });
    expect(out.artifacts).toHaveLength(2);
    for (const art of out.artifacts) {
      expect(jpegSize(await readFile(art.path))).toEqual({ width: 128, height: 72 });
      expect(art).toMatchObject({ mimeType: 'image/jpeg', width: 128, height: 72 });
    }
  });

  it('generate_video: a Veo job of several polls sends ≥ 2 progress notifications and returns an MP4', async () => {
    const progress: Progress[] = [];
    const res = (await s.client.callTool(
      { name: 'generate_video', arguments: { prompt: 'A fox in the snow', duration_seconds: 4, aspect_ratio: '16:9', resolution: '720p', generate_audio: false, negative_prompt: 'rain', seed: 9, provider: 'google-vertex' } },
      undefined,
      { onprogress: (p) => void progress.push(p) },
    )) as CallToolResult;
    expect(res.isError).toBeFalsy();
    const out = res.structuredContent as unknown as Out;
    const start = modelCalls(emu, 'predictLongRunning');
    expect(start.map((r) => r.path)).toEqual(['/v1/publishers/google/models/veo-3.1-generate-001:predictLongRunning']);
    expect(bodyOf(start[0])).toEqual({
      instances: [{ prompt: 'A fox in the snow' }],
      parameters: { sampleCount: 1, durationSeconds: 4, aspectRatio: '16:9', resolution: '720p', generateAudio: false, negativePrompt: 'rain', seed: 9 },
    });
    const polls = modelCalls(emu, 'fetchPredictOperation');
    expect(polls).toHaveLength(OPERATION_POLLS);
    // One notification per pending poll, each saying what is going on, rising.
    const fromPolls = progress.filter((p) => /veo-3\.1-generate-001 generating/.test(p.message ?? ''));
    expect(fromPolls.length).toBeGreaterThanOrEqual(2);
    expect(fromPolls.length).toBe(OPERATION_POLLS - 1);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    const [art] = out.artifacts;
    const mp4 = await readFile(art!.path);
    expect(mp4.toString('ascii', 4, 8)).toBe('ftyp');
    expect(art).toMatchObject({ mimeType: 'video/mp4', durationSeconds: 4, sha256: sha256(emu.sent.videos.at(-1)!) });
  });

  it('generate_video: a client cancel stops the polling — no fetchPredictOperation after it', async () => {
    const ac = new AbortController();
    let operationName = '';
    const pending = s.client.callTool({ name: 'generate_video', arguments: { prompt: 'cancel me', provider: 'google-vertex' } }, undefined, {
      signal: ac.signal,
      onprogress: () => ac.abort('user pressed stop'),
    });
    await expect(pending).rejects.toThrow();
    operationName = String(bodyOf(modelCalls(emu, 'fetchPredictOperation')[0]).operationName);
    const pollsAtCancel = modelCalls(emu, 'fetchPredictOperation').length;
    // Uncancelled, the remaining polls (20 ms, ×1.5) would all be done well within this wait.
    await sleep(600);
    expect(modelCalls(emu, 'fetchPredictOperation')).toHaveLength(pollsAtCancel);
    expect(pollsAtCancel).toBeLessThan(OPERATION_POLLS);
    expect(emu.operations.get(operationName)).toMatchObject({ done: false, polls: pollsAtCancel });
    // The server is still healthy and says why it stopped.
    expect(s.stderr()).toMatch(/veo job abandoned/);
    expect((await call(s, 'generate_text', { prompt: 'still there?', provider: 'google-vertex' })).res.isError).toBeFalsy();
  });

  it('image-to-video with one of our own artifact URIs sends exactly those bytes as the first frame', async () => {
    const image = await call(s, 'generate_image', { prompt: 'first frame', provider: 'google-vertex' });
    const [frame] = image.out.artifacts;
    const frameBytes = await readFile(frame!.path);
    emu.requests.length = 0;
    const { res } = await call(s, 'generate_video', { prompt: 'animate it', image: { uri: frame!.uri }, provider: 'google-vertex' });
    expect(res.isError).toBeFalsy();
    const instance = bodyOf(modelCalls(emu, 'predictLongRunning')[0]).instances[0];
    expect(instance.image).toEqual({ bytesBase64Encoded: frameBytes.toString('base64'), mimeType: 'image/png' });
    expect(sha256(Buffer.from(instance.image.bytesBase64Encoded, 'base64'))).toBe(frame!.sha256);
  });

  it('generate_audio (Lyria): predict with prompt, negative prompt and sample_count; WAVs as sent', async () => {
    const { res, out } = await call(s, 'generate_audio', { prompt: 'calm piano', negative_prompt: 'drums', count: 2, provider: 'google-vertex' });
    expect(res.isError).toBeFalsy();
    const [req] = modelCalls(emu);
    expect(req!.path).toBe('/v1/publishers/google/models/lyria-002:predict');
    expect(bodyOf(req)).toEqual({ instances: [{ prompt: 'calm piano', negative_prompt: 'drums' }], parameters: { sample_count: 2 } });
    expect(out.artifacts).toHaveLength(2);
    for (const [i, art] of out.artifacts.entries()) {
      const wav = await readFile(art.path);
      const info = parseWav(wav);
      expect(info).toMatchObject({ sampleRate: LYRIA_SAMPLE_RATE, channels: 2, bitsPerSample: 16, dataBytes: wav.length - 44 });
      expect(art).toMatchObject({ mimeType: 'audio/wav', sha256: sha256(emu.sent.audio.at(i - 2)!) });
      expect(art.durationSeconds).toBeCloseTo(info.durationSeconds, 6);
    }
  });

  it('generate_audio: seed with count 2 is refused before any request', async () => {
    const { res, text } = await call(s, 'generate_audio', { prompt: 'x', seed: 1, count: 2, provider: 'google-vertex' });
    expect(res.isError).toBe(true);
    expect(text).toMatch(/google-vertex: invalid_request: Lyria takes a seed or a sample count, not both/);
    expect(modelCalls(emu)).toHaveLength(0);
  });

  it('tts (Gemini speech): voice and language sent; a WAV whose header matches the PCM rate and length', async () => {
    const { res, out } = await call(s, 'tts', { text: 'Hello there', voice: 'Kore', language: 'en-US', provider: 'google-vertex' });
    expect(res.isError).toBeFalsy();
    const [req] = modelCalls(emu);
    expect(req!.path).toBe('/v1/publishers/google/models/gemini-2.5-flash-tts:generateContent');
    expect(bodyOf(req).generationConfig).toEqual({ responseModalities: ['AUDIO'], speechConfig: { languageCode: 'en-US', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } } });
    const wav = await readFile(out.artifacts[0]!.path);
    const pcm = Buffer.from(emu.sent.pcm.at(-1)!);
    expect(parseWav(wav)).toMatchObject({ audioFormat: 1, sampleRate: TTS_SAMPLE_RATE, channels: 1, bitsPerSample: 16, byteRate: TTS_SAMPLE_RATE * 2, dataBytes: pcm.length });
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.subarray(44)).toEqual(pcm);
    expect(out.artifacts[0]).toMatchObject({ mimeType: 'audio/wav', durationSeconds: pcm.length / (TTS_SAMPLE_RATE * 2) });
  });

  it('a 429 is retried by the runner: attempts 2, same provider', async () => {
    emu.enqueueFault({ status: 429, retryAfter: '0' });
    const { res, out } = await call(s, 'generate_text', { prompt: 'retry me' });
    expect(res.isError).toBeFalsy();
    expect(out.provider).toBe('google-vertex');
    expect(out.telemetry.attempts).toBe(2);
    expect(out.telemetry.fallbackFrom).toBeUndefined();
    expect(modelCalls(emu)).toHaveLength(2);
    expect(local.requests).toHaveLength(0);
  });

  it('a 400 is not retried and falls back to nothing', async () => {
    emu.enqueueFault({ status: 400, message: 'Invalid value at generation_config.max_output_tokens' });
    const { res, text } = await call(s, 'generate_text', { prompt: 'bad request' });
    expect(res.isError).toBe(true);
    expect(text).toMatch(/google-vertex: invalid_request \(HTTP 400\): Vertex AI returned HTTP 400 INVALID_ARGUMENT: Invalid value at generation_config\.max_output_tokens/);
    expect(modelCalls(emu)).toHaveLength(1);
    expect(local.requests).toHaveLength(0);
    expect(JSON.stringify(res)).not.toContain(KEY);
  });

  it('a safety block is content_filtered with the reason, and is not sent elsewhere', async () => {
    emu.enqueueFault({ finishSafety: true }, { promptBlocked: 'SAFETY' });
    const stopped = await call(s, 'generate_text', { prompt: 'something unsafe' });
    expect(stopped.res.isError).toBe(true);
    expect(stopped.text).toMatch(/google-vertex: content_filtered: .*finishReason SAFETY \(HARM_CATEGORY_DANGEROUS_CONTENT\)/);
    expect(stopped.res._meta?.['mcp-providers/error']).toMatchObject({ code: 'content_filtered', retryable: false });
    const blocked = await call(s, 'generate_text', { prompt: 'something unsafe' });
    expect(blocked.text).toMatch(/content_filtered: .*prompt was blocked \(SAFETY/);
    expect(modelCalls(emu)).toHaveLength(2);
    expect(local.requests).toHaveLength(0);
  });
});

describe('Application Default Credentials', () => {
  let emu: VertexEmulator;
  beforeAll(async () => {
    emu = await startVertexEmulator({ operationPolls: 2 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('external_account file (GOOGLE_APPLICATION_CREDENTIALS → emulator STS); Veo output via gs:// streamed into the store', async () => {
    const credentials = await emu.externalAccountFile(dir);
    const s = await stdioClient(
      testEnv({
        GOOGLE_CLOUD_PROJECT: PROJECT,
        GOOGLE_APPLICATION_CREDENTIALS: credentials,
        GOOGLE_VERTEX_BASE_URL: emu.baseUrl,
        GOOGLE_VERTEX_OUTPUT_GCS_URI: 'gs://veo-out/jobs',
        GOOGLE_VERTEX_STORAGE_URL: emu.storageEndpoint,
        MCP_PROVIDERS_POLL_MS: '20',
      }),
    );
    try {
      expect(await vertexRow(s)).toMatchObject({ usable: true, credentialMode: 'Application Default Credentials' });
      const text = await call(s, 'generate_text', { prompt: 'hello', provider: 'google-vertex' });
      expect(text.res.isError).toBeFalsy();
      const [req] = modelCalls(emu);
      expect(req!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent`);
      expect(emu.requests.some((r) => r.path === '/v1/token')).toBe(true);
      expect(emu.issuedTokens).toContain(bearer(req!));
      expect(bearer(req!)).toMatch(/^ya29\.emulator-sts-/);

      // The other tools on the project/location form of the resource path, all with STS tokens.
      const base = `/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models`;
      expect((await call(s, 'generate_image', { prompt: 'x', model: 'imagen-4.0-fast-generate-001', provider: 'google-vertex' })).res.isError).toBeFalsy();
      expect((await call(s, 'generate_audio', { prompt: 'x', provider: 'google-vertex' })).res.isError).toBeFalsy();
      expect((await call(s, 'tts', { text: 'x', provider: 'google-vertex' })).res.isError).toBeFalsy();
      const video = await call(s, 'generate_video', { prompt: 'to the bucket', provider: 'google-vertex' });
      expect(video.res.isError).toBeFalsy();
      expect(modelCalls(emu).map((r) => r.path.replace(base, ''))).toEqual([
        '/gemini-2.5-flash:generateContent',
        '/imagen-4.0-fast-generate-001:predict',
        '/lyria-002:predict',
        '/gemini-2.5-flash-tts:generateContent',
        '/veo-3.1-generate-001:predictLongRunning',
        '/veo-3.1-generate-001:fetchPredictOperation',
        '/veo-3.1-generate-001:fetchPredictOperation',
      ]);
      for (const r of modelCalls(emu)) expect(emu.issuedTokens).toContain(bearer(r));
      expect(bodyOf(modelCalls(emu, 'predictLongRunning')[0]).parameters).toMatchObject({ storageUri: 'gs://veo-out/jobs' });
      const [art] = video.out.artifacts;
      const [key] = [...emu.gcsObjects.keys()];
      expect(key).toMatch(/^veo-out\/jobs\/\d+\/sample_0\.mp4$/);
      const stored = await readFile(art!.path);
      expect(stored.toString('ascii', 4, 8)).toBe('ftyp');
      expect(stored).toEqual(Buffer.from(emu.gcsObjects.get(key!)!));
      // The gs:// URI stays in the artifact record.
      const record = JSON.parse(await readFile(art!.path.replace(/\.mp4$/, '.json'), 'utf8')) as { sourceUri?: string };
      expect(record.sourceUri).toBe(`gs://${key}`);
      const download = emu.requests.find((r) => r.query.alt === 'media');
      expect(emu.issuedTokens).toContain(bearer(download!));
    } finally {
      await s.close();
    }
  });

  it('metadata server (GCE_METADATA_HOST → emulator)', async () => {
    emu.requests.length = 0;
    const s = await stdioClient(testEnv({ GOOGLE_CLOUD_PROJECT: PROJECT, GCE_METADATA_HOST: emu.metadataHost, GOOGLE_VERTEX_BASE_URL: emu.baseUrl }));
    try {
      expect(await vertexRow(s)).toMatchObject({ usable: true, credentialMode: 'Application Default Credentials' });
      const { res } = await call(s, 'tts', { text: 'hi', provider: 'google-vertex' });
      expect(res.isError).toBeFalsy();
      const [req] = modelCalls(emu);
      expect(req!.path).toBe(`/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash-tts:generateContent`);
      expect(bearer(req!)).toMatch(/^ya29\.emulator-metadata-/);
      expect(emu.issuedTokens).toContain(bearer(req!));
      expect(emu.requests.some((r) => r.path.endsWith('/service-accounts/default/token') && r.headers['metadata-flavor'] === 'Google')).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('no credentials', () => {
  it('list_providers names the missing variables, and a call says which are needed', async () => {
    const s = await stdioClient(testEnv());
    try {
      const row = await vertexRow(s);
      expect(row).toMatchObject({ implemented: true, configured: false, usable: false });
      expect(row.missing).toEqual([
        'GOOGLE_API_KEY (API key, Vertex express mode)',
        expect.stringMatching(/^GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS or gcloud ADC .* or a GCP metadata server .*\(Application Default Credentials\)$/),
      ]);
      const { res, text } = await call(s, 'generate_video', { prompt: 'x', provider: 'google-vertex' });
      expect(res.isError).toBe(true);
      expect(text).toMatch(/google-vertex is missing GOOGLE_API_KEY \(API key, Vertex express mode\) — or GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS/);
    } finally {
      await s.close();
    }
  });
});

describe('start-up cost', () => {
  it('with Google configured, @google/genai and the Google auth/storage libraries load on the first call, not at start-up', async () => {
    const emu = await startVertexEmulator();
    const s = await stdioWithLoads(testEnv({ GOOGLE_API_KEY: KEY, GOOGLE_CLOUD_PROJECT: PROJECT, GOOGLE_VERTEX_BASE_URL: emu.baseUrl }));
    const client = s.client;
    // Lines are URLs Node resolved, and `bundled:<URL>` for each module inside a bundle chunk it loaded.
    const google = /\/node_modules\/(@google\/genai|google-auth-library|@google-cloud\/storage|gcp-metadata|gaxios)\/|\/src\/providers\/google-vertex\//;
    try {
      await client.listTools();
      const listed = (await client.callTool({ name: 'list_providers', arguments: {} })) as CallToolResult;
      expect(JSON.stringify(listed.structuredContent)).toContain('"credentialMode":"API key, Vertex express mode"');
      const atStart = await s.loaded();
      // The recorder works: it saw the entry, our modules and the MCP SDK (bundled) load...
      expect(atStart).toContain(pathToFileURL(CLI).href);
      expect(atStart.some((u) => u.startsWith('bundled:') && u.endsWith('/src/main.ts'))).toBe(true);
      expect(atStart.some((u) => u.startsWith('bundled:') && u.includes('/node_modules/@modelcontextprotocol/server/'))).toBe(true);
      // ...and nothing of Google's.
      expect(atStart.filter((u) => google.test(u))).toEqual([]);

      const res = (await client.callTool({ name: 'generate_text', arguments: { prompt: 'hi', provider: 'google-vertex' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const after = await s.loaded();
      expect(after.some((u) => u.includes('/node_modules/@google/genai/dist/node/'))).toBe(true);
      expect(after.some((u) => u.endsWith('/src/providers/google-vertex/index.ts'))).toBe(true);
    } finally {
      await s.close();
      await emu.close();
    }
  });
});
