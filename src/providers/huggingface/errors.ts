/**
 * The one place Hugging Face failures become ProviderErrors: the client's
 * `InferenceClientProviderApiError` / `InferenceClientHubApiError` (status and body, no
 * headers), non-2xx answers to our own router and Hub requests (`HttpFailure`, with headers),
 * the client's input/routing/output errors, network errors and aborts.
 *
 * Error bodies come in several dialects behind one router: hf-inference's
 * `{"error": "...", "estimated_time": 20.5}` (503 while a model loads), OpenAI-style
 * `{"error": {"message": "..."}}` from chat providers, `{"message": "..."}`, and fal's
 * `{"detail": "..."}` or FastAPI `{"detail": [{"loc": [...], "msg": "..."}]}`. The client keeps
 * no response headers, so every call records the last response it saw (CallTrace) and
 * Retry-After and request ids are read from there.
 */
import { z } from 'zod';
import { ProviderError, codeForStatus, isAbortError, parseRetryAfter, type ErrorCode } from '../errors.js';
import { scrubSecrets } from '../../util/logger.js';
import { PROVIDER_ID } from './models.js';

/** The last HTTP response one call received (status, headers, where it went). */
export interface CallTrace {
  status?: number;
  headers?: Headers;
  url?: string;
}

/** A non-2xx answer to one of our own requests (router media routes, fal queue, the Hub). */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Headers,
    readonly url: string,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpFailure';
  }
}

/** The error bodies Hugging Face's router and Hub send, and what the providers behind them send through it. */
export const ErrorBodySchema = z
  .object({
    error: z.union([z.string(), z.object({ message: z.string().optional(), code: z.union([z.string(), z.number()]).nullish(), type: z.string().nullish() }).loose()]).optional(),
    /** hf-inference while a model loads (503): seconds until it should be ready. */
    estimated_time: z.number().optional(),
    message: z.string().optional(),
    /** fal: a string, or FastAPI validation errors. */
    detail: z.union([z.string(), z.array(z.object({ msg: z.string().optional(), loc: z.array(z.union([z.string(), z.number()])).optional() }).loose())]).optional(),
  })
  .loose();

export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export interface ErrorContext {
  /** Never to appear in a message (the token). */
  secrets: readonly string[];
  trace?: CallTrace;
  /** The caller's signal: an abort it caused is `cancelled`, any other abort a timeout. */
  signal?: AbortSignal;
  /** Inference provider the call went to, for the message. */
  inferenceProvider?: string;
}

const TOKEN_HELP =
  'Check HUGGINGFACE_API_TOKEN (or HF_TOKEN): a Hugging Face access token (hf_…) with the "Make calls to Inference Providers" permission.';

/** Maps anything a Hugging Face call threw to a ProviderError. */
export function toHfError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isAbortError(err) || (err instanceof Error && err.name === 'TimeoutError')) {
    return ctx.signal?.aborted
      ? new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'huggingface: the call was cancelled.', cause: err })
      : new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: 'huggingface: the request timed out.', cause: err });
  }
  if (err instanceof HttpFailure) return fromHttp(err.status, parseBody(err.body), err.headers, undefined, ctx, err);
  const sdk = sdkHttpError(err);
  if (sdk) {
    // Headers only from the trace, and only when it is the same answer.
    const headers = ctx.trace?.status === sdk.status ? ctx.trace.headers : undefined;
    const body = typeof sdk.body === 'string' ? parseBody(sdk.body) : ErrorBodySchema.safeParse(sdk.body).data ?? JSON.stringify(sdk.body);
    return fromHttp(sdk.status, body, headers, sdk.requestId, ctx, err);
  }
  if (err instanceof Error && (err.name === 'InputError' || err.name === 'RoutingError')) {
    // Raised by the client before sending: a model no provider maps, a task a provider lacks.
    const code: ErrorCode = /not been able to find inference provider|No Inference Provider available/i.test(err.message) ? 'not_found' : 'invalid_request';
    return new ProviderError({ code, providerId: PROVIDER_ID, message: scrubSecrets(`huggingface: ${err.message}`, ctx.secrets), cause: err });
  }
  if (err instanceof Error && err.name === 'ProviderOutputError') {
    return new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, message: scrubSecrets(`huggingface: the provider's answer was not what the task returns: ${err.message}`, ctx.secrets), cause: err });
  }
  if (err instanceof SyntaxError) {
    return new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, message: 'huggingface: the answer was not valid JSON.', cause: err });
  }
  if (isNetworkError(err)) {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return new ProviderError({
      code: 'unavailable',
      providerId: PROVIDER_ID,
      message: scrubSecrets(`huggingface: could not reach the endpoint: ${err instanceof Error ? err.message : String(err)}${cause}`, ctx.secrets),
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: scrubSecrets(`huggingface: ${message}`, ctx.secrets), cause: err });
}

/** A ProviderError for an HTTP status and body: also used for a failed fal queue job (its result answer). */
export function fromHttp(
  status: number,
  body: ErrorBody | string | undefined,
  headers: Headers | undefined,
  requestId: string | undefined,
  ctx: ErrorContext,
  cause?: unknown,
): ProviderError {
  const parsed = typeof body === 'object' ? body : undefined;
  const code = codeForStatus(status);
  const said = errorText(parsed) ?? (typeof body === 'string' && body.trim() ? body.trim().slice(0, 500) : 'no details');
  const where = ctx.inferenceProvider && ctx.inferenceProvider !== 'auto' ? ` (inference provider ${ctx.inferenceProvider})` : '';
  const hint = code === 'auth' ? ` ${TOKEN_HELP}` : code === 'quota' ? ' The account has no Inference Providers credits left (or billing is not set up).' : '';
  return new ProviderError({
    code,
    providerId: PROVIDER_ID,
    status,
    requestId: headers?.get('x-request-id') || requestId || undefined,
    retryAfterMs: retryAfter(status, headers, parsed),
    message: scrubSecrets(`Hugging Face${where} returned HTTP ${status}: ${said}${hint && !/[.!?]$/.test(said) ? '.' : ''}${hint}`, ctx.secrets),
    cause,
  });
}

/** The provider's own words, from whichever dialect the body speaks. */
export function errorText(body: ErrorBody | undefined): string | undefined {
  if (!body) return undefined;
  if (typeof body.error === 'string') return body.error;
  if (body.error && typeof body.error.message === 'string') return body.error.message;
  if (typeof body.message === 'string') return body.message;
  if (typeof body.detail === 'string') return body.detail;
  if (Array.isArray(body.detail)) {
    return body.detail.map((d) => `${d.loc?.join('.') ?? ''}${d.loc ? ': ' : ''}${d.msg ?? 'invalid'}`).join('; ');
  }
  return undefined;
}

/** A response body as one of the known dialects, or the text itself. */
export function parseBody(text: string): ErrorBody | string | undefined {
  if (!text) return undefined;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text) as unknown);
    return parsed.success ? parsed.data : text;
  } catch {
    return text;
  }
}

/** Retry-After, or hf-inference's `estimated_time` while a model loads. */
function retryAfter(status: number, headers: Headers | undefined, body: ErrorBody | undefined): number | undefined {
  const header = parseRetryAfter(headers?.get('retry-after'));
  if (header !== undefined) return header;
  if (status === 503 && typeof body?.estimated_time === 'number' && Number.isFinite(body.estimated_time)) {
    return Math.max(0, Math.round(body.estimated_time * 1000));
  }
  return undefined;
}

interface SdkHttpError {
  status: number;
  body: unknown;
  requestId?: string;
}

/** The client's ProviderApiError / HubApiError, matched by shape: importing the classes would load the SDK. */
function sdkHttpError(err: unknown): SdkHttpError | undefined {
  if (!(err instanceof Error) || (err.name !== 'ProviderApiError' && err.name !== 'HubApiError')) return undefined;
  const response = (err as { httpResponse?: { status?: unknown; body?: unknown; requestId?: unknown } }).httpResponse;
  if (typeof response?.status !== 'number') return undefined;
  return { status: response.status, body: response.body, ...(typeof response.requestId === 'string' && response.requestId ? { requestId: response.requestId } : {}) };
}

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return (err instanceof TypeError && /fetch failed|terminated/i.test(err.message)) || /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_)/.test(code ?? '');
}
