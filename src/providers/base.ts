/**
 * Provider contracts: the only types an adapter and the layers above it share.
 *
 * Modelled on the Vercel AI SDK provider specification: small typed interfaces,
 * one per kind of model, each documented where it is declared. Nothing here knows
 * MCP exists; `tools/` and `server/` translate these into MCP results.
 */
import type { Logger } from '../util/logger.js';
import type { ErrorCode } from './errors.js';

/** What a provider can generate. One tool per capability. */
export type Capability = 'text' | 'image' | 'video' | 'audio' | 'tts';
export const CAPABILITIES: readonly Capability[] = ['text', 'image', 'video', 'audio', 'tts'];

/**
 * One requirement: a list of alternatives, any one of which meets it — env var names
 * (`["FAL_AI_API_KEY", "FAL_KEY"]`) or probes such as `adc:gcloud` (see registry/credentials.ts).
 */
export type Requirement = string[];

/** One way to authenticate: every requirement must be met. */
export interface CredentialMode {
  name: string;
  requires: Requirement[];
}

/** Static description of a provider, read from config/providers.yaml plus env overrides. */
export interface ProviderInfo {
  id: string;
  displayName: string;
  capabilities: Capability[];
  /** Model used when the caller names none, per capability. */
  defaultModels: Partial<Record<Capability, string>>;
  /**
   * Ways to authenticate; the provider is configured when any one is fully met, and
   * needs nothing when the list is empty.
   */
  credentialModes: CredentialMode[];
  /** Extra requirements one capability alone has (e.g. local text needs a server URL). */
  capabilityKeys: Partial<Record<Capability, Requirement[]>>;
  /** Lower runs first. */
  priority: number;
  /** `ENABLE_PROVIDER_<ID>`. */
  featureFlag: string;
  /** Whether the flag is on when the variable is unset. */
  enabledByDefault: boolean;
  /** Env var that overrides the API endpoint (`<PROVIDER>_BASE_URL`). */
  baseUrlEnv: string;
  /** Endpoint override, when set. */
  baseUrl?: string;
  /** One line for people: what the provider is, or why it is not usable yet. */
  notes?: string;
  /**
   * Known models and their limits, as config/providers.yaml gives them (`models:`), keyed by
   * model id. Shape is the adapter's business: it validates its own entries.
   */
  models: Record<string, Record<string, unknown>>;
}

/** A file handed to a model: a URI (https, gs://, data:, artifact://) or bytes. */
export type MediaAttachment =
  | { uri: string; mimeType?: string }
  | { data: Uint8Array; mimeType: string };

/** What the caller asked for, independent of any provider. */
export interface Prompt {
  text: string;
  system?: string;
  attachments: MediaAttachment[];
}

/** Fields every options DTO shares. */
export interface CommonOptions {
  /** Model id in the provider's own naming. Undefined: the provider's default. */
  model?: string;
  seed?: number;
  /** Passed to the provider untouched (merged into its request body). */
  extra: Record<string, unknown>;
}

export interface TextOptions extends CommonOptions {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** Ask for a JSON object as the answer. */
  responseFormat?: 'text' | 'json';
}

export type AspectRatio = '1:1' | '16:9' | '9:16' | '4:3' | '3:4' | '3:2' | '2:3' | '21:9' | '9:21';
export const ASPECT_RATIOS: readonly AspectRatio[] = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21'];

export interface ImageOptions extends CommonOptions {
  count: number;
  aspectRatio?: AspectRatio;
  negativePrompt?: string;
  outputMimeType?: 'image/png' | 'image/jpeg' | 'image/webp';
}

export interface VideoOptions extends CommonOptions {
  count: number;
  aspectRatio?: AspectRatio;
  durationSeconds?: number;
  resolution?: '720p' | '1080p' | '4k';
  generateAudio?: boolean;
  negativePrompt?: string;
  /** First frame (image-to-video). */
  image?: MediaAttachment;
  lastFrame?: MediaAttachment;
}

export interface AudioOptions extends CommonOptions {
  count: number;
  durationSeconds?: number;
  negativePrompt?: string;
}

export interface TtsOptions extends CommonOptions {
  voice?: string;
  language?: string;
  /** Multiplier on the normal speaking rate: 1 is normal. */
  speed?: number;
  format: 'wav' | 'mp3' | 'ogg';
}

/** A generated file as the provider handed it over: bytes, a stream, or a URL to fetch. */
export type ArtifactSource =
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'stream'; stream: ReadableStream<Uint8Array> }
  /** https:// or gs:// — the artifact layer fetches and streams it into the store. */
  | { kind: 'url'; url: string };

export interface GeneratedArtifact {
  source: ArtifactSource;
  /** Where the provider left the file (gs:// or https), kept in the artifact record. */
  sourceUri?: string;
  mimeType: string;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/**
 * Where a cost figure comes from: `provider`, the provider's own (OpenRouter's `usage.cost`, or
 * Replicate's billed compute seconds × the hardware's price); `price-table`, what was made × the
 * price in config/providers.yaml; `unknown`, neither (no price for the model).
 */
export type CostSource = 'provider' | 'price-table' | 'unknown';

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  /** USD, when it can be known. */
  costUsd?: number;
  /** Set by the runner on every result. */
  costSource?: CostSource;
}

/** Telemetry the runner fills in for every call. */
export interface ProviderTelemetry {
  providerId: string;
  model: string;
  latencyMs: number;
  attempts: number;
  requestId?: string;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  /** Providers tried before this one, in order, when the first choice failed. */
  fallbackFrom?: string[];
  /** What the provider said about the run (e.g. Replicate's predict time), kept in `_meta` telemetry. */
  providerMetadata?: Record<string, unknown>;
}

/** What one adapter call returns. The runner adds telemetry; `tools/` stores artifacts. */
export interface GenerationResult {
  /** The model that actually answered (providers may resolve aliases). */
  model: string;
  artifacts: GeneratedArtifact[];
  text?: string;
  usage?: Usage;
  warnings?: string[];
  requestId?: string;
  providerMetadata?: Record<string, unknown>;
  /** Provider's raw response; kept out of tool output. */
  raw?: unknown;
}

/** Given to every call: cancellation, progress, logging, deadline. */
export interface CallContext {
  /** Aborts the provider HTTP request; honour it all the way down. */
  signal: AbortSignal;
  /** Report progress (0..1 when known) with an optional message. */
  progress(progress: { fraction?: number; message?: string }): void;
  logger: Logger;
  /** Epoch ms after which the call should give up. */
  deadline: number;
  /** One key per job, the same on every attempt: providers that take an idempotency key on starts get it. */
  idempotencyKey?: string;
}

/** A quick call: one method, one result. */
export interface QuickService<Opts> {
  generate(prompt: Prompt, options: Opts, ctx: CallContext): Promise<GenerationResult>;
}

/** A JSON value: what can be written to a job store and read back unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Plain JSON describing a running job at the provider, so it can be persisted, resumed
 * after a restart, or polled by another process. Adapters put a small `v` (version) field
 * in theirs and accept older shapes in `status`, so a job stored by one release is resumed
 * by the next.
 */
export type Operation = JsonObject;

/**
 * Where a provider's job stands. A job that failed is a value (`failed`), not an exception:
 * `status` throws only when the poll request itself failed, which the runner retries as a
 * poll — never as a second, paid start.
 */
export type OperationStatus =
  | { state: 'pending'; progress?: number; message?: string }
  | { state: 'done'; result: GenerationResult }
  /** The provider says the job failed: `code` as for ProviderError, `message` in its own words. */
  | { state: 'failed'; code: ErrorCode; message: string };

/** A long job: start it, poll it, cancel it. */
export interface LongRunningService<Opts> {
  /**
   * Starts the job and returns once the provider accepted it. `ctx.idempotencyKey` is the
   * same for every attempt of one job: send it where the provider takes one.
   */
  start(prompt: Prompt, options: Opts, ctx: CallContext): Promise<{ operation: Operation }>;
  status(operation: Operation, ctx: CallContext): Promise<OperationStatus>;
  /** Asks the provider to stop the job. Resolves true when it was told, false when it offers no cancel. */
  cancel(operation: Operation, ctx: CallContext): Promise<boolean>;
  /** Suggested first poll interval, ms. */
  pollIntervalMs?: number;
}

export type TextModelService = QuickService<TextOptions>;
export type ImageModelService = QuickService<ImageOptions> | LongRunningService<ImageOptions>;
export type VideoModelService = QuickService<VideoOptions> | LongRunningService<VideoOptions>;
export type AudioModelService = QuickService<AudioOptions> | LongRunningService<AudioOptions>;
export type TtsService = QuickService<TtsOptions>;

export interface OptionsByCapability {
  text: TextOptions;
  image: ImageOptions;
  video: VideoOptions;
  audio: AudioOptions;
  tts: TtsOptions;
}

export type AnyService<C extends Capability> =
  | QuickService<OptionsByCapability[C]>
  | LongRunningService<OptionsByCapability[C]>;

export function isLongRunning<O>(s: QuickService<O> | LongRunningService<O>): s is LongRunningService<O> {
  return 'start' in s;
}

/** An adapter: the services it implements. Created lazily, on first use. */
export interface ProviderAdapter {
  text?: TextModelService;
  image?: ImageModelService;
  video?: VideoModelService;
  audio?: AudioModelService;
  tts?: TtsService;
}

/** Environment an adapter is built from; adapters never read process.env themselves. */
export interface AdapterEnv {
  info: ProviderInfo;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves one of our artifact URIs to bytes (for attachments). */
  resolveArtifact(uri: string): Promise<{ data: Uint8Array; mimeType: string }>;
  /** Server-wide identity sent as attribution where providers take it. */
  appName: string;
  appUrl: string;
}

/** How a provider folder registers itself: `load` imports the SDK only when called. */
export interface ProviderModule {
  id: string;
  load(env: AdapterEnv): Promise<ProviderAdapter>;
}
