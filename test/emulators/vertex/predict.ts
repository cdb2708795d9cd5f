/**
 * `:predict` for Imagen and Lyria.
 *
 * Imagen (what @google/genai's generateImagesParametersToVertex sends):
 *   `{instances:[{prompt}], parameters:{sampleCount, aspectRatio, negativePrompt, seed, personGeneration,
 *   safetySetting, addWatermark, includeRaiReason, outputOptions:{mimeType, compressionQuality}, storageUri,
 *   sampleImageSize, enhancePrompt, language}}` → `{predictions:[{bytesBase64Encoded, mimeType} |
 *   {gcsUri, mimeType} | {raiFilteredReason}]}` (Imagen API reference). Documented constraints enforced:
 *   sampleCount 1–4 (default 4), the five aspect ratios, png/jpeg output, and `seed` only with
 *   `addWatermark: false` (the watermark is on by default and the API refuses a seed with it).
 *
 * Lyria (`lyria-002`, Lyria API reference): `{instances:[{prompt, negative_prompt?, seed?}],
 *   parameters:{sample_count?}}` → `{predictions:[{bytesBase64Encoded|audioContent, mimeType:'audio/wav'}],
 *   deployedModelId, model, modelDisplayName}`. seed together with sample_count → 400 INVALID_ARGUMENT.
 *   WAVs are 48 kHz stereo 16-bit, 0.25 s. The prediction uses `audioContent` (the field the reference
 *   page shows) when the prompt contains the word 'audioContent', else `bytesBase64Encoded`.
 */
import { putObject, parseGsUri } from './gcs.js';
import { asObject } from './http.js';
import { base64, colour, encodeJpeg, encodePng, encodeWav, pcmTone } from '../media.js';
import type { EmulatorState, ModelCall } from './types.js';

export type PredictOutcome =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'invalid'; message: string; status?: string };

/** Output size per aspect ratio, multiples of 8 so the JPEG needs no padding. */
export const IMAGEN_SIZES: Record<string, readonly [number, number]> = {
  '1:1': [64, 64],
  '16:9': [128, 72],
  '9:16': [72, 128],
  '4:3': [64, 48],
  '3:4': [48, 64],
};

export const LYRIA_SAMPLE_RATE = 48000;
export const LYRIA_CHANNELS = 2;

const RAI_ALL =
  "Unable to show generated images. All images were filtered out because they violated Vertex AI's usage guidelines. " +
  'You will not be charged for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback. Support codes: 56562880';
const RAI_ONE =
  "An image was filtered out because it violated Vertex AI's usage guidelines. Support codes: 58061214";

export function predictImagen(state: EmulatorState, call: ModelCall, filtered: number | 'all' | undefined): PredictOutcome {
  const body = asObject(call.body);
  const instances = Array.isArray(body.instances) ? body.instances : [];
  const prompt = asObject(instances[0]).prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') {
    return { kind: 'invalid', message: 'The prompt is required: instances[0].prompt must be a non-empty string.' };
  }
  const params = asObject(body.parameters);
  const count = params.sampleCount === undefined ? 4 : params.sampleCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 4) {
    return { kind: 'invalid', message: `sampleCount must be an integer from 1 to 4, got ${JSON.stringify(count)}.` };
  }
  const aspect = params.aspectRatio === undefined ? '1:1' : String(params.aspectRatio);
  const size = IMAGEN_SIZES[aspect];
  if (!size) return { kind: 'invalid', message: `Unsupported aspect ratio: ${aspect}. Supported: ${Object.keys(IMAGEN_SIZES).join(', ')}.` };
  const mimeType = asObject(params.outputOptions).mimeType ?? 'image/png';
  if (mimeType !== 'image/png' && mimeType !== 'image/jpeg') {
    return { kind: 'invalid', message: `Unsupported output mime type: ${String(mimeType)}.` };
  }
  if (params.seed !== undefined && params.addWatermark !== false) {
    return { kind: 'invalid', message: 'Seed is not supported when watermark is enabled. Set addWatermark to false to use a seed.' };
  }
  if (params.personGeneration !== undefined && !['dont_allow', 'allow_adult', 'allow_all'].includes(String(params.personGeneration))) {
    return { kind: 'invalid', message: `Unsupported personGeneration: ${String(params.personGeneration)}.` };
  }
  let storage: { bucket: string; path: string } | undefined;
  if (params.storageUri !== undefined) {
    storage = parseGsUri(String(params.storageUri));
    if (!storage) return { kind: 'invalid', message: `storageUri must be a gs:// URI, got ${String(params.storageUri)}.` };
  }

  const nFiltered = filtered === undefined ? 0 : filtered === 'all' ? count : Math.min(count, filtered);
  const folder = String(Date.now()) + String(++state.seq).padStart(4, '0');
  const ext = mimeType === 'image/jpeg' ? 'jpg' : 'png';
  const predictions: Record<string, unknown>[] = [];
  for (let i = 0; i < count - nFiltered; i++) {
    const rgb = colour(state.sent.images.length);
    const bytes = mimeType === 'image/jpeg' ? encodeJpeg(size[0], size[1], rgb) : encodePng(size[0], size[1], rgb);
    state.sent.images.push(bytes);
    if (storage) {
      const name = [storage.path, folder, `sample_${i}.${ext}`].filter(Boolean).join('/');
      predictions.push({ gcsUri: putObject(state, storage.bucket, name, bytes), mimeType });
    } else {
      predictions.push({ bytesBase64Encoded: base64(bytes), mimeType });
    }
  }
  for (let i = 0; i < nFiltered; i++) predictions.push({ raiFilteredReason: nFiltered === count ? RAI_ALL : RAI_ONE });
  return { kind: 'ok', body: { predictions } };
}

export function predictLyria(state: EmulatorState, call: ModelCall): PredictOutcome {
  const body = asObject(call.body);
  const instances = Array.isArray(body.instances) ? body.instances : [];
  const instance = asObject(instances[0]);
  if (typeof instance.prompt !== 'string' || instance.prompt.trim() === '') {
    return { kind: 'invalid', message: 'The prompt is required: instances[0].prompt must be a non-empty string.' };
  }
  const params = asObject(body.parameters);
  const sampleCount = params.sample_count ?? params.sampleCount;
  if (instance.seed !== undefined && sampleCount !== undefined) {
    return { kind: 'invalid', message: 'seed and sample_count cannot be set in the same request.' };
  }
  const count = sampleCount ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 4) {
    return { kind: 'invalid', message: `sample_count must be an integer from 1 to 4, got ${JSON.stringify(count)}.` };
  }
  const field = /\baudioContent\b/.test(instance.prompt) ? 'audioContent' : 'bytesBase64Encoded';
  const seedOffset = typeof instance.seed === 'number' ? instance.seed % 200 : 0;
  const predictions: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const pcm = pcmTone({ sampleRate: LYRIA_SAMPLE_RATE, channels: LYRIA_CHANNELS, seconds: 0.25, frequency: 330 + 110 * i + seedOffset });
    const wav = encodeWav(pcm, LYRIA_SAMPLE_RATE, LYRIA_CHANNELS);
    state.sent.audio.push(wav);
    predictions.push({ [field]: base64(wav), mimeType: 'audio/wav' });
  }
  return {
    kind: 'ok',
    body: {
      predictions,
      deployedModelId: '0',
      model: `projects/${call.project}/locations/${call.location}/publishers/google/models/${call.model}`,
      modelDisplayName: 'Lyria 2',
    },
  };
}
