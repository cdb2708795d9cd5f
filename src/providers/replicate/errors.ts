/**
 * The one place Replicate failures become ProviderErrors: HTTP error answers (RFC 7807
 * problem details: `{"type","title","status","detail","instance"}`, plus `invalid_fields`
 * on a 422), network failures and aborts, and predictions that ended `failed`, `canceled`
 * or `aborted` — whose `error` text is kept in the message.
 *
 * 401/403 → auth, 402 → quota (out of credit), 404 → not_found, 422 → invalid_request,
 * 429 → rate_limited with the Retry-After wait, 5xx → unavailable.
 */
import { z } from 'zod';
import { ProviderError, codeForStatus, isAbortError, parseRetryAfter, type ErrorCode } from '../errors.js';
import { scrubSecrets } from '../../util/logger.js';
import { PROVIDER_ID } from './models.js';

/** Replicate's error body. Loose: fields Replicate adds later pass through. */
export const ProblemSchema = z
  .object({
    type: z.string().optional(),
    title: z.string().optional(),
    status: z.number().optional(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    invalid_fields: z.array(z.object({ type: z.string().optional(), field: z.string().optional(), description: z.string().optional() }).loose()).optional(),
  })
  .loose();

export type Problem = z.infer<typeof ProblemSchema>;

/** A non-2xx answer, raised by our fetch (client.ts) before the SDK can see — and retry — it. */
export class HttpFailure extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`HTTP ${status} from ${method} ${path}`);
    this.name = 'HttpFailure';
  }
}

export interface ErrorContext {
  /** Values never to appear in a message (the API token). */
  secrets: readonly string[];
  /** The caller's own signal: an abort it caused is `cancelled`; any other abort is the deadline. */
  signal: AbortSignal;
}

export function toReplicateError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof HttpFailure) return httpError(err, ctx);
  if (isAbortError(err) || (err instanceof Error && err.name === 'TimeoutError')) {
    return ctx.signal.aborted
      ? new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'The call was cancelled.', cause: err })
      : new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: "replicate: the call's deadline passed while waiting for Replicate.", cause: err });
  }
  const message = scrubSecrets(err instanceof Error ? `${err.message}${causeText(err)}` : String(err), ctx.secrets);
  // fetch's TypeError("fetch failed") and socket errors: nothing reached us, worth trying again.
  return new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, message: `replicate: the request failed before an answer came back: ${message}`, cause: err });
}

function httpError(f: HttpFailure, ctx: ErrorContext): ProviderError {
  const problem = parseProblem(f.body);
  let code: ErrorCode = codeForStatus(f.status);
  const words = problemText(problem, f.body);
  let hint = '';
  if (f.status === 404 && /\/(models|predictions)$/.test(f.path)) {
    hint = ' (no such model or version: an official model runs as owner/name, any other needs owner/name:<version>)';
  }
  if (f.status === 401) hint = ' (check REPLICATE_API_TOKEN)';
  if (f.status === 402) hint = ' (add credit or a payment method to the Replicate account)';
  if (code === 'internal' && f.status >= 400 && f.status < 500) code = 'invalid_request';
  const retryAfterMs = f.status === 429 ? (parseRetryAfter(f.headers.get('retry-after')) ?? throttleHint(problem)) : undefined;
  return new ProviderError({
    code,
    providerId: PROVIDER_ID,
    status: f.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    message: scrubSecrets(`Replicate returned HTTP ${f.status}${words ? `: ${words}` : ''}${hint}`, ctx.secrets),
    cause: f,
  });
}

function parseProblem(body: string): Problem | undefined {
  try {
    const parsed = ProblemSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** title + detail (+ the fields a 422 names), or the raw body when it is not problem details. */
function problemText(problem: Problem | undefined, raw: string): string {
  if (!problem || (!problem.title && !problem.detail)) return raw.trim().slice(0, 500);
  const parts: string[] = [];
  if (problem.title && !problem.detail?.startsWith(problem.title)) parts.push(problem.title);
  if (problem.detail) parts.push(problem.detail.trim());
  const fields = (problem.invalid_fields ?? []).map((f) => [f.field, f.description].filter(Boolean).join(': ')).filter(Boolean);
  if (fields.length && !fields.every((f) => problem.detail?.includes(f))) parts.push(`invalid: ${fields.join('; ')}`);
  return parts.join(' — ').slice(0, 1000);
}

/** "Request was throttled. Expected available in 2 seconds." — the wait Replicate names in words. */
function throttleHint(problem: Problem | undefined): number | undefined {
  const m = /available in (\d+(?:\.\d+)?) second/i.exec(problem?.detail ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

function causeText(err: Error): string {
  const cause = err.cause;
  if (cause instanceof Error) return ` (${(cause as NodeJS.ErrnoException).code ?? cause.message})`;
  return '';
}

/** What a prediction that did not succeed means, as a failed job: its own words kept. */
export function predictionFailure(p: { id: string; status: string; error?: unknown }, model: string): { code: ErrorCode; message: string } {
  const text = errorText(p.error);
  if (p.status === 'canceled') return { code: 'cancelled', message: `The Replicate prediction ${p.id} (${model}) was canceled.${text ? ` ${text}` : ''}` };
  if (p.status === 'aborted') return { code: 'timeout', message: `The Replicate prediction ${p.id} (${model}) was aborted before it started (its deadline passed).` };
  const code: ErrorCode = /nsfw|sensitive|safety|flagged|content policy|moderat/i.test(text)
    ? 'content_filtered'
    : /timed? ?out|deadline/i.test(text)
      ? 'timeout'
      : 'internal';
  return { code, message: `The Replicate prediction ${p.id} (${model}) failed: ${text || 'no reason given'}` };
}

function errorText(error: unknown): string {
  if (error === null || error === undefined) return '';
  const text = typeof error === 'string' ? error : JSON.stringify(error);
  return text.trim().slice(0, 2000);
}
