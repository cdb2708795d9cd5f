/**
 * The one error type. Adapters map every SDK error to a ProviderError; the runner
 * decides on retry and fallback from `code` and `retryable` alone.
 */
import type { z } from 'zod';

export type ErrorCode =
  | 'auth'
  | 'invalid_request'
  | 'content_filtered'
  | 'not_found'
  | 'rate_limited'
  | 'quota'
  | 'unavailable'
  | 'timeout'
  | 'cancelled'
  | 'unsupported'
  | 'internal'
  /** The call's estimate is above its cap (max_cost_usd, or MCP_PROVIDERS_MAX_COST_USD); refused before anything was sent. */
  | 'over_cap'
  /** Today's spend (UTC) plus the call's estimate would pass MCP_PROVIDERS_DAILY_BUDGET_USD; refused before anything was sent. */
  | 'over_budget';

/** Codes worth trying again (same provider after backoff, then the next one). */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['rate_limited', 'unavailable', 'timeout']);
/** Codes where another provider would not help and would bill twice. */
const FINAL: ReadonlySet<ErrorCode> = new Set(['invalid_request', 'content_filtered', 'cancelled']);

export interface ProviderErrorInit {
  code: ErrorCode;
  message: string;
  providerId?: string;
  status?: number;
  requestId?: string;
  retryable?: boolean;
  /** Milliseconds the provider asked us to wait (Retry-After). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly code: ErrorCode;
  readonly providerId?: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.code = init.code;
    this.providerId = init.providerId;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? RETRYABLE.has(init.code);
    this.retryAfterMs = init.retryAfterMs;
  }

  /** True when falling back to another provider cannot help. */
  get final(): boolean {
    return FINAL.has(this.code);
  }
}

/** Input the caller can fix; raised at the tool boundary and by adapters before paid calls. */
export function invalidRequest(message: string, providerId?: string): ProviderError {
  return new ProviderError({ code: 'invalid_request', message, providerId });
}

/** Adapters take `count` from the runner as well as from a tool's schema, so each checks it: the one check and its message. */
export function requireCount(count: number, providerId: string): void {
  if (!Number.isInteger(count) || count < 1) throw invalidRequest('count must be a whole number of at least 1.', providerId);
}

/**
 * One `<provider>.models.<id>` entry of config/providers.yaml, checked against its schema. A
 * malformed entry fails the adapter's load: an `internal` error naming the YAML path and every issue.
 */
export function parseModelEntry<S extends z.ZodType>(providerId: string, id: string, schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ');
  throw new ProviderError({ code: 'internal', providerId, message: `config/providers.yaml ${providerId}.models.${id} is invalid: ${issues}` });
}

/** Normalised code for an HTTP status from a provider's API. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 409 || status === 413 || status === 415 || status === 422) return 'invalid_request';
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  return 'internal';
}

/** Parses a Retry-After header (seconds or HTTP date) into ms. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Wraps anything thrown into a ProviderError, keeping one that already is. */
export function toProviderError(err: unknown, providerId?: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isAbortError(err)) return new ProviderError({ code: 'cancelled', message: 'The call was cancelled.', providerId, cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ code: 'internal', message, providerId, cause: err });
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'APIUserAbortError');
}
