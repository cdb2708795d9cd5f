/**
 * SDK and auth set-up for Vertex AI: which way we authenticate, the `@google/genai` client
 * (one per region), per-call HTTP options (cancellation, deadline, header capture), and
 * authorised REST calls for what the SDK lacks (Lyria's `predict`).
 *
 * Every SDK here is imported on first use, never at start-up; the `import type`s vanish
 * at compile time.
 */
import { format } from 'node:util';
import type { GoogleGenAI, GoogleGenAIOptions, HttpOptions } from '@google/genai';
import type { GoogleAuth } from 'google-auth-library';
import type { Storage } from '@google-cloud/storage';
import type { AdapterEnv, CallContext } from '../base.js';
import { ProviderError } from '../errors.js';
import type { Logger } from '../../util/logger.js';
import { CREDENTIALS_HELP, HttpFailure, toVertexError, type CallTrace } from './errors.js';
import { PROVIDER_ID } from './models.js';

export type GenAIModule = typeof import('@google/genai');

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The GA REST surface. Pinned so GOOGLE_GENAI_API_VERSION in the environment cannot move it. */
export const API_VERSION = 'v1';
export const DEFAULT_LOCATION = 'us-central1';

export interface VertexSettings {
  /** `api-key`: Vertex AI express mode (no project). `adc`: project + Application Default Credentials. */
  mode: 'api-key' | 'adc';
  apiKey?: string;
  project?: string;
  location: string;
  /** GOOGLE_VERTEX_BASE_URL: endpoint override (proxies, private endpoints, tests). */
  baseUrl?: string;
  /** GOOGLE_VERTEX_OUTPUT_GCS_URI: where Veo writes videos (gs://bucket/prefix). */
  outputGcsUri?: string;
  /** GOOGLE_VERTEX_STORAGE_URL: Cloud Storage JSON API endpoint override. */
  storageUrl?: string;
}

/**
 * The way to authenticate, from the adapter's environment. The API key wins when both are
 * set, matching the order list_providers reports (config/providers.yaml `credential_modes`).
 */
export function resolveSettings(env: AdapterEnv): VertexSettings {
  const e = env.env;
  const common = {
    location: e.GOOGLE_CLOUD_LOCATION?.trim() || DEFAULT_LOCATION,
    ...(env.info.baseUrl ? { baseUrl: env.info.baseUrl } : {}),
    ...(e.GOOGLE_VERTEX_OUTPUT_GCS_URI ? { outputGcsUri: e.GOOGLE_VERTEX_OUTPUT_GCS_URI.trim() } : {}),
    ...(e.GOOGLE_VERTEX_STORAGE_URL ? { storageUrl: e.GOOGLE_VERTEX_STORAGE_URL.trim() } : {}),
  };
  const apiKey = e.GOOGLE_API_KEY?.trim();
  if (apiKey) return { mode: 'api-key', apiKey, ...common, ...(e.GOOGLE_CLOUD_PROJECT ? { project: e.GOOGLE_CLOUD_PROJECT.trim() } : {}) };
  const project = e.GOOGLE_CLOUD_PROJECT?.trim();
  if (project) return { mode: 'adc', project, ...common };
  throw new ProviderError({ code: 'auth', providerId: PROVIDER_ID, message: `google-vertex has no credentials. ${CREDENTIALS_HELP}` });
}

/** Where a publisher model lives: with a project in ADC mode, without one in express mode. */
export function modelResource(settings: VertexSettings, location: string, model: string): string {
  return settings.mode === 'adc'
    ? `projects/${settings.project}/locations/${location}/publishers/google/models/${model}`
    : `publishers/google/models/${model}`;
}

/** The endpoint: the override, or the same global / multi-region / regional host the SDK picks. */
export function endpointFor(settings: VertexSettings, location: string): string {
  if (settings.baseUrl) return settings.baseUrl.replace(/\/+$/, '');
  if (settings.mode === 'api-key' || location === 'global') return 'https://aiplatform.googleapis.com';
  if (location === 'us' || location === 'eu') return `https://aiplatform.${location}.rep.googleapis.com`;
  return `https://${location}-aiplatform.googleapis.com`;
}

/** Secrets to scrub from every message: the key, and any access token we handed out. */
export function secretsOf(settings: VertexSettings): string[] {
  return settings.apiKey ? [settings.apiKey] : [];
}

/** The clients one adapter shares across calls. */
export class VertexClients {
  private readonly genai = new Map<string, GoogleGenAI>();
  private googleAuth?: Promise<GoogleAuth>;
  private storageClient?: Promise<Storage>;

  private constructor(
    readonly settings: VertexSettings,
    readonly sdk: GenAIModule,
  ) {}

  /** Loads `@google/genai` — the adapter's first call, never start-up. */
  static async create(settings: VertexSettings): Promise<VertexClients> {
    return new VertexClients(settings, await import('@google/genai'));
  }

  /** The SDK client for one region (models may need `global`); created once per region. */
  client(location: string, logger: Logger): GoogleGenAI {
    let ai = this.genai.get(location);
    if (!ai) {
      const s = this.settings;
      const options: GoogleGenAIOptions = {
        vertexai: true,
        apiVersion: API_VERSION,
        // No httpOptions.retryOptions: the SDK retries only when it is set, and the runner owns retry.
        httpOptions: s.baseUrl ? { baseUrl: s.baseUrl } : {},
        ...(s.mode === 'api-key'
          ? // Express mode: the key alone. A project or location here would put them in the URL.
            { apiKey: s.apiKey }
          : {
              project: s.project,
              location,
              googleAuthOptions: { scopes: [CLOUD_PLATFORM_SCOPE], projectId: s.project },
            }),
      };
      ai = quietly(logger, () => new this.sdk.GoogleGenAI(options));
      this.genai.set(location, ai);
    }
    return ai;
  }

  /**
   * google-auth-library for our own REST calls and Cloud Storage. The SDK builds its own
   * (it depends on an older major of the library), from the same settings.
   *
   * Where the credentials come from is the library's standard ADC search — the
   * GOOGLE_APPLICATION_CREDENTIALS file, the gcloud user, then the metadata server
   * (GCE_METADATA_HOST) — which reads the process environment itself, as every Google
   * client does. Handing it the file as `keyFilename` instead is deprecated in v11 and
   * prints a warning on every start.
   */
  auth(): Promise<GoogleAuth> {
    this.googleAuth ??= import('google-auth-library').then(
      ({ GoogleAuth }) => new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], ...(this.settings.project ? { projectId: this.settings.project } : {}) }),
    );
    return this.googleAuth;
  }

  /** Cloud Storage, for gs:// outputs. Needs ADC even in express mode (API keys do not reach GCS). */
  storage(): Promise<Storage> {
    this.storageClient ??= (async () => {
      const [{ Storage }, authClient] = await Promise.all([import('@google-cloud/storage'), this.auth()]);
      return new Storage({
        authClient,
        ...(this.settings.project ? { projectId: this.settings.project } : {}),
        ...(this.settings.storageUrl ? { apiEndpoint: this.settings.storageUrl, useAuthWithCustomEndpoint: true } : {}),
        // The runner owns retry.
        retryOptions: { autoRetry: false },
      });
    })();
    return this.storageClient;
  }

  /** Auth headers for a REST call: the key in express mode, an OAuth token otherwise. */
  async authHeaders(): Promise<Headers> {
    if (this.settings.mode === 'api-key') return new Headers({ 'x-goog-api-key': this.settings.apiKey ?? '' });
    const headers = await (await this.auth()).getRequestHeaders();
    return new Headers(headers);
  }

  /**
   * POSTs JSON to `{endpoint}/v1/{resource}:{verb}` with auth, the caller's signal and the
   * deadline. A non-2xx answer throws HttpFailure for toVertexError to map.
   */
  async postJson(location: string, resource: string, body: unknown, ctx: CallContext, trace: CallTrace): Promise<unknown> {
    const remaining = remainingMs(ctx);
    const headers = await this.authHeaders().catch((err: unknown) => {
      throw toVertexError(err, { secrets: secretsOf(this.settings), signal: ctx.signal });
    });
    headers.set('content-type', 'application/json');
    const url = `${endpointFor(this.settings, location)}/${API_VERSION}/${resource}`;
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(remaining)]),
    });
    trace.status = res.status;
    trace.headers = res.headers;
    const text = await res.text();
    if (!res.ok) throw new HttpFailure(res.status, text, res.headers);
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, status: res.status, message: 'Vertex AI returned a body that is not JSON.', cause: err });
    }
  }
}

/** What each SDK call gets: the caller's signal, the deadline, a fetch that records the response. */
export interface CallOptions {
  httpOptions: HttpOptions;
  abortSignal: AbortSignal;
  trace: CallTrace;
}

/**
 * Per-call HTTP options. The fetch wrapper ties every request to the caller's signal (the
 * SDK drops `abortSignal` on some calls, e.g. getVideosOperation) and keeps the response
 * headers, which the SDK's ApiError does not (Retry-After, request ids). `extraBody` is
 * deep-merged into the REST body by the SDK: that is how `extra` reaches the wire untouched.
 */
// With a fetch of our own the SDK leaves out its no-timeout undici dispatcher, so Node's default
// 300 s wait for response headers applies per request. Media calls answer well within it (Veo's
// long wait is split into polls); a text answer slower than that fails as a retryable `unavailable`.
export function callOptions(ctx: CallContext, extraBody?: Record<string, unknown>): CallOptions {
  const timeout = remainingMs(ctx);
  const trace: CallTrace = {};
  const tracingFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal;
    const res = await fetch(input, { ...init, signal });
    trace.status = res.status;
    trace.headers = res.headers;
    return res;
  };
  return {
    httpOptions: { timeout, fetch: tracingFetch, ...(extraBody && Object.keys(extraBody).length ? { extraBody } : {}) },
    abortSignal: ctx.signal,
    trace,
  };
}

function remainingMs(ctx: CallContext): number {
  const remaining = ctx.deadline - Date.now();
  if (remaining <= 0) {
    throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: "google-vertex: the call's deadline passed before the request was sent." });
  }
  return remaining;
}

/**
 * Runs the SDK constructor with console output sent to the debug log. When its options and
 * the environment disagree (say GEMINI_API_KEY is set while we use ADC), the constructor
 * explains its choice with console.debug — stdout in Node, which carries the MCP protocol
 * in stdio mode. start.ts already routes console to stderr; this keeps it out of both. The
 * constructor is synchronous, so nothing else runs while console is swapped.
 */
function quietly<T>(logger: Logger, make: () => T): T {
  const saved = { log: console.log, info: console.info, debug: console.debug, warn: console.warn };
  const toLog = (...args: unknown[]) => logger.debug({ provider: PROVIDER_ID }, format(...args));
  console.log = console.info = console.debug = console.warn = toLog;
  try {
    return make();
  } finally {
    Object.assign(console, saved);
  }
}
