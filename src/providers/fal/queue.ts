/**
 * fal's queue API, four REST calls made with fetch: submit `POST {base}/{endpoint_id}`, status
 * `GET {base}/{app}/requests/{id}/status?logs=1`, result `GET {base}/{app}/requests/{id}` and
 * cancel `PUT {base}/{app}/requests/{id}/cancel`, with `Authorization: Key <key>`.
 *
 * Why not `@fal-ai/client`'s queue client (1.10, read in node_modules/@fal-ai/client/src):
 * - it has no base-URL option — every URL is built as `https://queue.fal.run/…` (request.js
 *   `buildUrl`), so FAL_BASE_URL would need a URL-rewriting `requestMiddleware` or its proxy mode;
 * - its queue calls retry on their own: `dispatchRequest` merges each call's own retry config over
 *   the client's (`{...config.retry, ...options.retry}`), and queue.js passes `maxRetries: 3` for
 *   submit and result and 5 for status (with 500 retryable), so `retry: {maxRetries: 0}` does not
 *   turn them off. Here the runner owns retries, and a hidden retry of a submit is a second paid job;
 * - its `ApiError` keeps the status, body and request id but not the headers, so Retry-After is lost;
 * - `subscribe({abortSignal})` stops polling but never calls cancel.
 * What we do take from the client is its rule for the app part of an endpoint id (`parseEndpointId`,
 * handed in as `appIdOf`): status, result and cancel use only `[namespace/]owner/alias` —
 * `fal-ai/flux/dev` → `fal-ai/flux` — as fal's queue docs say.
 *
 * fal takes no idempotency key on submit (its queue docs and platform headers name none), so
 * `ctx.idempotencyKey` is not sent; the runner's rule — never start again once accepted — is what
 * keeps one job to one paid request.
 *
 * URLs fal returns (`status_url`, `response_url`, `cancel_url`) are used only when they are on the
 * configured base (same origin, under its path); otherwise the URL is built from the base, so a
 * body can never send our key to another host.
 */
import type { CallContext } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { field } from '../../util/field.js';
import { fromFetchError, fromHttp, malformed, parseErrorBody, describeError, codeFor } from './errors.js';
import { PROVIDER_ID } from './models.js';

export const FAL_QUEUE_URL = 'https://queue.fal.run';

/** One request in fal's queue, as stored in a job's operation. */
export interface QueueRequest {
  /** The endpoint id it was submitted to (e.g. `fal-ai/flux/schnell`). */
  endpoint: string;
  id: string;
  status_url?: string;
  response_url?: string;
  cancel_url?: string;
}

export interface RequestLog {
  message: string;
  level?: string;
  timestamp?: string;
}

export type QueueStatus =
  | { status: 'IN_QUEUE'; position?: number }
  | { status: 'IN_PROGRESS'; logs: RequestLog[] }
  | { status: 'COMPLETED'; logs: RequestLog[]; error?: ProviderError }
  /** A status fal's docs do not list (some deployments report FAILED or CANCELED). */
  | { status: 'OTHER'; name: string; error?: ProviderError };

export type QueueResult =
  | { kind: 'ok'; body: unknown; requestId?: string }
  /** fal's verdict on the job: it ran (or was refused by the model) and failed. */
  | { kind: 'failed'; error: ProviderError }
  /** Not ready after all (a result asked for a moment too early). */
  | { kind: 'pending' };

export type CancelOutcome = 'requested' | 'already_completed' | 'not_found';

export interface FalQueueOptions {
  /** The queue API base (FAL_BASE_URL), default https://queue.fal.run. */
  baseUrl?: string;
  apiKey: string;
  /** Endpoint id → app id used by status, result and cancel (`@fal-ai/client`'s `parseEndpointId`). */
  appIdOf: (endpoint: string) => string;
  userAgent: string;
  fetch?: typeof fetch;
}

/** Longest wait for one HTTP exchange; the job's own deadline is shorter when it is near. */
const SUBMIT_TIMEOUT_MS = 120_000;
const CALL_TIMEOUT_MS = 60_000;

const ENDPOINT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+)+$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class FalQueue {
  readonly base: URL;
  readonly secrets: readonly string[];
  readonly #opts: FalQueueOptions;
  readonly #fetch: typeof fetch;

  constructor(opts: FalQueueOptions) {
    this.#opts = opts;
    this.#fetch = opts.fetch ?? fetch;
    const base = (opts.baseUrl ?? FAL_QUEUE_URL).replace(/\/+$/, '');
    try {
      this.base = new URL(`${base}/`);
    } catch {
      throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: `FAL_BASE_URL is not a URL: ${base}` });
    }
    // The key and, for "id:secret" keys, its secret half: neither may appear in a message.
    this.secrets = [opts.apiKey, ...(opts.apiKey.includes(':') ? [opts.apiKey.slice(opts.apiKey.indexOf(':') + 1)] : [])];
  }

  /** Queues one request. Resolves once fal accepted it (a request id came back). */
  async submit(endpoint: string, input: Record<string, unknown>, ctx: CallContext): Promise<QueueRequest & { position?: number }> {
    const path = this.#submitPath(endpoint);
    const res = await this.#call('POST', this.#url(path), 'submit', ctx, SUBMIT_TIMEOUT_MS, input);
    if (!res.ok) throw fromHttp(res, `submit to ${endpoint}`, this.secrets);
    const id = field(res.body, 'request_id');
    if (typeof id !== 'string' || !REQUEST_ID.test(id)) {
      throw malformed(`submit to ${endpoint}`, 'no request_id', res.headers.get('x-fal-request-id') ?? undefined);
    }
    const position = field(res.body, 'queue_position');
    return {
      endpoint,
      id,
      ...this.#ownUrl('status_url', field(res.body, 'status_url')),
      ...this.#ownUrl('response_url', field(res.body, 'response_url')),
      ...this.#ownUrl('cancel_url', field(res.body, 'cancel_url')),
      ...(typeof position === 'number' ? { position } : {}),
    };
  }

  async status(req: QueueRequest, ctx: CallContext): Promise<QueueStatus> {
    const url = new URL(this.#pick(req.status_url, this.#requestUrl(req, '/status')));
    url.searchParams.set('logs', '1');
    const res = await this.#call('GET', url, 'status', ctx, CALL_TIMEOUT_MS);
    if (!res.ok) throw fromHttp(res, `status of ${req.id}`, this.secrets);
    const status = field(res.body, 'status');
    const logs = logsIn(field(res.body, 'logs'));
    // Not in fal's documented status schema, but tolerated: a status carrying `error` (and `error_type`) is the job's verdict.
    const error = typeof field(res.body, 'error') === 'string' ? this.#errorOf(res.body, 500, res.headers, `job ${req.id}`) : undefined;
    if (status === 'IN_QUEUE') {
      const position = field(res.body, 'queue_position');
      return { status, ...(typeof position === 'number' ? { position } : {}) };
    }
    if (status === 'IN_PROGRESS') return { status, logs };
    if (status === 'COMPLETED') return { status, logs, ...(error ? { error } : {}) };
    if (typeof status === 'string' && status) return { status: 'OTHER', name: status, ...(error ? { error } : {}) };
    throw malformed(`status of ${req.id}`, 'no status field');
  }

  /**
   * The finished job's output. A refusal from the model (4xx such as a 422 validation or content
   * error), or an infrastructure failure fal gave up on (an `error_type`), is the job's verdict;
   * anything else that is not 2xx (429, 5xx, 401…) is a failed poll, thrown for the runner to retry.
   */
  async result(req: QueueRequest, ctx: CallContext): Promise<QueueResult> {
    const res = await this.#call('GET', new URL(this.#pick(req.response_url, this.#requestUrl(req, ''))), 'result', ctx, CALL_TIMEOUT_MS);
    const requestId = res.headers.get('x-fal-request-id') ?? undefined;
    if (res.ok) return { kind: 'ok', body: res.body, ...(requestId ? { requestId } : {}) };
    const parsed = parseErrorBody(res.body);
    if (res.status === 400 && /still (in progress|in queue)|not (yet )?(completed|finished)/i.test(describeError(parsed, ''))) return { kind: 'pending' };
    const verdict = [400, 409, 413, 415, 422].includes(res.status) || (res.status >= 500 && Boolean(parsed?.error_type ?? res.headers.get('x-fal-error-type')));
    const error = fromHttp(res, `job ${req.id} (${req.endpoint})`, this.secrets);
    if (verdict) return { kind: 'failed', error };
    throw error;
  }

  /** Asks fal to stop the request: removed from the queue, or a cancel signal sent to its runner. */
  async cancel(req: QueueRequest, ctx: CallContext): Promise<CancelOutcome> {
    // A cancel is clean-up, also sent once the job's deadline has passed (the runner cancels then): only the signal and the cap bound it.
    const cleanup = { ...ctx, deadline: Math.max(ctx.deadline, Date.now() + CALL_TIMEOUT_MS) };
    const res = await this.#call('PUT', new URL(this.#pick(req.cancel_url, this.#requestUrl(req, '/cancel'))), 'cancel', cleanup, CALL_TIMEOUT_MS);
    const said = field(res.body, 'status');
    if (res.ok) return 'requested';
    if (res.status === 400 && said === 'ALREADY_COMPLETED') return 'already_completed';
    if (res.status === 404) return 'not_found';
    throw fromHttp(res, `cancel of ${req.id}`, this.secrets);
  }

  #errorOf(body: unknown, status: number, headers: Headers, what: string): ProviderError {
    const parsed = parseErrorBody(body);
    const words = typeof field(body, 'error') === 'string' ? String(field(body, 'error')) : describeError(parsed, 'no details');
    return new ProviderError({ code: codeFor(status, parsed, headers), providerId: PROVIDER_ID, retryable: false, message: `fal ${what} failed: ${words}` });
  }

  #submitPath(endpoint: string): string {
    if (!ENDPOINT_ID.test(endpoint) || endpoint.split('/').some((s) => s === '.' || s === '..')) {
      throw invalidRequest(`model must be a fal endpoint id such as fal-ai/flux/schnell (owner/app[/path]), not "${endpoint}".`, PROVIDER_ID);
    }
    return endpoint;
  }

  #appId(endpoint: string): string {
    try {
      return this.#opts.appIdOf(endpoint);
    } catch (err) {
      throw invalidRequest(`model "${endpoint}" is not a fal endpoint id: ${(err as Error).message}`, PROVIDER_ID);
    }
  }

  #requestUrl(req: QueueRequest, suffix: string): string {
    if (!REQUEST_ID.test(req.id)) throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: `Not a fal request id: ${req.id}` });
    return this.#url(`${this.#appId(req.endpoint)}/requests/${req.id}${suffix}`).toString();
  }

  #url(path: string): URL {
    return new URL(path.split('/').map(encodeURIComponent).join('/'), this.base);
  }

  /** A URL from a response body, kept only when it is on the configured base. */
  #ownUrl<K extends 'status_url' | 'response_url' | 'cancel_url'>(key: K, value: unknown): Partial<Record<K, string>> {
    const url = typeof value === 'string' ? this.#onBase(value) : undefined;
    return url ? ({ [key]: url } as Record<K, string>) : {};
  }

  #pick(stored: string | undefined, built: string): string {
    return (stored && this.#onBase(stored)) || built;
  }

  #onBase(value: string): string | undefined {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return undefined;
    }
    return url.origin === this.base.origin && url.pathname.startsWith(this.base.pathname) && !url.username && !url.password ? url.toString() : undefined;
  }

  async #call(method: string, url: URL, what: string, ctx: CallContext, capMs: number, body?: unknown): Promise<{ ok: boolean; status: number; headers: Headers; body: unknown }> {
    const left = ctx.deadline - Date.now();
    if (left <= 0) throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: `fal ${what}: the call's deadline passed before the request was sent.` });
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.min(capMs, left))]);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        method,
        headers: {
          authorization: `Key ${this.#opts.apiKey}`,
          accept: 'application/json',
          'user-agent': this.#opts.userAgent,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal,
        redirect: 'error',
      });
      text = await res.text();
    } catch (err) {
      throw fromFetchError(err, what, ctx.signal, this.secrets);
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      if (res.ok) throw malformed(what, 'not JSON', res.headers.get('x-fal-request-id') ?? undefined);
    }
    return { ok: res.ok, status: res.status, headers: res.headers, body: parsed };
  }
}

function logsIn(value: unknown): RequestLog[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): RequestLog[] => {
    const message = field(entry, 'message');
    if (typeof message !== 'string') return [];
    const level = field(entry, 'level');
    const timestamp = field(entry, 'timestamp');
    return [{ message, ...(typeof level === 'string' ? { level } : {}), ...(typeof timestamp === 'string' ? { timestamp } : {}) }];
  });
}
