/**
 * The `replicate` SDK, tamed. Only three calls are used — `predictions.create`, `.get` and
 * `.cancel` — never `run()`, which returns `null` for a prediction still processing when its
 * sync wait ends, and polls on its own.
 *
 * The SDK's `request` wraps every fetch in `withAutomaticRetries`: up to five more tries on a
 * 429 (and, for GETs, any 5xx), with no real delay (its sleep runs only for whole-number delays,
 * which its jitter makes rare) and Retry-After never read (it looks for it only on a thrown
 * ApiError, which its own fetch never throws); a network error is swallowed and tried again
 * the same way. It has no option to turn that off, but it takes a `fetch`. So each call gets a
 * fresh SDK instance (the constructor only binds methods) whose fetch makes exactly ONE HTTP
 * request: a non-2xx answer is thrown as HttpFailure — status, headers and body intact — and
 * every retry the SDK then attempts is handed that same outcome without touching the network.
 * One SDK call is one request; the runner owns retries, honouring Retry-After.
 */
import type ReplicateSdk from 'replicate';
import type { CallContext } from '../base.js';
import { ProviderError } from '../errors.js';
import { HttpFailure, toReplicateError } from './errors.js';
import { PROVIDER_ID, type ModelRef } from './models.js';

export const REPLICATE_BASE_URL = 'https://api.replicate.com/v1';
/** Longest sync wait Replicate allows (`Prefer: wait=n`, n from 1 to 60). */
export const MAX_SYNC_WAIT_SECONDS = 60;

type ReplicateClass = typeof ReplicateSdk;
/** The SDK declares `Request | string`; at run time it passes a URL. */
type SdkFetch = (input: Request | string, init?: RequestInit) => Promise<Response>;

export interface ReplicateSettings {
  token: string;
  /** REPLICATE_BASE_URL, e.g. https://api.replicate.com/v1. */
  baseUrl: string;
  userAgent: string;
}

/** The prediction JSON as Replicate sends it; predictions.ts validates what it reads. */
export type PredictionJson = Record<string, unknown>;

export class ReplicateClient {
  private constructor(
    private readonly Sdk: ReplicateClass,
    readonly settings: ReplicateSettings,
  ) {}

  /** Imports the SDK: the adapter's first call, never start-up. */
  static async create(settings: ReplicateSettings): Promise<ReplicateClient> {
    const mod = await import('replicate');
    return new ReplicateClient(mod.default, settings);
  }

  get secrets(): readonly string[] {
    return [this.settings.token];
  }

  /**
   * Creates a prediction. `waitSeconds` sends `Prefer: wait=n` (sync mode: the answer comes when
   * the prediction finishes or n seconds pass, whichever is first); without it the answer is
   * immediate (status `starting`).
   */
  async createPrediction(ref: ModelRef, input: Record<string, unknown>, ctx: CallContext, waitSeconds?: number): Promise<PredictionJson> {
    const wait = waitSeconds === undefined ? undefined : Math.max(1, Math.min(MAX_SYNC_WAIT_SECONDS, Math.floor(waitSeconds)));
    return this.call(
      ctx,
      (sdk, signal) =>
        ref.kind === 'official'
          ? sdk.predictions.create({ model: `${ref.owner}/${ref.name}`, input, ...(wait ? { wait } : {}), signal })
          : sdk.predictions.create({ version: ref.version, input, ...(wait ? { wait } : {}), signal }),
      'create',
    );
  }

  getPrediction(id: string, ctx: CallContext): Promise<PredictionJson> {
    return this.call(ctx, (sdk, signal) => sdk.predictions.get(id, { signal }), 'poll');
  }

  cancelPrediction(id: string, ctx: CallContext): Promise<PredictionJson> {
    return this.call(ctx, (sdk, signal) => sdk.predictions.cancel(id, { signal }), 'cancel');
  }

  /**
   * One SDK call on a fresh instance whose fetch makes one request, tied to the caller's signal
   * and deadline. A create whose 2xx answer then could not be read is final: Replicate accepted
   * it, so a retry would start (and bill) a second prediction.
   */
  private async call(ctx: CallContext, fn: (sdk: ReplicateSdk, signal: AbortSignal) => Promise<unknown>, kind: 'create' | 'poll' | 'cancel'): Promise<PredictionJson> {
    const remaining = ctx.deadline - Date.now();
    if (remaining <= 0) {
      throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: "replicate: the call's deadline passed before the request was sent." });
    }
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(remaining)]);
    const http = oneRequestFetch();
    const sdk = new this.Sdk({
      auth: this.settings.token,
      baseUrl: this.settings.baseUrl,
      userAgent: this.settings.userAgent,
      fetch: http.fetch,
      // Outputs are read from the prediction JSON (URLs), never through FileOutput streams.
      useFileOutput: false,
    });
    let out: unknown;
    try {
      out = await fn(sdk, signal);
    } catch (err) {
      const error = toReplicateError(err, { secrets: this.secrets, signal: ctx.signal });
      if (kind === 'create' && http.accepted()) {
        throw new ProviderError({
          code: error.code === 'cancelled' ? 'cancelled' : 'unavailable',
          providerId: PROVIDER_ID,
          retryable: false,
          message: `Replicate accepted the prediction but its answer could not be read (${error.message}); it may be running and was not started again.`,
          cause: err,
        });
      }
      throw error;
    }
    if (out === null || typeof out !== 'object' || Array.isArray(out)) {
      throw new ProviderError({
        code: 'unavailable',
        providerId: PROVIDER_ID,
        retryable: kind !== 'create',
        message: 'Replicate answered with something that is not a prediction object.',
      });
    }
    return out as PredictionJson;
  }
}

/**
 * A fetch that makes one request. A non-2xx answer becomes a thrown HttpFailure (read here,
 * body and headers kept); any later call — the SDK's retry loop — gets the same outcome again
 * with no network traffic. A second call after a 2xx cannot happen today; it is refused rather
 * than sent, since for a create it would be a second paid prediction.
 */
function oneRequestFetch(): { fetch: SdkFetch; accepted(): boolean } {
  let first: Promise<Response> | undefined;
  let answered = false;
  const fetchOnce: SdkFetch = (input, init) => {
    if (first) {
      return answered
        ? Promise.reject(new ProviderError({ code: 'internal', providerId: PROVIDER_ID, retryable: false, message: 'replicate: the SDK asked for a second request within one call; it was not sent.' }))
        : first;
    }
    first = (async () => {
      const res = await fetch(input, init);
      if (!res.ok) {
        const url = new URL(input instanceof Request ? input.url : String(input));
        const body = await res.text().catch(() => '');
        throw new HttpFailure(init?.method ?? 'GET', url.pathname, res.status, res.headers, body);
      }
      answered = true;
      return res;
    })();
    return first;
  };
  return { fetch: fetchOnce, accepted: () => answered };
}
