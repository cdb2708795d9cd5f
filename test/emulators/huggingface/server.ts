/**
 * Loopback emulator of Hugging Face Inference Providers: the router paths @huggingface/inference
 * 4.x calls, the Hub mapping path it reads, and the result files fal and Replicate point at — all
 * on one origin (127.0.0.1, a port the OS picks), so HUGGINGFACE_BASE_URL covers everything.
 *
 * Routes (auth `Authorization: Bearer <token>` on all but /files):
 * - `GET  /api/models/{org}/{name}?expand[]=inferenceProviderMapping` — the Hub mapping (hub.ts)
 * - `POST /v1/chat/completions` — the router's auto-router (model = Hub id)
 * - `POST /{provider}/v1/chat/completions`, `POST /hf-inference/models/{model}/v1/chat/completions`
 * - `POST /hf-inference/models/{model}` — media tasks: `{inputs, parameters}` → PNG / WAV bytes
 * - `POST /fal-ai/{fal id}?_subdomain=queue` — a queue ticket (`request_id`, `response_url` on queue.fal.run,
 *   as fal answers through the router); `GET /fal-ai/{app}/requests/{id}/status` (IN_QUEUE, IN_PROGRESS,
 *   COMPLETED after `falPolls` polls), `GET /fal-ai/{app}/requests/{id}` (the result: `images[]`, `video`,
 *   `audio_file`, with URLs under /files), `PUT /fal-ai/{app}/requests/{id}/cancel`
 * - `POST /fal-ai/{fal id}` (no queue) — a direct call, answered with the result (fal TTS)
 * - `POST /together/v1/images/generations` — `data[].b64_json`
 * - `POST /replicate/v1/models/{owner}/{name}/predictions` — a finished prediction with `output` URL(s)
 * - `GET  /files/{name}` — result files, no auth
 *
 * Error bodies as Hugging Face sends them: `{"error": "..."}` (plus `estimated_time` on a
 * model-loading 503) from the router and the Hub, `{"detail": ...}` from fal routes.
 * Faults (types.ts) queue in order; a request takes the first whose route matches it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { asObject, closeServer, listenLoopback, readRequest, resetOrDelay, send, sendJson } from '../http-kit.js';
import { colour, encodeMp4, encodePng, encodeWav, pcmTone } from '../media.js';
import { DEFAULT_MAPPINGS, hubModel } from './hub.js';
import type { FalJobState, FaultRoute, HfEmulator, HfEmulatorOptions, HfFault, MappingEntry, RecordedRequest, SentMedia } from './types.js';

const FAL_ROUTES: ReadonlySet<FaultRoute> = new Set(['fal-submit', 'fal-status', 'fal-result', 'fal-cancel']);

export async function startHfEmulator(opts: HfEmulatorOptions = {}): Promise<HfEmulator> {
  const token = opts.token ?? 'hf_emulated_token_0123456789';
  const falPolls = opts.falPolls ?? 2;
  const side = opts.imageSize ?? 8;
  const mappings = new Map<string, MappingEntry[]>(Object.entries({ ...DEFAULT_MAPPINGS, ...opts.mappings }));
  const requests: RecordedRequest[] = [];
  const faults: HfFault[] = [];
  const sent: SentMedia = { images: [], videos: [], audio: [] };
  const files = new Map<string, { data: Uint8Array; mimeType: string }>();
  const falJobs = new Map<string, FalJobState>();
  let seq = 0;
  let baseUrl = '';

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `emulator bug: ${String(err)}` });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rec: RecordedRequest = (await readRequest(req)).rec;
    requests.push(rec);
    const n = ++seq;
    const requestId = `emu-req-${n}`;
    res.setHeader('x-request-id', requestId);

    const route = routeOf(rec.method, rec.path);
    rec.route = route;
    const fal = route !== undefined && FAL_ROUTES.has(route);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      rec.response = body;
      sendJson(res, status, body, headers);
    };
    const error = (status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      answer(status, fal ? { detail: message, ...extra } : { error: message, ...extra }, headers);

    if (!route) return error(404, `No route for ${rec.method} ${rec.path}`);
    if (route !== 'file' && req.headers.authorization !== `Bearer ${token}`) {
      return error(401, 'Invalid credentials in Authorization header');
    }

    const fault = takeFault(route);
    if (fault) {
      if ('status' in fault) {
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
        if (fault.body !== undefined) return answer(fault.status, fault.body, headers);
        const extra = fault.estimatedTime !== undefined ? { estimated_time: fault.estimatedTime } : {};
        return error(fault.status, fault.message ?? defaultMessage(fault.status), extra, headers);
      }
      if ('malformed' in fault) {
        rec.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"broken","choices":[{"mess');
        return;
      }
      if (!(await resetOrDelay(fault, res))) return;
    }

    const body = asObject(rec.body);
    switch (route) {
      case 'file': {
        const name = decodeURIComponent(rec.path.slice('/files/'.length));
        const file = files.get(name);
        if (!file) return error(404, 'File not found');
        rec.status = 200;
        return send(res, 200, Buffer.from(file.data), { 'content-type': file.mimeType });
      }
      case 'hub': {
        const id = decodeURIComponent(rec.path.slice('/api/models/'.length));
        const entries = mappings.get(id);
        if (!entries) return error(404, 'Repository not found');
        return answer(200, rec.query['expand[]'] === 'inferenceProviderMapping' ? hubModel(id, entries) : { _id: 'x', id });
      }
      case 'chat': {
        if (typeof body.model !== 'string' || !Array.isArray(body.messages)) return error(400, 'Request body must be JSON with model and messages');
        if (body.stream === true) return error(400, 'The emulator does not stream');
        return answer(200, chatCompletion(body, n));
      }
      case 'hf-inference': {
        const model = decodeURIComponent(rec.path.slice('/hf-inference/models/'.length));
        const entry = mappings.get(model)?.find((e) => e.provider === 'hf-inference');
        if (!entry) return error(404, `Model ${model} is not served by hf-inference`);
        if (typeof body.inputs !== 'string' || !body.inputs) return error(400, 'Input validation error: `inputs` must be a non-empty string');
        const file = render(entry.task, n);
        if (!file) return error(400, `Task ${entry.task} is not supported on hf-inference`);
        rec.status = 200;
        return send(res, 200, Buffer.from(file.data), { 'content-type': file.mimeType });
      }
      case 'fal-submit': {
        const endpoint = rec.path.slice('/fal-ai/'.length);
        const task = taskOf('fal-ai', endpoint);
        if (!task) return error(404, `Model ${endpoint} is not supported by provider fal-ai`);
        const field = task === 'text-to-speech' ? 'text' : 'prompt';
        if (typeof body[field] !== 'string' || !body[field]) return answer(422, { detail: [{ loc: ['body', field], msg: 'field required', type: 'value_error.missing' }] });
        if (rec.query._subdomain !== 'queue') return answer(200, falResult(task, body, n));
        const id = `fal-${n}-${Math.random().toString(36).slice(2, 10)}`;
        const app = endpoint.split('/').slice(0, 2).join('/');
        falJobs.set(id, { id, endpoint, app, task, input: body, polls: 0, done: false, cancelled: false });
        return answer(200, { status: 'IN_QUEUE', request_id: id, ...falUrls(app, id), queue_position: 0 });
      }
      case 'fal-status':
      case 'fal-result':
      case 'fal-cancel': {
        const m = /^\/fal-ai\/(.+)\/requests\/([^/]+)(?:\/(status|cancel))?$/.exec(rec.path)!;
        const job = falJobs.get(m[2]!);
        if (!job || job.app !== m[1]) return error(404, 'Request not found');
        if (route === 'fal-cancel') {
          if (job.done) return answer(400, { status: 'ALREADY_COMPLETED' });
          job.cancelled = true;
          return answer(202, { status: 'CANCELLATION_REQUESTED' });
        }
        if (route === 'fal-status') {
          if (job.cancelled) return answer(200, { status: 'CANCELLED', request_id: job.id, ...falUrls(job.app, job.id) });
          job.polls++;
          if (!job.done && job.polls >= falPolls) {
            job.done = true;
            job.result = falResult(job.task, job.input, n);
          }
          const status = job.done ? 'COMPLETED' : job.polls === 1 ? 'IN_QUEUE' : 'IN_PROGRESS';
          return answer(200, { status, request_id: job.id, ...falUrls(job.app, job.id), ...(status === 'IN_QUEUE' ? { queue_position: 1 } : {}), ...(job.done ? { metrics: { inference_time: 0.5 } } : {}) });
        }
        if (!job.done || !job.result) return answer(400, { detail: 'Request is still in progress' });
        return answer(200, job.result);
      }
      case 'together': {
        const task = typeof body.model === 'string' ? taskOf('together', body.model) : undefined;
        if (task !== 'text-to-image') return error(404, `Model ${String(body.model)} is not served by together for text-to-image`);
        if (typeof body.prompt !== 'string') return error(400, 'prompt is required');
        const png = encodePng(side, side, colour(sent.images.length));
        sent.images.push(png);
        return answer(200, { id: `tg-${n}`, model: body.model, object: 'list', data: [{ index: 0, b64_json: Buffer.from(png).toString('base64'), type: 'image' }] });
      }
      case 'replicate': {
        const model = rec.path.replace(/^\/replicate\/v1\/models\//, '').replace(/\/predictions$/, '');
        const task = taskOf('replicate', model);
        const input = asObject(body.input);
        if (!task) return error(404, `Model ${model} is not served by replicate`);
        const field = task === 'text-to-speech' ? 'text' : 'prompt';
        if (typeof input[field] !== 'string') return answer(422, { detail: `input.${field} is required`, status: 422, title: 'Input validation failed' });
        const file = render(task, n)!;
        const name = saveFile(file, n);
        const output = task === 'text-to-image' ? [`${baseUrl}/files/${name}`] : `${baseUrl}/files/${name}`;
        return answer(201, { id: `rp-${n}`, model, version: 'emulated', input, status: 'succeeded', output, urls: { get: `https://api.replicate.com/v1/predictions/rp-${n}` } });
      }
    }
  }

  function takeFault(route: FaultRoute): HfFault | undefined {
    const i = faults.findIndex((f) => (f.route ? f.route === route : route !== 'hub' && route !== 'file'));
    return i < 0 ? undefined : faults.splice(i, 1)[0];
  }

  function taskOf(provider: string, providerId: string): string | undefined {
    for (const entries of mappings.values()) {
      const e = entries.find((x) => x.provider === provider && x.providerId === providerId);
      if (e) return e.task;
    }
    return undefined;
  }

  /** A fresh media file for a task, recorded in `sent`. */
  function render(task: string, n: number): { data: Uint8Array; mimeType: string; ext: string } | undefined {
    if (task === 'text-to-image') {
      const data = encodePng(side, side, colour(sent.images.length));
      sent.images.push(data);
      return { data, mimeType: 'image/png', ext: 'png' };
    }
    if (task === 'text-to-video') {
      const data = encodeMp4(sent.videos.length + n, 2);
      sent.videos.push(data);
      return { data, mimeType: 'video/mp4', ext: 'mp4' };
    }
    if (task === 'text-to-speech' || task === 'text-to-audio') {
      const data = encodeWav(pcmTone({ sampleRate: 16_000, channels: 1, seconds: 0.25, frequency: task === 'text-to-speech' ? 220 + 10 * sent.audio.length : 440 }), 16_000, 1);
      sent.audio.push(data);
      return { data, mimeType: 'audio/wav', ext: 'wav' };
    }
    return undefined;
  }

  function saveFile(file: { data: Uint8Array; mimeType: string; ext: string }, n: number): string {
    const name = `out-${n}-${files.size}.${file.ext}`;
    files.set(name, { data: file.data, mimeType: file.mimeType });
    return name;
  }

  /** A fal result in the shape each task's endpoints answer with, its file behind /files. */
  function falResult(task: string, input: Record<string, unknown>, n: number): Record<string, unknown> {
    const file = render(task, n)!;
    const name = saveFile(file, n);
    const ref = { url: `${baseUrl}/files/${name}`, content_type: file.mimeType, file_name: name, file_size: file.data.length };
    const seed = typeof input.seed === 'number' ? input.seed : 42;
    if (task === 'text-to-image') return { images: [{ ...ref, width: side, height: side }], seed, has_nsfw_concepts: [false], prompt: input.prompt, timings: { inference: 0.1 } };
    if (task === 'text-to-video') return { video: ref, seed };
    if (task === 'text-to-audio') return { audio_file: ref };
    return { audio: ref };
  }

  function chatCompletion(body: Record<string, unknown>, n: number): Record<string, unknown> {
    const messages = body.messages as unknown[];
    const content = `echo: ${lastUserText(messages)}`;
    const promptTokens = messages.reduce<number>((sum, m) => sum + words(textOf(m)), 0);
    const completionTokens = words(content);
    return {
      id: `chatcmpl-emu-${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      system_fingerprint: null,
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
  }

  baseUrl = await listenLoopback(server);

  return {
    baseUrl,
    token,
    requests,
    enqueueFault: (...more) => void faults.push(...more),
    sent,
    files,
    falJobs,
    mappings,
    close: () => closeServer(server),
  };
}

/** The route a request is served as, by method and path. */
export function routeOf(method: string, path: string): FaultRoute | undefined {
  if (method === 'GET' && path.startsWith('/files/')) return 'file';
  if (method === 'GET' && /^\/api\/models\/[^/]+(\/[^/]+)?$/.test(path)) return 'hub';
  if (method === 'POST' && (path === '/v1/chat/completions' || /^\/[a-z0-9-]+\/v1\/chat\/completions$/.test(path) || /^\/hf-inference\/models\/.+\/v1\/chat\/completions$/.test(path))) return 'chat';
  if (method === 'POST' && /^\/hf-inference\/models\/.+/.test(path)) return 'hf-inference';
  if (path.startsWith('/fal-ai/')) {
    if (method === 'PUT' && /\/requests\/[^/]+\/cancel$/.test(path)) return 'fal-cancel';
    if (method === 'GET' && /\/requests\/[^/]+\/status$/.test(path)) return 'fal-status';
    if (method === 'GET' && /\/requests\/[^/]+$/.test(path)) return 'fal-result';
    if (method === 'POST') return 'fal-submit';
  }
  if (method === 'POST' && path === '/together/v1/images/generations') return 'together';
  if (method === 'POST' && /^\/replicate\/v1\/models\/[^/]+\/[^/]+\/predictions$/.test(path)) return 'replicate';
  return undefined;
}

/** What fal answers with about a request: its URLs on fal's own queue host (the router forwards them as they are). */
function falUrls(app: string, id: string): Record<string, string> {
  const base = `https://queue.fal.run/${app}/requests/${id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

function defaultMessage(status: number): string {
  if (status === 400) return 'Bad request: invalid parameters';
  if (status === 401) return 'Invalid credentials in Authorization header';
  if (status === 402) return 'You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits.';
  if (status === 403) return 'This authentication method does not have sufficient permissions to call Inference Providers on behalf of user emulated';
  if (status === 404) return 'Model not found';
  if (status === 422) return 'Input validation error';
  if (status === 429) return 'You have reached the rate limit. Retry later.';
  if (status === 503) return 'Model is currently loading';
  return `Emulated error ${status}`;
}

function textOf(message: unknown): string {
  const content = asObject(message).content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (asObject(p).type === 'text' && typeof asObject(p).text === 'string' ? (asObject(p).text as string) : '')).join(' ');
}

function lastUserText(messages: unknown[]): string {
  return textOf([...messages].reverse().find((m) => asObject(m).role === 'user'));
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
