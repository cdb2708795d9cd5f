/**
 * Loopback emulator of fal's queue API (queue.fal.run), on 127.0.0.1 and a port the OS picks,
 * following fal's queue docs and the wire shapes @fal-ai/client 1.10 reads:
 * - `POST /{endpoint_id}` (owner/app[/path]) → 200 `{status: "IN_QUEUE", request_id, response_url,
 *   status_url, cancel_url, queue_position}`;
 * - `GET /{app}/requests/{id}/status[?logs=1]` → 202 `IN_QUEUE` with `queue_position`, 202
 *   `IN_PROGRESS` with `logs` (one more line each poll), then 200 `COMPLETED` with `logs`, `metrics`;
 * - `GET /{app}/requests/{id}` → 200 the output (files served from `/files/…` here), or the job's
 *   error (422 `{"detail": [...]}` model errors), or 400 while still running;
 * - `PUT /{app}/requests/{id}/cancel` → 202 `{status: "CANCELLATION_REQUESTED"}`, 400
 *   `{status: "ALREADY_COMPLETED"}`, 404 `{status: "NOT_FOUND"}`.
 * `{app}` is `[namespace/]owner/alias` only: a status, result or cancel on the full endpoint path
 * (`fal-ai/flux/schnell/requests/…`) is a 404, as fal's docs say not to add the path there.
 * Auth is `Authorization: Key <key>` (401 `{"detail": ...}` otherwise); errors are `{"detail": ...}`,
 * request errors with `error_type` and `X-Fal-Error-Type`. Faults (types.ts) queue in order.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLoopback, readRequest, resetOrDelay, send, sendJson as json } from '../http-kit.js';
import { complete, familyOf, validate } from './outputs.js';
import type { EmulatedRequest, FalEmulator, FalEmulatorOptions, FalFault, FalRoute, RecordedRequest, ServedFile } from './types.js';

const NAMESPACES = ['workflows', 'comfy'];

interface State {
  opts: Required<FalEmulatorOptions>;
  baseUrl: string;
  requests: RecordedRequest[];
  jobs: Map<string, EmulatedRequest>;
  files: Map<string, ServedFile>;
  byName: Map<string, ServedFile>;
  made: ServedFile[];
  faults: FalFault[];
  waiters: Set<() => void>;
}

export async function startFalEmulator(options: FalEmulatorOptions = {}): Promise<FalEmulator> {
  const state: State = {
    opts: { apiKey: options.apiKey ?? 'fal-test-id:fal-test-secret', queuePolls: options.queuePolls ?? 1, progressPolls: options.progressPolls ?? 1 },
    baseUrl: '',
    requests: [],
    jobs: new Map(),
    files: new Map(),
    byName: new Map(),
    made: [],
    faults: [],
    waiters: new Set(),
  };
  const server = createServer((req, res) => {
    void handle(state, req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { detail: `emulator bug: ${String(err)}` });
      else res.destroy();
    });
  });
  state.baseUrl = await listenLoopback(server);
  return {
    baseUrl: state.baseUrl,
    apiKey: state.opts.apiKey,
    requests: state.requests,
    jobs: state.jobs,
    files: state.files,
    made: state.made,
    options: state.opts,
    enqueueFault: (...faults) => void state.faults.push(...faults),
    pendingFaults: state.faults,
    waitFor: (match, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = state.requests.find(match);
          if (!found) return false;
          state.waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          state.waiters.delete(check);
          reject(new Error('fal emulator: no matching request arrived'));
        }, ms);
        if (!check()) state.waiters.add(check);
      }),
    close: () => closeServer(server),
  };
}

async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { url, rec } = await readRequest(req);
  const body = rec.body;
  state.requests.push(rec);
  for (const wake of [...state.waiters]) wake();

  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (segments[0] === 'files' && segments.length === 2 && req.method === 'GET') {
    if (!(await applyFault(state, 'file', res))) return;
    const file = state.byName.get(segments[1]!);
    if (!file) return json(res, 404, { detail: 'File not found' });
    return send(res, 200, Buffer.from(file.bytes), { 'content-type': file.contentType });
  }

  const auth = req.headers.authorization;
  if (!auth) return json(res, 401, { detail: 'Missing authorization header' });
  if (auth !== `Key ${state.opts.apiKey}`) return json(res, 401, { detail: 'No user found for Key ID and Secret' });

  const at = segments.indexOf('requests');
  if (at >= 0) {
    const prefix = segments.slice(0, at).join('/');
    const id = segments[at + 1];
    const tail = segments.slice(at + 2).join('/');
    const route: FalRoute | undefined =
      req.method === 'GET' && tail === 'status' ? 'status' : req.method === 'GET' && tail === '' ? 'result' : req.method === 'PUT' && tail === 'cancel' ? 'cancel' : undefined;
    if (!route || !id) return json(res, 405, { detail: 'Method Not Allowed' });
    const job = state.jobs.get(id);
    if (job && prefix !== job.app) {
      return json(res, 404, { detail: `Path /${prefix}/requests/${id} not found: request status, result and cancel take the app id (${job.app}) only, not the endpoint path.` });
    }
    if (!(await applyFault(state, route, res))) return;
    if (!job) return route === 'cancel' ? json(res, 404, { status: 'NOT_FOUND' }) : json(res, 404, { detail: `Request ${id} not found` });
    if (route === 'status') return status(state, job, url.searchParams.get('logs') === '1', res);
    if (route === 'result') return result(state, job, res);
    return cancel(state, job, res);
  }

  if (req.method !== 'POST') return json(res, 405, { detail: 'Method Not Allowed' });
  if (segments.length < 2) return json(res, 404, { detail: 'Not Found' });
  const endpoint = segments.join('/');
  const family = familyOf(endpoint);
  if (!family) return json(res, 404, { detail: `Application '${segments.slice(0, 2).join('/')}' not found` });
  if (body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    return json(res, 422, { detail: [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }] });
  }
  const fault = takeFault(state, 'submit');
  if (fault && !(await applyOne(fault, res))) return;
  const app = NAMESPACES.includes(segments[0]!) ? segments.slice(0, 3).join('/') : segments.slice(0, 2).join('/');
  const id = randomUUID();
  const job: EmulatedRequest = { id, endpoint, app, input: body as Record<string, unknown>, polls: 0, cancelled: false, ...(fault && 'jobError' in fault ? { failure: fault.jobError } : {}) };
  state.jobs.set(id, job);
  const origin = fault && 'foreignUrls' in fault ? 'http://fal-elsewhere.invalid' : state.baseUrl;
  json(res, 200, { status: 'IN_QUEUE', ...urlsOf(origin, job), queue_position: state.opts.queuePolls });
}

function urlsOf(origin: string, job: EmulatedRequest) {
  const base = `${origin}/${job.app}/requests/${job.id}`;
  return { request_id: job.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

/** The log lines a request has written after `count` polls in progress: "step 1 of N", "step 2 of N"… */
function logsFor(count: number, of: number) {
  const n = Number.isFinite(count) ? count : 0;
  const total = Number.isFinite(of) ? of : '?';
  return Array.from({ length: n }, (_, i) => ({ message: `step ${i + 1} of ${total}`, level: 'INFO', source: 'USER', timestamp: new Date(Date.now() - (n - i) * 10).toISOString() }));
}

function status(state: State, job: EmulatedRequest, withLogs: boolean, res: ServerResponse): void {
  const { queuePolls, progressPolls } = state.opts;
  job.polls++;
  const urls = urlsOf(state.baseUrl, job);
  if (!job.cancelled && job.polls <= queuePolls) {
    return json(res, 202, { status: 'IN_QUEUE', queue_position: queuePolls - job.polls, ...urls });
  }
  if (!job.cancelled && job.polls <= queuePolls + progressPolls) {
    return json(res, 202, { status: 'IN_PROGRESS', logs: withLogs ? logsFor(job.polls - queuePolls, progressPolls) : null, ...urls });
  }
  finish(state, job);
  json(res, 200, { status: 'COMPLETED', logs: withLogs ? logsFor(progressPolls, progressPolls) : null, metrics: { inference_time: 0.05 }, ...urls });
}

/** Makes the output (once) when the request completes: its files, or the failure the input earns. */
function finish(state: State, job: EmulatedRequest): void {
  if (job.output || job.failure || job.cancelled) return;
  const family = familyOf(job.endpoint)!;
  const refused = validate(family, job.endpoint, job.input);
  if (refused) {
    job.failure = refused;
    return;
  }
  const { body, files } = complete(family, job.endpoint, job.input, (name) => `${state.baseUrl}/files/${name}`);
  for (const f of files) {
    const served: ServedFile = { url: `${state.baseUrl}/files/${f.name}`, bytes: f.bytes, contentType: f.contentType };
    state.files.set(served.url, served);
    state.byName.set(f.name, served);
    state.made.push(served);
  }
  job.output = body;
}

function done(state: State, job: EmulatedRequest): boolean {
  return job.polls > state.opts.queuePolls + state.opts.progressPolls || job.output !== undefined || job.failure !== undefined;
}

function result(state: State, job: EmulatedRequest, res: ServerResponse): void {
  if (job.cancelled) return json(res, 400, { detail: 'Request was cancelled' }, { 'x-fal-request-id': job.id });
  if (!done(state, job)) return json(res, 400, { detail: 'Request is still in progress' }, { 'x-fal-request-id': job.id });
  finish(state, job);
  const f = job.failure;
  if (f) {
    const headers: Record<string, string> = { 'x-fal-request-id': job.id, 'x-fal-retryable': 'false' };
    if (f.errorType) headers['x-fal-error-type'] = f.errorType;
    return json(res, f.status, { detail: f.detail, ...(f.errorType ? { error_type: f.errorType } : {}) }, headers);
  }
  json(res, 200, job.output, { 'x-fal-request-id': job.id });
}

function cancel(state: State, job: EmulatedRequest, res: ServerResponse): void {
  if (done(state, job) && !job.cancelled) return json(res, 400, { status: 'ALREADY_COMPLETED' });
  job.cancelled = true;
  json(res, 202, { status: 'CANCELLATION_REQUESTED' });
}

function takeFault(state: State, route: FalRoute): FalFault | undefined {
  const i = state.faults.findIndex((f) => (f.route === undefined ? route !== 'file' : f.route === route));
  return i < 0 ? undefined : state.faults.splice(i, 1)[0];
}

/** The next fault for this route, applied. False when it answered (or the client left). */
async function applyFault(state: State, route: FalRoute, res: ServerResponse): Promise<boolean> {
  const fault = takeFault(state, route);
  return fault ? applyOne(fault, res) : true;
}

async function applyOne(fault: FalFault, res: ServerResponse): Promise<boolean> {
  if ('status' in fault) {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
    if (fault.errorType) headers['x-fal-error-type'] = fault.errorType;
    if (fault.retryable !== undefined) headers['x-fal-retryable'] = String(fault.retryable);
    json(res, fault.status, { detail: fault.detail ?? defaultDetail(fault.status), ...(fault.errorType ? { error_type: fault.errorType } : {}) }, headers);
    return false;
  }
  return resetOrDelay(fault, res);
}

function defaultDetail(status: number): string {
  if (status === 429) return 'Rate limit exceeded. Please retry later.';
  if (status === 503) return 'Service temporarily unavailable';
  if (status >= 500) return 'Internal Server Error';
  return `Emulated error ${status}`;
}
