/**
 * Loopback emulator of Replicate's predictions API, on 127.0.0.1 and a port the OS picks:
 *
 * - `POST /v1/models/{owner}/{name}/predictions` — official models by name (404 for others);
 * - `POST /v1/predictions` — `{version, input}`, the version a 64-hex id or `owner/name:version`
 *   (422 "Invalid version or not permitted" when it is unknown);
 * - `Prefer: wait` / `Prefer: wait=n` — sync mode: the prediction finishes before the answer
 *   (unless a `syncTimesOut` fault makes it answer while still processing); without it the
 *   answer is immediate (201, status `starting`);
 * - `GET /v1/predictions/{id}` — each GET moves the prediction on: `processingPolls` answers
 *   `processing` with a growing "NN%|" log line, then `succeeded` (output, `metrics.predict_time`)
 *   or `failed` (its `error` text);
 * - `POST /v1/predictions/{id}/cancel` — `canceled` unless it already ended;
 * - `GET /files/{id}/{name}` — the output files, served by the emulator itself (no auth, as
 *   replicate.delivery URLs need none).
 *
 * API routes need `Authorization: Bearer <token>` (401 otherwise). Error bodies are RFC 7807
 * problem details. Faults queue in order; each request takes the first one for its route.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, isObject, listenLoopback, readRequest, resetOrDelay, send, sendJson, sleepUnlessClosed } from '../http-kit.js';
import { HOSTED, makeOutput, validate, type HostedModel } from './models.js';
import type { EmulatedPrediction, FaultRoute, RecordedRequest, ReplicateEmulator, ReplicateEmulatorOptions, ReplicateFault, ServedFile } from './types.js';

const CREATE_OFFICIAL = /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/;
const PREDICTION = /^\/v1\/predictions\/([a-z0-9]+)$/;
const CANCEL = /^\/v1\/predictions\/([a-z0-9]+)\/cancel$/;
const FILE = /^\/files\/([a-z0-9]+)\/([\w.-]+)$/;

interface State {
  token: string;
  processingPolls: number;
  baseUrl: string;
  origin: string;
  requests: RecordedRequest[];
  faults: ReplicateFault[];
  predictions: Map<string, EmulatedPrediction>;
  files: Map<string, ServedFile>;
  seq: number;
}

export async function startReplicateEmulator(opts: ReplicateEmulatorOptions = {}): Promise<ReplicateEmulator> {
  const state: State = {
    token: opts.token ?? 'r8_emulator_token_0123456789',
    processingPolls: opts.processingPolls ?? 2,
    baseUrl: '',
    origin: '',
    requests: [],
    faults: [],
    predictions: new Map(),
    files: new Map(),
    seq: 0,
  };
  const server = createServer((req, res) => {
    void handle(state, req, res).catch((err: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', `emulator bug: ${String(err)}`);
      else res.destroy();
    });
  });
  state.origin = await listenLoopback(server);
  state.baseUrl = `${state.origin}/v1`;
  return {
    baseUrl: state.baseUrl,
    origin: state.origin,
    token: state.token,
    requests: state.requests,
    predictions: state.predictions,
    files: state.files,
    enqueueFault: (...faults) => void state.faults.push(...faults),
    pendingFaults: state.faults,
    creates: () => state.requests.filter((r) => r.method === 'POST' && (r.path === '/v1/predictions' || CREATE_OFFICIAL.test(r.path))),
    close: () => closeServer(server),
  };
}

async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { raw, rec: { query: _query, ...received } } = await readRequest(req);
  const { path, body } = received;
  state.requests.push({ ...received, at: Date.now() });

  const file = FILE.exec(path);
  if (file && req.method === 'GET') {
    if (!(await applyFault(takeFault(state, 'file'), res))) return;
    const served = state.files.get(`${state.origin}${path}`);
    if (!served) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
    return send(res, 200, Buffer.from(served.bytes), { 'content-type': served.contentType });
  }

  if (req.headers.authorization !== `Bearer ${state.token}`) {
    return problem(res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
  }

  const official = CREATE_OFFICIAL.exec(path);
  if (req.method === 'POST' && (official || path === '/v1/predictions')) {
    const fault = takeFault(state, 'create');
    if (!(await applyFault(fault, res))) return;
    if (raw.length && body === undefined) return problem(res, 400, 'Bad request', 'The request body is not valid JSON.');
    const b = isObject(body) ? body : {};
    let model: HostedModel | undefined;
    if (official) {
      model = HOSTED.find((m) => m.name === `${official[1]}/${official[2]}`);
      if (!model || !model.official) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
    } else {
      const version = typeof b.version === 'string' ? b.version : '';
      const [name, id] = version.includes(':') ? version.split(':') : [undefined, version];
      model = HOSTED.find((m) => m.version === id && (name === undefined || m.name === name));
      if (!model) {
        return problem(res, 422, 'Invalid version or not permitted', "The specified version does not exist (or perhaps you don't have permission to use it?)");
      }
    }
    const input = isObject(b.input) ? b.input : undefined;
    if (!input) return problem(res, 422, 'Input validation failed', '- input: input is required', { invalid_fields: [{ type: 'required', field: 'input', description: 'input is required' }] });
    const invalid = validate(model, input);
    if (invalid.length) {
      return problem(res, 422, 'Input validation failed', invalid.map((f) => `- ${f.field}: ${f.description}`).join('\n'), { invalid_fields: invalid });
    }
    const p = createPrediction(state, model, input, fault);
    const wait = /^\s*wait(?:=(\d+))?\s*$/.exec(String(req.headers.prefer ?? ''));
    if (wait) {
      if (fault && 'syncTimesOut' in fault) {
        if (!(await sleepUnlessClosed(30, res))) return;
        p.status = 'processing';
        p.started_at = new Date().toISOString();
      } else if (p.neverFinish) {
        p.status = 'processing';
        p.started_at = new Date().toISOString();
      } else {
        finish(state, p, model);
      }
    }
    return sendJson(res, 201, view(state, p));
  }

  const get = PREDICTION.exec(path);
  if (get && req.method === 'GET') {
    if (!(await applyFault(takeFault(state, 'get'), res))) return;
    const p = state.predictions.get(get[1]!);
    if (!p) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
    p.polls++;
    if (!ended(p)) advance(state, p, HOSTED.find((m) => m.name === p.model)!);
    return sendJson(res, 200, view(state, p));
  }

  const cancel = CANCEL.exec(path);
  if (cancel && req.method === 'POST') {
    if (!(await applyFault(takeFault(state, 'cancel'), res))) return;
    const p = state.predictions.get(cancel[1]!);
    if (!p) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
    p.cancels++;
    if (!ended(p)) {
      p.status = 'canceled';
      p.completed_at = new Date().toISOString();
      p.logs += 'Prediction was canceled.\n';
    }
    return sendJson(res, 200, view(state, p));
  }

  problem(res, 404, 'Not found', 'The requested resource could not be found.');
}

function createPrediction(state: State, model: HostedModel, input: Record<string, unknown>, fault: ReplicateFault | undefined): EmulatedPrediction {
  const seq = ++state.seq;
  const id = predictionId(seq);
  const p: EmulatedPrediction = {
    id,
    model: model.name,
    version: model.version,
    input,
    status: 'starting',
    logs: '',
    output: null,
    error: null,
    created_at: new Date().toISOString(),
    metrics: {},
    polls: 0,
    cancels: 0,
    ...(fault && 'fail' in fault ? { fail: fault.fail } : {}),
    ...(fault && 'neverFinish' in fault ? { neverFinish: true } : {}),
  };
  state.predictions.set(id, p);
  return p;
}

/** One GET's step: `processing` (with a progress line) for `processingPolls` GETs, then the end. */
function advance(state: State, p: EmulatedPrediction, model: HostedModel): void {
  const total = state.processingPolls + 1;
  if (p.neverFinish || p.polls < total) {
    p.status = 'processing';
    p.started_at ??= new Date().toISOString();
    const step = Math.min(p.polls, total - 1);
    const pct = p.neverFinish ? 50 : Math.round((step / total) * 100);
    p.logs += `${pct}%|${'#'.repeat(Math.round(pct / 10)).padEnd(10)}| ${step}/${total} [00:0${step}<00:0${total - step}, 1.00it/s]\n`;
    return;
  }
  finish(state, p, model);
}

/** The end of a prediction: `failed` with its error text, or `succeeded` with output and metrics. */
function finish(state: State, p: EmulatedPrediction, model: HostedModel): void {
  p.completed_at = new Date().toISOString();
  p.started_at ??= p.completed_at;
  const seq = Number.parseInt(p.id.slice(0, 6), 36);
  const predictTime = Math.round((0.5 + p.polls * 0.25 + (seq % 100) / 1000) * 1000) / 1000;
  p.metrics = { predict_time: predictTime, total_time: Math.round((predictTime + 0.2) * 1000) / 1000 };
  if (p.fail) {
    p.status = 'failed';
    p.error = p.fail;
    p.logs += `Traceback (most recent call last):\n  File "predict.py", line 42, in predict\nRuntimeError: ${p.fail}\n`;
    return;
  }
  const made = makeOutput(model, p.input, seq);
  if (made.tokens) {
    p.output = made.tokens;
    const words = (v: unknown) => String(v ?? '').split(/\s+/).filter(Boolean).length;
    p.metrics.input_token_count = words(p.input.prompt) + words(p.input.system_prompt);
    p.metrics.output_token_count = made.tokens.length;
  } else {
    const urls = made.files.map((f) => {
      const url = `${state.origin}/files/${p.id}/${f.name}`;
      state.files.set(url, { bytes: f.bytes, contentType: f.contentType });
      return url;
    });
    p.output = made.many ? urls : urls[0];
  }
  p.logs += 'Prediction finished.\n';
  p.status = 'succeeded';
}

function ended(p: EmulatedPrediction): boolean {
  return p.status === 'succeeded' || p.status === 'failed' || p.status === 'canceled';
}

/** The prediction as the API shows it. */
function view(state: State, p: EmulatedPrediction): Record<string, unknown> {
  const { polls: _polls, cancels: _cancels, fail: _fail, neverFinish: _never, ...shown } = p;
  return {
    ...shown,
    data_removed: false,
    source: 'api',
    urls: {
      get: `${state.baseUrl}/predictions/${p.id}`,
      cancel: `${state.baseUrl}/predictions/${p.id}/cancel`,
      stream: `${state.origin}/stream/${p.id}`,
      web: `https://replicate.com/p/${p.id}`,
    },
  };
}

/** 26 lowercase base-32 characters, like Replicate's ids; the first six encode the sequence number. */
function predictionId(seq: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let rest = '';
  for (let i = 0; i < 20; i++) rest += alphabet[Math.floor(Math.random() * alphabet.length)];
  return seq.toString(36).padStart(6, '0') + rest;
}

function takeFault(state: State, route: FaultRoute): ReplicateFault | undefined {
  const behaviour = (f: ReplicateFault) => 'fail' in f || 'neverFinish' in f || 'syncTimesOut' in f;
  const i = state.faults.findIndex((f) => (behaviour(f) ? route === 'create' : f.route === undefined ? route !== 'file' : f.route === route));
  return i < 0 ? undefined : state.faults.splice(i, 1)[0];
}

/** False when the fault answered (an error, a reset) or the client left during a delay. */
async function applyFault(fault: ReplicateFault | undefined, res: ServerResponse): Promise<boolean> {
  if (!fault) return true;
  if ('status' in fault) {
    problem(res, fault.status, fault.title ?? defaultTitle(fault.status), fault.detail ?? `Emulated error ${fault.status}`, fault.invalidFields ? { invalid_fields: fault.invalidFields } : {}, fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {});
    return false;
  }
  if ('malformed' in fault) {
    send(res, 200, Buffer.from('{"id":"broken","status":"proc'), { 'content-type': 'application/json' });
    return false;
  }
  return resetOrDelay(fault, res);
}

function defaultTitle(status: number): string {
  return ({ 401: 'Unauthenticated', 402: 'Payment required', 404: 'Not found', 422: 'Input validation failed', 429: 'Request was throttled.', 500: 'Internal Server Error', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
}

function problem(res: ServerResponse, status: number, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  sendJson(res, status, { title, detail, status, ...extra }, headers, 'application/problem+json');
}
