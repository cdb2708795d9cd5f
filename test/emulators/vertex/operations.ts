/**
 * Veo: `:predictLongRunning` starts an operation, `:fetchPredictOperation` polls it.
 *
 * @google/genai (generateVideosParametersToVertex) sends `{instances:[{prompt, image?:{bytesBase64Encoded|gcsUri,
 * mimeType}, lastFrame?, video?, referenceImages?}], parameters:{sampleCount, storageUri, durationSeconds, seed,
 * aspectRatio, resolution, personGeneration, negativePrompt, enhancePrompt, generateAudio, fps, compressionQuality}}`
 * and gets `{name: 'projects/{p}/locations/{l}/publishers/google/models/{model}/operations/{id}'}`.
 * Operations.getVideosOperation then POSTs `{operationName}` to
 * `{name up to '/operations/'}:fetchPredictOperation` (always the project form, even in express mode),
 * and reads `{name, done, error?, response:{'@type', videos:[{bytesBase64Encoded|gcsUri, mimeType}],
 * raiMediaFilteredCount, raiMediaFilteredReasons}}` (Veo API reference; GenerateVideoResponse).
 * With `storageUri` the videos are written to `{storageUri}/{folder}/sample_{i}.mp4`, as Veo does.
 */
import { randomUUID } from 'node:crypto';
import { parseGsUri, putObject } from './gcs.js';
import { asObject } from './http.js';
import { base64, encodeMp4 } from '../media.js';
import type { EmulatorState, ModelCall, VeoOperation } from './types.js';

export type OperationOutcome =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'invalid'; message: string }
  | { kind: 'not-found'; message: string };

export interface OperationFaults {
  filtered?: number | 'all';
  operationError?: { code: number; message: string };
  /** The operation stays `done: false` for good (a job that never finishes). */
  neverFinish?: boolean;
}

type PendingResult = OperationFaults;
const pending = new WeakMap<VeoOperation, PendingResult>();

const VEO_ASPECTS = ['16:9', '9:16'];
const RAI_VIDEO_REASON =
  "Unable to show generated videos. Videos were filtered out because they violated Vertex AI's usage guidelines. Support codes: 90789179";

function checkImage(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const img = asObject(value);
  const hasBytes = typeof img.bytesBase64Encoded === 'string' && img.bytesBase64Encoded.length > 0;
  const hasUri = typeof img.gcsUri === 'string' && img.gcsUri.startsWith('gs://');
  if (hasBytes === hasUri) return `${field} must have exactly one of bytesBase64Encoded or gcsUri (gs://).`;
  if (typeof img.mimeType !== 'string' || !img.mimeType.startsWith('image/')) return `${field}.mimeType is required (image/png or image/jpeg).`;
  return undefined;
}

export function startVeo(state: EmulatorState, call: ModelCall, faults: OperationFaults): OperationOutcome {
  const body = asObject(call.body);
  const instances = Array.isArray(body.instances) ? body.instances : [];
  const instance = asObject(instances[0]);
  if (typeof instance.prompt !== 'string' && instance.image === undefined && instance.video === undefined) {
    return { kind: 'invalid', message: 'A prompt or an image is required in instances[0].' };
  }
  const imageProblem = checkImage('image', instance.image) ?? checkImage('lastFrame', instance.lastFrame);
  if (imageProblem) return { kind: 'invalid', message: imageProblem };
  if (instance.lastFrame !== undefined && instance.image === undefined) {
    return { kind: 'invalid', message: 'lastFrame requires image (the first frame).' };
  }
  const params = asObject(body.parameters);
  const count = params.sampleCount ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 4) {
    return { kind: 'invalid', message: `sampleCount must be an integer from 1 to 4, got ${JSON.stringify(count)}.` };
  }
  if (params.aspectRatio !== undefined && !VEO_ASPECTS.includes(String(params.aspectRatio))) {
    return { kind: 'invalid', message: `Unsupported aspect ratio: ${String(params.aspectRatio)}. Supported: ${VEO_ASPECTS.join(', ')}.` };
  }
  if (params.durationSeconds !== undefined && (typeof params.durationSeconds !== 'number' || params.durationSeconds <= 0)) {
    return { kind: 'invalid', message: 'durationSeconds must be a positive number.' };
  }
  if (params.storageUri !== undefined && !parseGsUri(String(params.storageUri))) {
    return { kind: 'invalid', message: `storageUri must be a gs:// URI, got ${String(params.storageUri)}.` };
  }
  const name = `projects/${call.project}/locations/${call.location}/publishers/google/models/${call.model}/operations/${randomUUID()}`;
  const op: VeoOperation = { name, model: call.model, polls: 0, done: false, instance, parameters: params };
  state.operations.set(name, op);
  pending.set(op, { filtered: faults.filtered, operationError: faults.operationError, neverFinish: faults.neverFinish });
  return { kind: 'ok', body: { name } };
}

/**
 * A fault consumed by a poll applies to that operation: `operationError` ends it now with the
 * error, `imagenFiltered` filters videos of its result when it finishes, `neverFinish` keeps it
 * running for good.
 */
export function pollVeo(state: EmulatorState, call: ModelCall, operationName: unknown, faults: OperationFaults = {}): OperationOutcome {
  if (typeof operationName !== 'string' || operationName === '') {
    return { kind: 'invalid', message: 'operationName is required.' };
  }
  const op = state.operations.get(operationName);
  const resource = `projects/${call.project}/locations/${call.location}/publishers/google/models/${call.model}`;
  if (!op || !operationName.startsWith(`${resource}/operations/`)) {
    return { kind: 'not-found', message: `Operation ${operationName} not found.` };
  }
  op.polls++;
  if (!op.done) {
    const extra = pending.get(op) ?? {};
    if (faults.filtered !== undefined) extra.filtered = faults.filtered;
    if (faults.operationError !== undefined) extra.operationError = faults.operationError;
    if (faults.neverFinish) extra.neverFinish = true;
    pending.set(op, extra);
    if (faults.operationError !== undefined || (op.polls >= state.operationPolls && !extra.neverFinish)) finish(state, op);
  }
  if (!op.done) return { kind: 'ok', body: { name: op.name, done: false } };
  return { kind: 'ok', body: op.result! };
}

function finish(state: EmulatorState, op: VeoOperation): void {
  op.done = true;
  const extra = pending.get(op) ?? {};
  if (extra.operationError) {
    op.result = { name: op.name, done: true, error: extra.operationError };
    return;
  }
  const params = op.parameters;
  const count = typeof params.sampleCount === 'number' ? params.sampleCount : 1;
  const filtered = extra.filtered === undefined ? 0 : extra.filtered === 'all' ? count : Math.min(count, extra.filtered);
  const storage = params.storageUri === undefined ? undefined : parseGsUri(String(params.storageUri));
  const folder = String(Date.now()) + String(++state.seq).padStart(4, '0');
  const duration = typeof params.durationSeconds === 'number' ? params.durationSeconds : 8;
  const videos: Record<string, unknown>[] = [];
  for (let i = 0; i < count - filtered; i++) {
    const mp4 = encodeMp4(state.sent.videos.length, duration);
    state.sent.videos.push(mp4);
    if (storage) {
      const name = [storage.path, folder, `sample_${i}.mp4`].filter(Boolean).join('/');
      videos.push({ gcsUri: putObject(state, storage.bucket, name, mp4), mimeType: 'video/mp4' });
    } else {
      videos.push({ bytesBase64Encoded: base64(mp4), mimeType: 'video/mp4' });
    }
  }
  const response: Record<string, unknown> = {
    '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse',
    raiMediaFilteredCount: filtered,
  };
  if (filtered > 0) response.raiMediaFilteredReasons = [RAI_VIDEO_REASON];
  if (videos.length > 0) response.videos = videos;
  op.result = { name: op.name, done: true, response };
}
