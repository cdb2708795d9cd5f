/**
 * Media calls (image, video, audio, speech) through the router, with every request ours.
 *
 * The client's high-level media tasks (`textToImage`, `textToVideo`, …) fetch the result of a
 * queued job, and download result URLs, with the global fetch — past the `fetch` option, so
 * past HUGGINGFACE_BASE_URL and the caller's deadline, polling without end. So media calls use
 * the client only for what it knows best: each inference provider's route, headers and
 * payload (`getProviderHelper` + `makeRequestOptionsFromResolvedModel`, with the mapping entry
 * from routing.ts). The request is then sent through the routed fetch, and the answer read here:
 *
 * - raw bytes (hf-inference): the artifact, typed from Content-Type;
 * - JSON with outputs — `data[].b64_json` (together, nscale), `images[].url`, `video.url`,
 *   `audio.url`, `audio_file.url` (fal), `output` (replicate): bytes or URLs, the URLs left to
 *   the artifact store to download (by stream, through the guarded fetch);
 * - a fal queue ticket (`request_id`, `response_url`): polled at
 *   `{router}/fal-ai{response path}/status?_subdomain=queue`, then the result fetched from
 *   `{router}/fal-ai{response path}?_subdomain=queue` — the paths the client itself derives.
 */
import type { InferenceProvider, InferenceProviderMappingEntry } from '@huggingface/inference';
import type { CallContext, GeneratedArtifact } from '../base.js';
import { ProviderError } from '../errors.js';
import { field } from '../../util/field.js';
import { decodeDataUri, fromBase64, imageSize, mimeTypeFromName, sniffMimeType } from '../../util/media.js';
import { sleep } from '../../util/sleep.js';
import { HF_ROUTER_URL } from './client.js';
import { hfCall, type HfDeps } from './deps.js';
import { HttpFailure, fromHttp, parseBody, toHfError, type CallTrace } from './errors.js';
import { PROVIDER_ID } from './models.js';
import type { MediaTask, Route } from './routing.js';

export interface MediaRequest {
  task: MediaTask;
  /** The Hub model id. */
  model: string;
  route: Route;
  /** The prompt (the text to speak, for speech). */
  inputs: string;
  /** The task's parameters; the client places them where the inference provider wants them. */
  parameters: Record<string, unknown>;
  billTo?: string;
}

/**
 * A fal job, by its canonical router URLs: routed at fetch time, so a job stored by one process
 * is polled by the next through whatever HUGGINGFACE_BASE_URL that one has.
 */
export interface FalJob {
  requestId: string;
  statusUrl: string;
  resultUrl: string;
  cancelUrl: string;
}

export type Submitted =
  | { kind: 'outputs'; artifacts: GeneratedArtifact[]; requestId?: string }
  | { kind: 'queued'; job: FalJob; requestId?: string };

export type FalStatus =
  | { state: 'pending'; status: string; position?: number }
  | { state: 'completed' }
  | { state: 'failed'; message: string };

const DEFAULT_MIME: Record<MediaTask, string> = {
  'text-to-image': 'image/png',
  'text-to-video': 'video/mp4',
  'text-to-audio': 'audio/wav',
  'text-to-speech': 'audio/wav',
};

/** The first request of a media call, as the client would make it (URL, headers, body). */
export function buildRequest(deps: HfDeps, req: MediaRequest): { url: string; init: RequestInit } {
  const { sdk, settings } = deps.clients;
  const helper = sdk.getProviderHelper(req.route.provider as InferenceProvider, req.task);
  const { url, info } = sdk.makeRequestOptionsFromResolvedModel(
    req.route.entry.providerId,
    helper,
    { accessToken: settings.token, model: req.model, provider: req.route.provider as InferenceProvider, inputs: req.inputs, parameters: req.parameters },
    req.route.entry as InferenceProviderMappingEntry,
    { task: req.task, ...(req.billTo ? { billTo: req.billTo } : {}) },
  );
  return { url, init: { method: info.method ?? 'POST', headers: info.headers ?? {}, ...(info.body !== undefined ? { body: info.body } : {}) } };
}

/** Sends the first request and reads its answer: outputs, or a fal queue job to poll. */
export async function submit(deps: HfDeps, req: MediaRequest, ctx: CallContext): Promise<Submitted> {
  const trace: CallTrace = {};
  const provider = req.route.provider;
  return hfCall(deps, ctx, trace, provider, async () => {
    const { url, init } = buildRequest(deps, req);
    const res = await deps.clients.send(url, init, ctx, trace);
    const requestId = res.headers.get('x-request-id') ?? undefined;
    const type = contentType(res);
    if (isJson(type)) {
      const json: unknown = await res.json();
      const job = provider === 'fal-ai' ? falJobOf(json) : undefined;
      if (job) return { kind: 'queued', job, ...(requestId ? { requestId } : {}) };
      return { kind: 'outputs', artifacts: outputsOf(json, req.task, provider, requestId), ...(requestId ? { requestId } : {}) };
    }
    const data = new Uint8Array(await res.arrayBuffer());
    if (data.length === 0) throw noOutput(provider, requestId, 'an empty body');
    const mimeType = (type && type !== 'application/octet-stream' ? type : undefined) ?? sniffMimeType(data) ?? DEFAULT_MIME[req.task];
    return { kind: 'outputs', artifacts: [{ source: { kind: 'bytes', data }, mimeType, ...(mimeType.startsWith('image/') ? imageSize(data) : {}) }], ...(requestId ? { requestId } : {}) };
  });
}

/** Where a fal job stands. Throws only when the poll itself failed (the runner polls again). */
export async function falStatus(deps: HfDeps, job: FalJob, ctx: CallContext): Promise<FalStatus> {
  const trace: CallTrace = {};
  const json = await hfCall(deps, ctx, trace, 'fal-ai', async () => {
    const res = await deps.clients.send(job.statusUrl, { method: 'GET', headers: authHeader(deps) }, ctx, trace);
    return (await res.json()) as unknown;
  });
  const status = field(json, 'status');
  const error = field(json, 'error');
  if (status === 'COMPLETED') return typeof error === 'string' && error ? { state: 'failed', message: error } : { state: 'completed' };
  if (typeof status === 'string' && /^(FAILED|ERROR|CANCELL?ED)$/.test(status)) {
    return { state: 'failed', message: typeof error === 'string' && error ? error : `fal reported ${status}` };
  }
  const position = field(json, 'queue_position');
  return { state: 'pending', status: typeof status === 'string' ? status : 'UNKNOWN', ...(typeof position === 'number' ? { position } : {}) };
}

/**
 * The outputs of a completed fal job. A job that failed at fal answers its result request
 * with the failure (422 for bad input, 500 for a crash): that is the job's verdict, returned
 * as `failed`. Only a busy or unreachable gateway (429, 502-504, network) throws, to be polled again.
 */
export async function falResult(
  deps: HfDeps,
  job: FalJob,
  task: MediaTask,
  ctx: CallContext,
): Promise<{ ok: true; artifacts: GeneratedArtifact[] } | { ok: false; error: ProviderError }> {
  const trace: CallTrace = {};
  try {
    const res = await deps.clients.send(job.resultUrl, { method: 'GET', headers: authHeader(deps) }, ctx, trace);
    const json: unknown = await res.json();
    return { ok: true, artifacts: outputsOf(json, task, 'fal-ai', job.requestId) };
  } catch (err) {
    if (err instanceof HttpFailure && ![408, 429, 502, 503, 504].includes(err.status)) {
      return { ok: false, error: fromHttp(err.status, parseBody(err.body), err.headers, job.requestId, { secrets: deps.clients.secrets, inferenceProvider: 'fal-ai' }, err) };
    }
    throw toHfError(err, { secrets: deps.clients.secrets, trace, signal: ctx.signal, inferenceProvider: 'fal-ai' });
  }
}

/** Asks fal (through the router) to drop a queued job. True once it accepted; throws otherwise. */
export async function falCancel(deps: HfDeps, job: FalJob, ctx: CallContext): Promise<boolean> {
  const trace: CallTrace = {};
  await hfCall(deps, ctx, trace, 'fal-ai', () => deps.clients.send(job.cancelUrl, { method: 'PUT', headers: authHeader(deps) }, ctx, trace));
  return true;
}

/**
 * A whole quick media call: submit, and for a fal queue job, poll until it is done (500 ms
 * growing to 3 s apart) and fetch its result. Once fal accepted the job, a failure is never
 * retried by resubmitting: poll failures are retried here (five in a row at most), and what
 * finally fails is marked not retryable, so the runner does not pay for the same work again.
 */
export async function runToEnd(
  deps: HfDeps,
  req: MediaRequest,
  ctx: CallContext,
  onPending?: (status: FalStatus & { state: 'pending' }) => void,
): Promise<{ artifacts: GeneratedArtifact[]; requestId?: string; falRequestId?: string }> {
  const first = await submit(deps, req, ctx);
  if (first.kind === 'outputs') return first;
  const { job } = first;
  try {
    let interval = 500;
    let failures = 0;
    for (;;) {
      const left = ctx.deadline - Date.now();
      if (left <= 0) throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, requestId: job.requestId, message: `huggingface: the fal job ${job.requestId} did not finish before the deadline.` });
      await sleep(Math.min(interval, left), ctx.signal);
      interval = Math.min(3000, Math.round(interval * 1.5));
      let status: FalStatus;
      try {
        status = await falStatus(deps, job, ctx);
        failures = 0;
      } catch (err) {
        const error = toHfError(err, { secrets: deps.clients.secrets, signal: ctx.signal });
        if (error.code === 'cancelled' || !error.retryable || ++failures >= 5) throw error;
        ctx.logger.warn({ provider: PROVIDER_ID, falRequest: job.requestId, failures, err: error.message }, 'fal status poll failed; polling again');
        continue;
      }
      if (status.state === 'pending') {
        onPending?.(status);
        continue;
      }
      if (status.state === 'failed') {
        throw new ProviderError({ code: 'unavailable', retryable: false, providerId: PROVIDER_ID, requestId: job.requestId, message: `huggingface: the fal job failed: ${status.message}` });
      }
      const result = await falResult(deps, job, req.task, ctx);
      if (!result.ok) throw result.error;
      return { artifacts: result.artifacts, ...(first.requestId ? { requestId: first.requestId } : {}), falRequestId: job.requestId };
    }
  } catch (err) {
    const error = toHfError(err, { secrets: deps.clients.secrets, signal: ctx.signal });
    if (error.code === 'cancelled' || error.code === 'timeout') void abandon(deps, job, ctx);
    // Accepted and maybe billed: never started again by the runner.
    throw error.retryable ? new ProviderError({ code: error.code, retryable: false, providerId: PROVIDER_ID, status: error.status, requestId: error.requestId ?? job.requestId, message: error.message, cause: error }) : error;
  }
}

/** Best effort, on cancel or timeout of a quick call: tell fal to drop the job. */
async function abandon(deps: HfDeps, job: FalJob, ctx: CallContext): Promise<void> {
  const own: CallContext = { ...ctx, signal: AbortSignal.timeout(5000), deadline: Date.now() + 5000 };
  await falCancel(deps, job, own).catch((err: unknown) => ctx.logger.debug({ provider: PROVIDER_ID, falRequest: job.requestId, err: String(err) }, 'fal cancel failed'));
}

/** A fal queue ticket (`request_id` plus `response_url` or `status_url`), as canonical router URLs. */
export function falJobOf(json: unknown): FalJob | undefined {
  const requestId = field(json, 'request_id');
  if (typeof requestId !== 'string' || !requestId) return undefined;
  const responseUrl = field(json, 'response_url');
  const statusUrl = field(json, 'status_url');
  let path: string | undefined;
  try {
    // The model id of the response path, not of the request: fal drops sub-paths (`fal-ai/flux/dev` → `fal-ai/flux`).
    if (typeof responseUrl === 'string') path = new URL(responseUrl).pathname;
    else if (typeof statusUrl === 'string') path = new URL(statusUrl).pathname.replace(/\/status$/, '');
  } catch {
    path = undefined;
  }
  if (!path || !path.includes(`/requests/`)) return undefined;
  const base = `${HF_ROUTER_URL}/fal-ai${path.replace(/\/+$/, '')}`;
  return { requestId, statusUrl: `${base}/status?_subdomain=queue`, resultUrl: `${base}?_subdomain=queue`, cancelUrl: `${base}/cancel?_subdomain=queue` };
}

/** The files in a provider's JSON answer, in the shapes listed at the top of this file. */
export function outputsOf(json: unknown, task: MediaTask, provider: string, requestId?: string): GeneratedArtifact[] {
  const out: GeneratedArtifact[] = [];
  const add = (file: unknown) => {
    const artifact = fileArtifact(file, task);
    if (artifact) out.push(artifact);
  };
  const data = field(json, 'data');
  if (Array.isArray(data)) {
    for (const d of data) {
      const b64 = field(d, 'b64_json');
      if (typeof b64 === 'string' && b64) {
        const bytes = fromBase64(b64);
        const mimeType = sniffMimeType(bytes) ?? DEFAULT_MIME[task];
        out.push({ source: { kind: 'bytes', data: bytes }, mimeType, ...(mimeType.startsWith('image/') ? imageSize(bytes) : {}) });
      } else add(d);
    }
  }
  const images = field(json, 'images');
  if (Array.isArray(images)) images.forEach(add);
  for (const key of ['image', 'video', 'audio', 'audio_file']) {
    const one = field(json, key);
    if (one && typeof one === 'object') add(one);
  }
  const output = field(json, 'output');
  if (typeof output === 'string') add({ url: output });
  else if (Array.isArray(output)) output.forEach((o) => add(typeof o === 'string' ? { url: o } : o));
  if (out.length === 0) throw noOutput(provider, requestId, `a JSON answer without outputs (${describe(json)})`);
  return out;
}

/** `{url, content_type?, width?, height?, duration?}` → an artifact; data: URLs decoded, http(s) left to the store. */
function fileArtifact(file: unknown, task: MediaTask): GeneratedArtifact | undefined {
  const url = field(file, 'url');
  if (typeof url !== 'string') return undefined;
  const declared = field(file, 'content_type');
  const width = field(file, 'width');
  const height = field(file, 'height');
  const duration = field(file, 'duration');
  const size = {
    ...(typeof width === 'number' ? { width } : {}),
    ...(typeof height === 'number' ? { height } : {}),
    ...(typeof duration === 'number' ? { durationSeconds: duration } : {}),
  };
  if (url.startsWith('data:')) {
    const decoded = decodeDataUri(url);
    if (!decoded) return undefined;
    const mimeType = decoded.mimeType ?? sniffMimeType(decoded.data) ?? DEFAULT_MIME[task];
    return { source: { kind: 'bytes', data: decoded.data }, mimeType, ...(mimeType.startsWith('image/') ? imageSize(decoded.data) : {}), ...size };
  }
  if (!/^https?:\/\//i.test(url)) return undefined;
  const mimeType = (typeof declared === 'string' && /^[a-z]+\/[\w.+-]+$/i.test(declared) ? declared : undefined) ?? mimeTypeFromName(url) ?? DEFAULT_MIME[task];
  return { source: { kind: 'url', url }, sourceUri: url, mimeType, ...size };
}

function noOutput(provider: string, requestId: string | undefined, what: string): ProviderError {
  return new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, ...(requestId ? { requestId } : {}), message: `huggingface: inference provider ${provider} answered with ${what}.` });
}

function describe(json: unknown): string {
  if (json === null || typeof json !== 'object') return typeof json;
  return `keys: ${Object.keys(json).slice(0, 8).join(', ') || 'none'}`;
}

function contentType(res: Response): string {
  return (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function authHeader(deps: HfDeps): Record<string, string> {
  return { Authorization: `Bearer ${deps.clients.settings.token}` };
}
