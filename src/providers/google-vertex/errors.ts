/**
 * The one place Vertex failures become ProviderErrors: SDK `ApiError`s (whose message is
 * the JSON `google.rpc.Status` body), failed REST exchanges (Lyria), `error` fields of
 * long-running operations, google-auth-library failures, network errors and aborts.
 *
 * The SDK's ApiError keeps only the status and body, not the headers, so each call
 * records the last response's headers in a CallTrace (see client.ts); Retry-After and
 * request ids are read from there.
 */
import { ProviderError, codeForStatus, isAbortError, type ErrorCode } from '../errors.js';
import { field } from '../../util/field.js';
import { scrubSecrets } from '../../util/logger.js';
import { PROVIDER_ID } from './models.js';

/** The last HTTP response one call received, kept for error mapping and telemetry. */
export interface CallTrace {
  status?: number;
  headers?: Headers;
}

/** A non-2xx answer to one of our own REST calls. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Headers,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpFailure';
  }
}

/** The `error` of a finished long-running operation: a google.rpc.Status with a gRPC code. */
export class OperationFailure extends Error {
  constructor(readonly status: unknown) {
    super('operation failed');
    this.name = 'OperationFailure';
  }
}

export interface ErrorContext {
  /** Values that must never appear in a message (the API key, access tokens). */
  secrets: readonly string[];
  trace?: CallTrace;
  /** The caller's signal: an abort it caused is `cancelled`, any other abort is a timeout. */
  signal?: AbortSignal;
}

/** What people need to do when no credentials work. Names only, never values. */
export const CREDENTIALS_HELP =
  'Set GOOGLE_API_KEY (Vertex AI express mode), or GOOGLE_CLOUD_PROJECT plus Application Default Credentials: ' +
  'GOOGLE_APPLICATION_CREDENTIALS=<credentials file>, `gcloud auth application-default login`, or a GCP metadata server.';

const GRPC_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** google.rpc.Code name → our code. The name is more precise than the HTTP status (400 covers three of them). */
const CODE_BY_RPC_STATUS: Record<string, ErrorCode> = {
  INVALID_ARGUMENT: 'invalid_request',
  FAILED_PRECONDITION: 'invalid_request',
  OUT_OF_RANGE: 'invalid_request',
  ALREADY_EXISTS: 'invalid_request',
  RESOURCE_EXHAUSTED: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'unavailable',
  UNKNOWN: 'unavailable',
  ABORTED: 'unavailable',
  // A server-side cancel the client did not ask for: the work was lost, trying again may help.
  CANCELLED: 'unavailable',
  DEADLINE_EXCEEDED: 'timeout',
  PERMISSION_DENIED: 'auth',
  UNAUTHENTICATED: 'auth',
  NOT_FOUND: 'not_found',
  UNIMPLEMENTED: 'unsupported',
  DATA_LOSS: 'internal',
};

const REQUEST_ID_HEADERS = ['x-request-id', 'x-goog-request-id', 'x-cloud-trace-context'];

/** A google.rpc.Status as Vertex sends it, in the `error` field of a body or of an operation. */
interface RpcStatus {
  /** HTTP status in REST bodies, gRPC code in operations. */
  code?: number;
  message?: string;
  /** The google.rpc.Code name (REST bodies only). */
  status?: string;
  details?: unknown[];
}

/** Maps anything a Vertex call threw to a ProviderError. */
export function toVertexError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isAbortLike(err)) {
    return ctx.signal?.aborted
      ? new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'google-vertex: the call was cancelled.', cause: err })
      : new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: 'google-vertex: the request timed out.', cause: err });
  }
  if (err instanceof HttpFailure) return fromHttp(err.status, parseBody(err.body), err.headers, ctx, err);
  if (isSdkApiError(err)) return fromHttp(err.status, parseBody(err.message), ctx.trace?.headers, ctx, err);
  if (err instanceof OperationFailure) return fromOperation(err.status, ctx, err);
  const auth = authFailure(err, ctx);
  if (auth) return auth;
  if (isNetworkError(err)) {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return new ProviderError({
      code: 'unavailable',
      providerId: PROVIDER_ID,
      message: scrubSecrets(`google-vertex: could not reach the endpoint: ${err instanceof Error ? err.message : String(err)}${cause}`, ctx.secrets),
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: scrubSecrets(`google-vertex: ${message}`, ctx.secrets), cause: err });
}

/** A safety block: never retried, never sent to another provider. */
export function contentFiltered(reason: string, requestId?: string): ProviderError {
  return new ProviderError({ code: 'content_filtered', providerId: PROVIDER_ID, requestId, message: `google-vertex: blocked by safety filters: ${reason}` });
}

function fromHttp(status: number, body: RpcStatus | string | undefined, headers: Headers | undefined, ctx: ErrorContext, cause: unknown): ProviderError {
  const rpc = typeof body === 'object' ? body : undefined;
  const reason = errorInfoReason(rpc);
  // A bad API key is a 400 INVALID_ARGUMENT on the wire, but what the caller must fix is auth.
  const code = reason?.startsWith('API_KEY_') ? 'auth' : (rpc?.status && CODE_BY_RPC_STATUS[rpc.status]) || codeForStatus(status);
  const providerMessage = rpc?.message ?? (typeof body === 'string' && body.trim() ? body.trim().slice(0, 500) : 'no details');
  const hint = code === 'auth' ? ` ${authHint(status, reason)}` : '';
  return new ProviderError({
    code,
    providerId: PROVIDER_ID,
    status,
    requestId: requestIdFrom(headers, rpc),
    retryAfterMs: retryAfter(headers, rpc),
    message: scrubSecrets(`Vertex AI returned HTTP ${status}${rpc?.status ? ` ${rpc.status}` : ''}: ${providerMessage}${reason ? ` (${reason})` : ''}${hint}`, ctx.secrets),
    cause,
  });
}

function fromOperation(value: unknown, ctx: ErrorContext, cause: unknown): ProviderError {
  const rpc = asRpcStatus(value) ?? {};
  const name = typeof rpc.code === 'number' ? GRPC_NAMES[rpc.code] : undefined;
  const code = (name && CODE_BY_RPC_STATUS[name]) || 'internal';
  return new ProviderError({
    code,
    providerId: PROVIDER_ID,
    requestId: requestIdFrom(undefined, rpc),
    retryAfterMs: retryAfter(undefined, rpc),
    message: scrubSecrets(`Vertex AI job failed${name ? ` with ${name}` : ''}: ${rpc.message ?? 'no details'}`, ctx.secrets),
    cause,
  });
}

/** google-auth-library failures: no ADC found, a credentials file that cannot be read, a token endpoint saying no. */
function authFailure(err: unknown, ctx: ErrorContext): ProviderError | undefined {
  if (!(err instanceof Error)) return undefined;
  const text = err.message;
  const noCredentials = /default credentials|could not load the default|unable to detect a project/i.test(text);
  const badFile = (err as NodeJS.ErrnoException).code === 'ENOENT' || /credential|external_account|client_email|private_key/i.test(text);
  // gaxios errors from the token endpoint carry the response.
  const tokenStatus = (err as { response?: { status?: unknown } }).response?.status;
  const tokenRefused = typeof tokenStatus === 'number' && /token|oauth|sts|grant|credential/i.test(text + String((err as { config?: { url?: unknown } }).config?.url ?? ''));
  if (!noCredentials && !badFile && !tokenRefused) return undefined;
  return new ProviderError({
    code: typeof tokenStatus === 'number' && tokenStatus >= 500 ? 'unavailable' : 'auth',
    providerId: PROVIDER_ID,
    ...(typeof tokenStatus === 'number' ? { status: tokenStatus } : {}),
    message: scrubSecrets(`google-vertex: could not get Google credentials: ${text}. ${CREDENTIALS_HELP}`, ctx.secrets),
    cause: err,
  });
}

function authHint(status: number, reason: string | undefined): string {
  if (reason?.startsWith('API_KEY_')) return 'Check GOOGLE_API_KEY: it must be a Vertex AI (express mode) API key.';
  return status === 401
    ? 'Check GOOGLE_API_KEY, or the Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS / `gcloud auth application-default login`).'
    : 'The credentials were accepted but lack access: check that the Vertex AI API is enabled in GOOGLE_CLOUD_PROJECT and the account has the Vertex AI User role.';
}

function parseBody(text: string): RpcStatus | string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    // Vertex wraps the status in `error`; a streaming error may arrive as an array of one.
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    return asRpcStatus(field(first, 'error')) ?? text;
  } catch {
    return text;
  }
}

function asRpcStatus(value: unknown): RpcStatus | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const code = field(value, 'code');
  const message = field(value, 'message');
  const status = field(value, 'status');
  const details = field(value, 'details');
  return {
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof status === 'string' ? { status } : {}),
    ...(Array.isArray(details) ? { details } : {}),
  };
}

function detail(rpc: RpcStatus | undefined, type: string): unknown {
  return rpc?.details?.find((d) => String(field(d, '@type')).endsWith(type));
}

function errorInfoReason(rpc: RpcStatus | undefined): string | undefined {
  const reason = field(detail(rpc, 'google.rpc.ErrorInfo'), 'reason');
  return typeof reason === 'string' ? reason : undefined;
}

function requestIdFrom(headers: Headers | undefined, rpc: RpcStatus | undefined): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers?.get(name);
    if (value) return value;
  }
  const id = field(detail(rpc, 'google.rpc.RequestInfo'), 'requestId');
  return typeof id === 'string' && id ? id : undefined;
}

/** Retry-After, or the status's RetryInfo ("30s", "1.5s"). */
function retryAfter(headers: Headers | undefined, rpc: RpcStatus | undefined): number | undefined {
  const header = headers?.get('retry-after');
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  const delay = field(detail(rpc, 'google.rpc.RetryInfo'), 'retryDelay');
  const m = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** The SDK's ApiError, matched by shape: importing the class would load the SDK. */
function isSdkApiError(err: unknown): err is Error & { status: number } {
  return err instanceof Error && err.name === 'ApiError' && typeof (err as { status?: unknown }).status === 'number';
}

function isAbortLike(err: unknown): boolean {
  return isAbortError(err) || (err instanceof Error && err.name === 'TimeoutError');
}

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return (err instanceof TypeError && /fetch failed/i.test(err.message)) || /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_)/.test(code ?? '');
}
