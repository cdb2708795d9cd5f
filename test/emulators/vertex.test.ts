/**
 * Tests of the Vertex emulator itself: routes, auth, faults and media driven with plain fetch,
 * plus a few calls through the real clients (@google/genai in Vertex mode, google-auth-library,
 * @google-cloud/storage) proving the emulator speaks their wire format.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Storage } from '@google-cloud/storage';
import { GoogleGenAI } from '@google/genai';
import { GoogleAuth } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVertexEmulator, type VertexEmulator } from './vertex/index.js';

const PROJECT = 'test-project';
const KEY = 'test-api-key';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

let emu: VertexEmulator;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vertex-emu-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  emu = await startVertexEmulator({ operationPolls: 2 });
});
afterEach(async () => {
  await emu.close();
});

function projectUrl(model: string, method: string, version = 'v1beta1', project = PROJECT): string {
  return `${emu.baseUrl}/${version}/projects/${project}/locations/us-central1/publishers/google/models/${model}:${method}`;
}
function expressUrl(model: string, method: string): string {
  return `${emu.baseUrl}/v1beta1/publishers/google/models/${model}:${method}`;
}
async function post(url: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': KEY }) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}
function b64(data: string): Buffer {
  return Buffer.from(data, 'base64');
}
/** Decodes a PNG made of one IDAT of filter-0 RGB rows; returns [width, height, first pixel]. */
function decodePng(png: Buffer): [number, number, number[]] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idatLen = png.readUInt32BE(33);
  expect(png.toString('ascii', 37, 41)).toBe('IDAT');
  const raw = inflateSync(png.subarray(41, 41 + idatLen));
  expect(raw.length).toBe(height * (1 + width * 3));
  return [width, height, [raw[1]!, raw[2]!, raw[3]!]];
}
/** JPEG markers: SOI, SOF0 (baseline) with the dimensions, EOI. */
function jpegSize(jpg: Buffer): [number, number] {
  expect(jpg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  expect(jpg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  expect(sof).toBeGreaterThan(0);
  return [jpg.readUInt16BE(sof + 7), jpg.readUInt16BE(sof + 5)];
}

describe('routing and auth', () => {
  it('binds 127.0.0.1 and exposes the endpoints of the contract', () => {
    expect(emu.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.metadataHost).toBe(emu.baseUrl.replace('http://', ''));
    expect(emu.storageEndpoint).toBe(emu.baseUrl);
    expect(emu.tokenUrl).toBe(`${emu.baseUrl}/v1/token`);
  });

  it('express form needs the API key (header or ?key=) and reports a wrong one as API_KEY_INVALID', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    expect((await post(expressUrl('gemini-2.5-flash', 'generateContent'), body)).status).toBe(200);
    expect((await post(`${expressUrl('gemini-2.5-flash', 'generateContent')}?key=${KEY}`, body, {})).status).toBe(200);
    const missing = await post(expressUrl('gemini-2.5-flash', 'generateContent'), body, {});
    expect(missing.status).toBe(401);
    expect(missing.json.error.status).toBe('UNAUTHENTICATED');
    const wrong = await post(expressUrl('gemini-2.5-flash', 'generateContent'), body, { 'x-goog-api-key': 'nope' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(wrong.json.error.details[0]).toMatchObject({ reason: 'API_KEY_INVALID' });
  });

  it('project form needs an issued Bearer token (or the key) and the right project', async () => {
    const body = { contents: [{ parts: [{ text: 'hi' }] }] };
    const none = await post(projectUrl('gemini-2.5-flash', 'generateContent'), body, {});
    expect(none.status).toBe(401);
    expect(none.json.error.status).toBe('UNAUTHENTICATED');
    const forged = await post(projectUrl('gemini-2.5-flash', 'generateContent'), body, { authorization: 'Bearer ya29.forged' });
    expect(forged.status).toBe(401);
    const other = await post(projectUrl('gemini-2.5-flash', 'generateContent', 'v1', 'other-project'), body);
    expect(other.status).toBe(404);
    expect(other.json.error.status).toBe('NOT_FOUND');
    const ok = await post(projectUrl('gemini-2.5-flash', 'generateContent', 'v1'), body);
    expect(ok.status).toBe(200);
    expect(emu.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/v1/projects/${PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent`,
      body,
    });
  });

  it('answers unknown routes and wrong model families with google.rpc.Status bodies', async () => {
    const res = await fetch(`${emu.baseUrl}/v1/nothing/here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    const wrong = await post(expressUrl('gemini-2.5-flash', 'predict'), { instances: [{ prompt: 'x' }] });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.status).toBe('FAILED_PRECONDITION');
  });
});

describe('generateContent', () => {
  const url = () => expressUrl('gemini-2.5-flash', 'generateContent');

  it('echoes the prompt with usage, responseId and modelVersion; JSON mode follows the schema', async () => {
    const { json } = await post(url(), { contents: [{ role: 'user', parts: [{ text: 'tell me a joke' }] }] });
    expect(json.candidates[0]).toMatchObject({ content: { role: 'model', parts: [{ text: 'echo: tell me a joke' }] }, finishReason: 'STOP' });
    expect(json.usageMetadata).toMatchObject({ promptTokenCount: 4, candidatesTokenCount: 5, totalTokenCount: 9 });
    expect(json.responseId).toMatch(/^[\w-]{22}$/);
    expect(json.modelVersion).toBe('gemini-2.5-flash');

    const structured = await post(url(), {
      contents: [{ role: 'user', parts: [{ text: 'name a colour' }] }],
      generationConfig: {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { colour: { type: 'STRING' }, count: { type: 'INTEGER' } } },
      },
    });
    expect(JSON.parse(structured.json.candidates[0].content.parts[0].text)).toEqual({ colour: 'name a colour', count: 1 });

    const cut = await post(url(), { contents: [{ parts: [{ text: 'one two three four' }] }], generationConfig: { maxOutputTokens: 2 } });
    expect(cut.json.candidates[0]).toMatchObject({ finishReason: 'MAX_TOKENS', content: { parts: [{ text: 'echo: one' }] } });
  });

  it('returns a PNG for IMAGE output and 24 kHz L16 PCM for AUDIO output', async () => {
    const image = await post(url(), { contents: [{ parts: [{ text: 'a red fox' }] }], generationConfig: { responseModalities: ['TEXT', 'IMAGE'] } });
    const inline = image.json.candidates[0].content.parts[1].inlineData;
    expect(inline.mimeType).toBe('image/png');
    expect(decodePng(b64(inline.data))[0]).toBe(64);
    expect(emu.sent.images).toHaveLength(1);

    const speech = await post(url(), {
      contents: [{ parts: [{ text: 'Say hello' }] }],
      generationConfig: {
        responseModalities: ['AUDIO'],
        speechConfig: {
          multiSpeakerVoiceConfig: {
            speakerVoiceConfigs: [
              { speaker: 'A', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
              { speaker: 'B', voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Puck' } } },
            ],
          },
        },
      },
    });
    const audio = speech.json.candidates[0].content.parts[0].inlineData;
    expect(audio.mimeType).toBe('audio/L16;codec=pcm;rate=24000');
    const pcm = b64(audio.data);
    expect(pcm.length).toBe(2 * 24000 * 2 * 0.5); // two speakers × 0.5 s × 16-bit mono
    expect(Buffer.from(emu.sent.pcm[0]!)).toEqual(pcm);
    expect(pcm.readInt16LE(2)).toBeGreaterThan(0); // little-endian rising sine
  });

  it('applies faults in order, one per model call', async () => {
    emu.enqueueFault(
      { status: 429, retryAfter: '7' },
      { status: 400, grpcStatus: 'FAILED_PRECONDITION', message: 'Project not allowlisted' },
      { promptBlocked: 'SAFETY' },
      { finishSafety: true },
      { delayMs: 50 },
    );
    const body = { contents: [{ parts: [{ text: 'x' }] }] };
    const limited = await post(url(), body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(limited.json.error.details).toEqual([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }]);
    const precondition = await post(url(), body);
    expect(precondition.json).toEqual({ error: { code: 400, message: 'Project not allowlisted', status: 'FAILED_PRECONDITION' } });
    const blocked = await post(url(), body);
    expect(blocked.json.candidates).toBeUndefined();
    expect(blocked.json.promptFeedback.blockReason).toBe('SAFETY');
    const unsafe = await post(url(), body);
    expect(unsafe.json.candidates[0].finishReason).toBe('SAFETY');
    expect(unsafe.json.candidates[0].content).toBeUndefined();
    expect(unsafe.json.candidates[0].safetyRatings.some((r: { blocked?: boolean }) => r.blocked)).toBe(true);
    const started = Date.now();
    expect((await post(url(), body)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect((await post(url(), body)).json.candidates[0].finishReason).toBe('STOP');
  });
});

describe('predict', () => {
  it('Imagen: sampleCount PNGs or real JPEGs, RAI-filtered entries, storageUri outputs, documented refusals', async () => {
    const png = await post(expressUrl('imagen-4.0-generate-001', 'predict'), {
      instances: [{ prompt: 'a lighthouse' }],
      parameters: { sampleCount: 2, aspectRatio: '16:9' },
    });
    expect(png.json.predictions).toHaveLength(2);
    expect(decodePng(b64(png.json.predictions[0].bytesBase64Encoded)).slice(0, 2)).toEqual([128, 72]);

    const jpeg = await post(expressUrl('imagen-4.0-generate-001', 'predict'), {
      instances: [{ prompt: 'a lighthouse' }],
      parameters: { sampleCount: 1, aspectRatio: '3:4', outputOptions: { mimeType: 'image/jpeg' } },
    });
    expect(jpeg.json.predictions[0].mimeType).toBe('image/jpeg');
    expect(jpegSize(b64(jpeg.json.predictions[0].bytesBase64Encoded))).toEqual([48, 64]);

    emu.enqueueFault({ imagenFiltered: 1 }, { imagenFiltered: 'all' });
    const some = await post(expressUrl('imagen-4.0-generate-001', 'predict'), { instances: [{ prompt: 'p' }], parameters: { sampleCount: 3 } });
    expect(some.json.predictions.filter((p: Record<string, unknown>) => p.raiFilteredReason)).toHaveLength(1);
    expect(some.json.predictions.filter((p: Record<string, unknown>) => p.bytesBase64Encoded)).toHaveLength(2);
    const all = await post(expressUrl('imagen-4.0-generate-001', 'predict'), { instances: [{ prompt: 'p' }], parameters: { sampleCount: 2 } });
    expect(all.json.predictions.every((p: Record<string, unknown>) => typeof p.raiFilteredReason === 'string')).toBe(true);

    const stored = await post(expressUrl('imagen-4.0-generate-001', 'predict'), {
      instances: [{ prompt: 'p' }],
      parameters: { sampleCount: 1, storageUri: 'gs://out-bucket/images/' },
    });
    const gcsUri: string = stored.json.predictions[0].gcsUri;
    expect(gcsUri).toMatch(/^gs:\/\/out-bucket\/images\/\d+\/sample_0\.png$/);
    expect(emu.gcsObjects.get(gcsUri.slice(5))).toEqual(emu.sent.images.at(-1));

    const seeded = await post(expressUrl('imagen-4.0-generate-001', 'predict'), { instances: [{ prompt: 'p' }], parameters: { seed: 3 } });
    expect(seeded.status).toBe(400);
    const seededOk = await post(expressUrl('imagen-4.0-generate-001', 'predict'), {
      instances: [{ prompt: 'p' }],
      parameters: { seed: 3, addWatermark: false, sampleCount: 1 },
    });
    expect(seededOk.status).toBe(200);
  });

  it('Lyria: 48 kHz stereo WAVs in bytesBase64Encoded or audioContent; seed with sample_count is refused', async () => {
    const url = projectUrl('lyria-002', 'predict', 'v1');
    const two = await post(url, { instances: [{ prompt: 'calm piano', negative_prompt: 'drums' }], parameters: { sample_count: 2 } });
    expect(two.json.predictions).toHaveLength(2);
    const wav = b64(two.json.predictions[0].bytesBase64Encoded);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect([wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).toEqual([2, 48000, 16]);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    expect(two.json.predictions[0].mimeType).toBe('audio/wav');

    const alt = await post(url, { instances: [{ prompt: 'audioContent please', seed: 42 }] });
    expect(Object.keys(alt.json.predictions[0]).sort()).toEqual(['audioContent', 'mimeType']);
    expect(emu.sent.audio).toHaveLength(3);

    const both = await post(url, { instances: [{ prompt: 'x', seed: 1 }], parameters: { sample_count: 2 } });
    expect(both.status).toBe(400);
    expect(both.json.error.status).toBe('INVALID_ARGUMENT');
  });
});

describe('Veo operations', () => {
  it('finishes after operationPolls fetches, writes storageUri outputs and records the frames', async () => {
    const frame = Buffer.from('first-frame-bytes').toString('base64');
    const start = await post(projectUrl('veo-3.0-generate-001', 'predictLongRunning'), {
      instances: [{ prompt: 'waves', image: { bytesBase64Encoded: frame, mimeType: 'image/png' }, lastFrame: { gcsUri: 'gs://in/last.png', mimeType: 'image/png' } }],
      parameters: { sampleCount: 2, storageUri: 'gs://out-bucket/videos', durationSeconds: 4 },
    });
    const name: string = start.json.name;
    expect(name).toMatch(new RegExp(`^projects/${PROJECT}/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/[0-9a-f-]{36}$`));
    expect(emu.operations.get(name)?.instance).toMatchObject({ image: { bytesBase64Encoded: frame }, lastFrame: { gcsUri: 'gs://in/last.png' } });

    const poll = () => post(projectUrl('veo-3.0-generate-001', 'fetchPredictOperation'), { operationName: name });
    expect((await poll()).json).toEqual({ name, done: false });
    const done = (await poll()).json;
    expect(done).toMatchObject({ name, done: true, response: { '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse', raiMediaFilteredCount: 0 } });
    const videos: { gcsUri: string; mimeType: string }[] = done.response.videos;
    expect(videos).toHaveLength(2);
    for (const v of videos) {
      expect(v.mimeType).toBe('video/mp4');
      const bytes = Buffer.from(emu.gcsObjects.get(v.gcsUri.slice(5))!);
      expect(bytes.toString('ascii', 4, 8)).toBe('ftyp');
    }
    expect(emu.sent.videos).toHaveLength(2);
    expect((await poll()).json).toEqual(done); // stays done, nothing new sent
    expect(emu.sent.videos).toHaveLength(2);

    const unknown = await post(projectUrl('veo-3.0-generate-001', 'fetchPredictOperation'), { operationName: `${name}x` });
    expect(unknown.status).toBe(404);
  });

  it('reports filtered videos and operation errors in the finished operation', async () => {
    const begin = async () =>
      (await post(expressUrl('veo-2.0-generate-001', 'predictLongRunning'), { instances: [{ prompt: 'p' }] })).json.name as string;
    // Express-mode operations are still named (and polled) in the project form, as the SDK does.
    const poll = async (name: string) =>
      (await post(projectUrl('veo-2.0-generate-001', 'fetchPredictOperation'), { operationName: name })).json;

    emu.enqueueFault({ imagenFiltered: 'all' });
    const first = await begin();
    await poll(first);
    const filtered = await poll(first);
    expect(filtered.response).toMatchObject({ raiMediaFilteredCount: 1 });
    expect(filtered.response.videos).toBeUndefined();
    expect(filtered.response.raiMediaFilteredReasons).toHaveLength(1);

    // Consumed by a poll, operationError ends that operation at once.
    const second = await begin();
    emu.enqueueFault({ operationError: { code: 3, message: 'bad image' } });
    expect(await poll(second)).toEqual({ name: second, done: true, error: { code: 3, message: 'bad image' } });
    expect(emu.sent.videos).toHaveLength(0);
  });
});

describe('credentials endpoints', () => {
  it('STS exchanges only the subject token it wrote; the metadata server wants Metadata-Flavor', async () => {
    const credFile = await emu.externalAccountFile(dir);
    const creds = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(credFile, 'utf8'))) as Record<string, any>;
    expect(creds).toMatchObject({ type: 'external_account', token_url: emu.tokenUrl, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' });
    const subject = await import('node:fs/promises').then((fs) => fs.readFile(creds.credential_source.file, 'utf8'));
    const form = (subjectToken: string) =>
      new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: creds.audience,
        scope: CLOUD_PLATFORM,
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: subjectToken,
        subject_token_type: creds.subject_token_type,
      });
    const bad = await fetch(emu.tokenUrl, { method: 'POST', body: form('not-the-token') });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_grant' });
    const good = await fetch(emu.tokenUrl, { method: 'POST', body: form(subject) });
    const token = (await good.json()) as Record<string, unknown>;
    expect(token).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 });
    expect(emu.issuedTokens).toEqual([token.access_token]);
    expect(emu.requests.at(-1)?.body).toMatchObject({ subject_token: subject });

    const tokenPath = `${emu.baseUrl}/computeMetadata/v1/instance/service-accounts/default/token`;
    expect((await fetch(tokenPath)).status).toBe(403);
    const meta = await fetch(tokenPath, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(meta.headers.get('metadata-flavor')).toBe('Google');
    expect(await meta.json()).toMatchObject({ token_type: 'Bearer', access_token: emu.issuedTokens[1] });
    const project = await fetch(`${emu.baseUrl}/computeMetadata/v1/project/project-id`, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(await project.text()).toBe(PROJECT);
  });
});

describe('through the real clients', () => {
  it('@google/genai (Vertex, external_account ADC): generateContent, generateImages, generateVideos + polling', async () => {
    const keyFilename = await emu.externalAccountFile(dir);
    const ai = new GoogleGenAI({
      vertexai: true,
      project: PROJECT,
      location: 'us-central1',
      // projectId spares google-auth-library its project lookups (gcloud, metadata server, CRM).
      googleAuthOptions: { keyFilename, projectId: PROJECT },
      httpOptions: { baseUrl: emu.baseUrl },
    });
    const text = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello there' });
    expect(text.text).toBe('echo: hello there');
    expect(text.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    const call = emu.requests.find((r) => r.path.endsWith(':generateContent'))!;
    expect(call.path).toBe(`/v1beta1/projects/${PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent`);
    expect(call.headers.authorization).toBe(`Bearer ${emu.issuedTokens[0]}`);
    expect(emu.requests.find((r) => r.path === '/v1/token')?.method).toBe('POST');

    const images = await ai.models.generateImages({
      model: 'imagen-4.0-generate-001',
      prompt: 'a cat',
      config: { numberOfImages: 2, outputMimeType: 'image/jpeg', aspectRatio: '16:9' },
    });
    expect(images.generatedImages?.map((g) => g.image?.mimeType)).toEqual(['image/jpeg', 'image/jpeg']);
    expect(jpegSize(Buffer.from(images.generatedImages![0]!.image!.imageBytes!, 'base64'))).toEqual([128, 72]);

    let op = await ai.models.generateVideos({
      model: 'veo-3.0-generate-001',
      source: { prompt: 'a dog', image: { imageBytes: Buffer.from('png').toString('base64'), mimeType: 'image/png' } },
      config: { numberOfVideos: 1, durationSeconds: 4 },
    });
    let polls = 0;
    while (!op.done) {
      op = await ai.operations.getVideosOperation({ operation: op });
      polls++;
    }
    expect(polls).toBe(2);
    const video = Buffer.from(op.response!.generatedVideos![0]!.video!.videoBytes!, 'base64');
    expect(video.toString('ascii', 4, 8)).toBe('ftyp');
  });

  it('@google/genai express mode (API key, no project) uses /v1beta1/publishers/google/models/…', async () => {
    const ai = new GoogleGenAI({ vertexai: true, apiKey: KEY, httpOptions: { baseUrl: emu.baseUrl } });
    const res = await ai.models.generateContent({
      model: 'gemini-2.5-flash-preview-tts',
      contents: 'Say cheerfully: have a wonderful day!',
      config: { responseModalities: ['AUDIO'], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } } },
    });
    const part = res.candidates?.[0]?.content?.parts?.[0]?.inlineData;
    expect(part?.mimeType).toBe('audio/L16;codec=pcm;rate=24000');
    expect(emu.requests[0]).toMatchObject({
      path: '/v1beta1/publishers/google/models/gemini-2.5-flash-preview-tts:generateContent',
      headers: { 'x-goog-api-key': KEY },
    });
    let streamed = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'stream me' })) {
      streamed += chunk.text ?? '';
    }
    expect(streamed).toBe('echo: stream me');
    expect(emu.requests.at(-1)).toMatchObject({ path: '/v1beta1/publishers/google/models/gemini-2.5-flash:streamGenerateContent', query: { alt: 'sse' } });
    const bad = new GoogleGenAI({ vertexai: true, apiKey: 'wrong', httpOptions: { baseUrl: emu.baseUrl } });
    await expect(bad.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' })).rejects.toMatchObject({ status: 400 });
  });

  it('google-auth-library (Lyria predict via client.request) and @google-cloud/storage downloads', async () => {
    const auth = new GoogleAuth({ keyFilename: await emu.externalAccountFile(dir), scopes: [CLOUD_PLATFORM] });
    const client = await auth.getClient();
    const lyria = await client.request<{ predictions: { bytesBase64Encoded: string }[] }>({
      url: projectUrl('lyria-002', 'predict', 'v1'),
      method: 'POST',
      data: { instances: [{ prompt: 'jazz' }], parameters: { sample_count: 1 } },
    });
    expect(b64(lyria.data.predictions[0]!.bytesBase64Encoded).toString('ascii', 0, 4)).toBe('RIFF');
    expect(await auth.getProjectId()).toBe(PROJECT); // via the file's cloud_resource_manager_url

    const bytes = new Uint8Array([1, 2, 3, 250, 251]);
    emu.gcsObjects.set('bkt/out/run 1/sample_0.mp4', bytes);
    const anonymous = new Storage({ apiEndpoint: emu.storageEndpoint, projectId: PROJECT });
    const [data] = await anonymous.bucket('bkt').file('out/run 1/sample_0.mp4').download();
    expect(new Uint8Array(data)).toEqual(bytes);
    const [meta] = await anonymous.bucket('bkt').file('out/run 1/sample_0.mp4').getMetadata();
    expect(meta).toMatchObject({ name: 'out/run 1/sample_0.mp4', size: '5', contentType: 'video/mp4' });
    const authed = new Storage({ apiEndpoint: emu.storageEndpoint, authClient: auth, useAuthWithCustomEndpoint: true });
    await authed.bucket('bkt').file('out/run 1/sample_0.mp4').download();
    const download = emu.requests.at(-1)!;
    expect(download).toMatchObject({ path: '/storage/v1/b/bkt/o/out%2Frun%201%2Fsample_0.mp4', query: { alt: 'media' } });
    expect(download.headers.authorization).toMatch(/^Bearer ya29\.emulator-sts-/);
    await expect(anonymous.bucket('bkt').file('missing').download()).rejects.toMatchObject({ code: 404 });
  });

  it('google-auth-library ADC through the metadata server (GCE_METADATA_HOST)', async () => {
    // No credentials file may win over the metadata server: no GOOGLE_APPLICATION_CREDENTIALS and
    // an empty gcloud config dir (CLOUDSDK_CONFIG) instead of ~/.config/gcloud.
    const vars = ['GCE_METADATA_HOST', 'GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG'] as const;
    const saved = vars.map((v) => process.env[v]);
    process.env.GCE_METADATA_HOST = emu.metadataHost;
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.CLOUDSDK_CONFIG = join(dir, 'no-gcloud');
    try {
      const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM] });
      const token = await auth.getAccessToken();
      expect(emu.issuedTokens).toContain(token);
      expect(await auth.getProjectId()).toBe(PROJECT);
      expect(emu.requests.map((r) => r.path)).toContain('/computeMetadata/v1/instance/service-accounts/default/token');
    } finally {
      vars.forEach((v, i) => {
        if (saved[i] === undefined) delete process.env[v];
        else process.env[v] = saved[i];
      });
    }
  });
});
