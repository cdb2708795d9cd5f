/**
 * The one place fal failures become ProviderErrors. fal sends two error bodies (its docs,
 * "Model Errors" and "Request Errors"):
 * - model errors: `{"detail": [{loc, msg, type, url?, ctx?, input?}]}` — FastAPI/Pydantic style,
 *   e.g. a 422 `missing` field or `content_policy_violation`, with an `X-Fal-Retryable` header;
 * - request errors: `{"detail": "Request timed out", "error_type": "request_timeout"}`, the
 *   type also in `X-Fal-Error-Type` — timeouts, runner failures, auth (`{"detail": "..."}`).
 * Both are parsed loosely (some endpoints are still being migrated to this shape, fal says).
 */
import { z } from 'zod';
import { ProviderError, codeForStatus, isAbortError, parseRetryAfter, type ErrorCode } from '../errors.js';
import { scrubSecrets } from '../../util/logger.js';
import { PROVIDER_ID } from './models.js';

const ErrorItemSchema = z.looseObject({
  loc: z.array(z.union([z.string(), z.number()])).optional(),
  msg: z.string().optional(),
  type: z.string().optional(),
});

export const FalErrorBodySchema = z.looseObject({
  detail: z.union([z.string(), z.array(ErrorItemSchema), z.looseObject({ msg: z.string().optional(), message: z.string().optional() })]).optional(),
  error_type: z.string().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
});
export type FalErrorBody = z.infer<typeof FalErrorBodySchema>;

/** fal's request error types (docs: "Request Error Types") → our codes. */
const CODE_BY_ERROR_TYPE: Record<string, ErrorCode> = {
  request_timeout: 'timeout',
  startup_timeout: 'timeout',
  runner_scheduling_failure: 'unavailable',
  runner_connection_timeout: 'unavailable',
  runner_disconnected: 'unavailable',
  runner_connection_refused: 'unavailable',
  runner_connection_error: 'unavailable',
  runner_incomplete_response: 'unavailable',
  runner_server_error: 'unavailable',
  client_disconnected: 'unavailable',
  client_cancelled: 'cancelled',
  bad_request: 'invalid_request',
  internal_error: 'unavailable',
};

const AUTH_HELP = 'Check FAL_AI_API_KEY (or FAL_KEY): it must be a fal API key, as "key_id:key_secret".';

export interface FalHttpFailure {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

/** Parses an error body; undefined when it is not one of fal's shapes. */
export function parseErrorBody(body: unknown): FalErrorBody | undefined {
  const parsed = FalErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/** The words of an error body: each `detail` item as `field: msg (type)`, or the flat `detail`. */
export function describeError(body: FalErrorBody | undefined, fallback: string): string {
  const detail = body?.detail;
  if (typeof detail === 'string' && detail.trim()) return detail.trim();
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((d) => {
        const where = (d.loc ?? []).filter((p) => p !== 'body').join('.');
        return `${where ? `${where}: ` : ''}${d.msg ?? 'invalid'}${d.type ? ` (${d.type})` : ''}`;
      })
      .join('; ');
  }
  if (detail && typeof detail === 'object' && !Array.isArray(detail)) return detail.msg ?? detail.message ?? fallback;
  return body?.message ?? body?.error ?? fallback;
}

/** The code an error body and status say: a content-policy item is content_filtered, an error type wins over the status. */
export function codeFor(status: number, body: FalErrorBody | undefined, headers?: Headers): ErrorCode {
  const items = Array.isArray(body?.detail) ? body.detail : [];
  if (items.some((d) => d.type === 'content_policy_violation')) return 'content_filtered';
  const errorType = body?.error_type ?? headers?.get('x-fal-error-type') ?? undefined;
  if (errorType && CODE_BY_ERROR_TYPE[errorType]) return CODE_BY_ERROR_TYPE[errorType];
  const text = describeError(body, '');
  // fal locks an account whose balance ran out ("User is locked. Reason: Exhausted balance.").
  if ((status === 402 || status === 403) && /exhausted balance|insufficient (funds|balance|credit)|top up/i.test(text)) return 'quota';
  return codeForStatus(status);
}

/** A non-2xx answer from the queue API, as a ProviderError. */
export function fromHttp(failure: FalHttpFailure, what: string, secrets: readonly string[]): ProviderError {
  const { status, headers } = failure;
  const body = parseErrorBody(failure.body);
  const raw = typeof failure.body === 'string' ? failure.body.trim().slice(0, 300) : '';
  const code = codeFor(status, body, headers);
  const words = describeError(body, raw || 'no details');
  const hint = code === 'auth' ? ` ${AUTH_HELP}` : code === 'not_found' && what.startsWith('submit') ? ' (check the model: it must be a fal endpoint id such as fal-ai/flux/schnell)' : '';
  // fal says with X-Fal-Retryable whether trying again can help; only a "false" there overrides our code's default.
  const retryable = headers.get('x-fal-retryable')?.toLowerCase() === 'false' ? false : undefined;
  return new ProviderError({
    code,
    providerId: PROVIDER_ID,
    status,
    requestId: headers.get('x-fal-request-id') ?? undefined,
    retryAfterMs: parseRetryAfter(headers.get('retry-after')),
    ...(retryable === false ? { retryable } : {}),
    message: scrubSecrets(`fal ${what} returned HTTP ${status}: ${hint ? sentence(words) : words}${hint}`, secrets),
  });
}

/** Ends the words with a full stop when they have none, so a hint can follow. */
function sentence(words: string): string {
  return /[.!?)]$/.test(words) ? words : `${words}.`;
}

/** A job fal finished with an error: what the job record keeps (the provider's own words, with our code). */
export function jobFailure(error: ProviderError): { state: 'failed'; code: ErrorCode; message: string } {
  return { state: 'failed', code: error.code, message: error.message };
}

/** Network failures, aborts and timeouts of our own fetch calls. */
export function fromFetchError(err: unknown, what: string, callerSignal: AbortSignal, secrets: readonly string[]): ProviderError {
  if (err instanceof ProviderError) return err;
  if (callerSignal.aborted) return new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'fal: the call was cancelled.', cause: err });
  if (isAbortError(err) || (err instanceof Error && err.name === 'TimeoutError')) {
    return new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: `fal ${what}: the request timed out.`, cause: err });
  }
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, message: scrubSecrets(`fal ${what}: could not reach the queue API: ${message}${cause}`, secrets), cause: err });
}

/** A 2xx answer whose body is not what fal documents. */
export function malformed(what: string, detail: string, requestId?: string): ProviderError {
  return new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, requestId, message: `fal ${what} returned an unexpected body: ${detail}` });
}
