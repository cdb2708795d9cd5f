/**
 * One `@huggingface/inference` client per adapter, and the fetch every request goes through.
 *
 * The client's quirks, and what this module does about each:
 * - It retries a 503 immediately and without end unless `retry_on_error: false`: set on the
 *   client and on every call (the runner owns retry).
 * - It logs through `console` (stdout in Node, the MCP channel in stdio mode): `setLogger`
 *   sends its messages to our stderr logger instead.
 * - It calls two hosts, the router (https://router.huggingface.co) and the Hub
 *   (https://huggingface.co/api/models/{id}?expand[]=inferenceProviderMapping), through its
 *   `fetch` option. With HUGGINGFACE_BASE_URL set both are rewritten to it, and a request for
 *   any other host is refused: nothing may reach huggingface.co then.
 * - Its media tasks make follow-up requests (fal queue polls, downloads of result URLs)
 *   with the global `fetch`, past the `fetch` option; media calls therefore use only the
 *   client's request builder (see media.ts) and make every request here.
 * - A token that does not start with `hf_` makes it send the token to the third-party
 *   provider directly, as that provider's own key: refused at load (`resolveSettings`).
 */
import type { InferenceClient, Logger as HfLogger } from '@huggingface/inference';
import type { AdapterEnv, CallContext } from '../base.js';
import { ProviderError } from '../errors.js';
import type { Logger } from '../../util/logger.js';
import { HttpFailure, type CallTrace } from './errors.js';
import { PROVIDER_ID } from './models.js';

export type HfModule = typeof import('@huggingface/inference');

/** Where the client sends requests unless HUGGINGFACE_BASE_URL says otherwise. */
export const HF_ROUTER_URL = 'https://router.huggingface.co';
export const HF_HUB_URL = 'https://huggingface.co';

export interface HfSettings {
  token: string;
  /** HUGGINGFACE_BASE_URL: serves both the router paths and the Hub mapping path (proxies, tests). */
  baseUrl?: string;
}

export function resolveSettings(env: AdapterEnv): HfSettings {
  const token = (env.env.HUGGINGFACE_API_TOKEN || env.env.HF_TOKEN)?.trim();
  if (!token) {
    throw new ProviderError({ code: 'auth', providerId: PROVIDER_ID, message: 'huggingface needs HUGGINGFACE_API_TOKEN (or HF_TOKEN): a Hugging Face access token (hf_…).' });
  }
  if (!token.startsWith('hf_')) {
    // The client would treat it as a key of the inference provider and call that provider
    // directly (fal.run, api.replicate.com, …), past the router and HUGGINGFACE_BASE_URL.
    throw new ProviderError({
      code: 'auth',
      providerId: PROVIDER_ID,
      message: 'huggingface: HUGGINGFACE_API_TOKEN (or HF_TOKEN) must be a Hugging Face access token starting with "hf_"; keys of the inference providers themselves are not used here.',
    });
  }
  const baseUrl = env.info.baseUrl?.trim().replace(/\/+$/, '');
  return { token, ...(baseUrl ? { baseUrl } : {}) };
}

/** What a fetch made through this module records, and the token to scrub. */
export interface HfClients {
  readonly settings: HfSettings;
  readonly sdk: HfModule;
  readonly client: InferenceClient;
  readonly secrets: readonly string[];
  /** The URL a request for `url` really goes to (router and Hub rewritten to the base URL). */
  route(url: string): string;
  /** A fetch for one call: routed, tied to the caller's signal and deadline, recording the last answer in `trace`. */
  fetchFor(ctx: CallContext, trace: CallTrace): typeof fetch;
  /** One request of our own: throws HttpFailure on a non-2xx answer. */
  send(url: string, init: RequestInit, ctx: CallContext, trace: CallTrace): Promise<Response>;
}

export async function createClients(settings: HfSettings, logger: Logger): Promise<HfClients> {
  const sdk = await import('@huggingface/inference');
  // Process-wide in the SDK: every instance logs through our (stderr) logger from now on.
  sdk.setLogger(sdkLogger(logger));

  const route = (url: string): string => routeUrl(url, settings.baseUrl);
  const fetchFor = (ctx: CallContext, trace: CallTrace): typeof fetch =>
    (async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
      const original = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const url = route(original);
      const remaining = ctx.deadline - Date.now();
      if (remaining <= 0) {
        throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: "huggingface: the call's deadline passed before the request was sent." });
      }
      const signals = [ctx.signal, AbortSignal.timeout(remaining), ...(init?.signal ? [init.signal] : [])];
      const res = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
      trace.status = res.status;
      trace.headers = res.headers;
      trace.url = url;
      return res;
    }) as typeof fetch;

  const client = new sdk.InferenceClient(settings.token, {
    retry_on_error: false,
    // A fallback only: every call passes its own fetch (fetchFor) with the caller's signal.
    fetch: ((input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(route(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url), init)) as typeof fetch,
  });

  return {
    settings,
    sdk,
    client,
    secrets: [settings.token],
    route,
    fetchFor,
    async send(url, init, ctx, trace) {
      const res = await fetchFor(ctx, trace)(url, init);
      if (!res.ok) throw new HttpFailure(res.status, await res.text().catch(() => ''), res.headers, trace.url ?? url);
      return res;
    },
  };
}

/**
 * The router and the Hub, rewritten to the base URL when one is set; with a base URL, any
 * other destination is refused rather than sent past it.
 */
export function routeUrl(url: string, baseUrl: string | undefined): string {
  if (!baseUrl) return url;
  for (const origin of [HF_ROUTER_URL, HF_HUB_URL]) {
    if (url === origin || url.startsWith(`${origin}/`) || url.startsWith(`${origin}?`)) return baseUrl + url.slice(origin.length);
  }
  if (url === baseUrl || url.startsWith(`${baseUrl}/`) || url.startsWith(`${baseUrl}?`)) return url;
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // keep the text
  }
  throw new ProviderError({
    code: 'internal',
    providerId: PROVIDER_ID,
    message: `huggingface: refusing a request to ${origin}: HUGGINGFACE_BASE_URL is set, so requests go only there.`,
  });
}

/** The SDK's logger interface on top of ours: debug level, stderr, never stdout. */
function sdkLogger(logger: Logger): HfLogger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, ...args: unknown[]) =>
    logger[level]({ provider: PROVIDER_ID, sdk: '@huggingface/inference', ...(args.length ? { args: args.map(String) } : {}) }, message);
  return { debug: at('debug'), log: at('debug'), info: at('debug'), warn: at('warn'), error: at('error') };
}
