/**
 * OpenTelemetry tracing, as hooks the layers call: the server layer wraps each tool call in a span
 * (server/tool-call-span.ts), the runner opens a span per provider attempt, the job layer names
 * the job. Tracing is on when the environment configures an exporter (`tracingConfigured`);
 * otherwise this module is all there is — it imports no OpenTelemetry code — and every hook is a
 * constant no-op. `startTracing` loads the SDK and exporter (./sdk.ts) with a dynamic import, only
 * when configured, so start-up and calls cost what they did before unless tracing is asked for.
 *
 * Context reaches the runner through the SDK's AsyncLocalStorage context manager: the tool-call
 * span is the active span while the tool runs, and the job the tool submits (run in the
 * background, in the same async context) opens its attempt spans under it — also when the call
 * has already answered with a job handle.
 *
 * Sits low in the layer order (it knows only the provider contracts and util), so that server,
 * tools, jobs and registry may all call it.
 */
import type { Capability, GenerationResult, Prompt } from '../providers/base.js';
import type { ProviderError } from '../providers/errors.js';
import type { Logger } from '../util/logger.js';

export type AttributeValue = string | number | boolean | string[];
/** Span attributes; undefined values are left out. */
export type Attributes = Record<string, AttributeValue | undefined>;
type Env = Record<string, string | undefined>;

/** The OTEL_TRACES_EXPORTER names this server has an exporter for. */
export const KNOWN_EXPORTERS: readonly string[] = ['otlp', 'console'];

/**
 * True when the standard variables ask for traces an exporter here can send: OTEL_TRACES_EXPORTER
 * names otlp or console, or is unset and OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; and neither OTEL_SDK_DISABLED=true nor
 * OTEL_TRACES_EXPORTER=none turns it off. Names of exporters this server lacks (zipkin) count for
 * nothing: with no other name, tracing stays off.
 */
export function tracingConfigured(env: Env): boolean {
  if (tracingOff(env)) return false;
  const exporters = tracesExporters(env);
  if (exporters.length) return exporters.some((e) => KNOWN_EXPORTERS.includes(e));
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. */
function tracingOff(env: Env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || tracesExporters(env).includes('none');
}

/** OTEL_TRACES_EXPORTER as a list (lowercase; empty when unset). */
export function tracesExporters(env: Env): string[] {
  return (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
}

/** How a span ended, as the server layer reads it from a tool result. */
export interface SpanOutcome {
  attributes?: Attributes;
  /** `error.type`; the span's status becomes ERROR. */
  errorType?: string;
  /** The status description (never prompt text or a message from upstream). */
  description?: string;
}

/** A server span: its name, kind-specific attributes, and the carrier (`params._meta`) holding the caller's trace context. */
export interface ServerSpanStart {
  name: string;
  attributes: Attributes;
  carrier: Record<string, unknown>;
}

/** What a provider attempt span is told about the attempt. */
export interface AttemptStart {
  capability: Capability;
  providerId: string;
  model: string;
  /** Attempt on this provider, from 1. */
  attempt?: number;
  /** Providers that already failed for this call. */
  fallbackFrom?: string[];
  prompt?: Prompt;
  options?: { seed?: number; maxTokens?: number; temperature?: number; topP?: number; count?: number };
  baseUrl?: string;
  /** Polling a job accepted earlier (after a restart), not a new request. */
  resumed?: boolean;
}

/** One provider attempt, as the runner reports it. Every method is safe to call after the span ended. */
export interface AttemptSpan {
  succeeded(result: GenerationResult): void;
  failed(error: ProviderError): void;
  /** The runner will try this provider again after `delayMs`: an event, then the span ends (the wait is not the attempt's). */
  retrying(delayMs: number): void;
  /** A status poll of the accepted job answered. */
  polled(state: string, progress?: number): void;
  pollFailed(error: ProviderError): void;
  /** Ends the span with the outcome of `run` (a long job's polling): success or the error it rejects with. */
  settle<T extends { result: GenerationResult }>(run: Promise<T>): Promise<T>;
  end(): void;
}

/** The implementation ./sdk.ts provides once loaded. */
export interface TracingImpl {
  readonly captureContent: boolean;
  serverSpan<T>(start: ServerSpanStart, run: () => Promise<T>, outcome: (result: T) => SpanOutcome, thrown: (error: unknown) => SpanOutcome): Promise<T>;
  attempt(start: AttemptStart): AttemptSpan;
  withJob<T>(jobId: string, run: () => T): T;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  logger: Logger;
  serviceVersion: string;
}

const NO_SPAN: AttemptSpan = {
  succeeded: () => undefined,
  failed: () => undefined,
  retrying: () => undefined,
  polled: () => undefined,
  pollFailed: () => undefined,
  settle: (run) => run,
  end: () => undefined,
};

let loading: Promise<boolean> | undefined;
let impl: TracingImpl | undefined;
let stopping: Promise<void> | undefined;
let warnedUnknown = false;

/**
 * Loads the SDK when the environment configures tracing (once per process); resolves true when
 * tracing is on. A failure to load or set it up is logged and leaves tracing off: it never
 * stops the server. OTEL_TRACES_EXPORTER names this server has no exporter for are warned about
 * here, once per process, whether or not a known name loads the SDK.
 */
export function startTracing(env: Env, opts: TracingOptions): Promise<boolean> {
  if (!warnedUnknown && !tracingOff(env)) {
    warnedUnknown = true;
    for (const name of new Set(tracesExporters(env))) {
      if (!KNOWN_EXPORTERS.includes(name)) opts.logger.warn({ exporter: name }, 'OTEL_TRACES_EXPORTER names an exporter this server does not have (it has otlp and console); ignored');
    }
  }
  if (!tracingConfigured(env)) return Promise.resolve(false);
  loading ??= import('./sdk.js')
    .then((sdk) => sdk.startSdk(env, opts))
    .then(
      (loaded) => {
        impl = loaded;
        return true;
      },
      (err: unknown) => {
        opts.logger.warn({ err: (err as Error).message }, 'OpenTelemetry could not be started; tracing is off');
        return false;
      },
    );
  return loading;
}

/** True once `startTracing` found tracing configured (the SDK may still be loading). */
export function tracingRequested(): boolean {
  return loading !== undefined;
}

/** Settles once tracing is set up (true) or known to be off (false). */
export function tracingReady(): Promise<boolean> {
  return loading ?? Promise.resolve(false);
}

/** Whether prompt text and results may go into spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). */
export function capturesContent(): boolean {
  return impl?.captureContent ?? false;
}

/** Runs `run` in a server span (a no-op wrapper when tracing is off). */
export function inServerSpan<T>(start: ServerSpanStart, run: () => Promise<T>, outcome: (result: T) => SpanOutcome, thrown: (error: unknown) => SpanOutcome): Promise<T> {
  return impl ? impl.serverSpan(start, run, outcome, thrown) : run();
}

/** Opens the span of one provider attempt, a child of the active span (the tool call's). */
export function attemptSpan(start: AttemptStart): AttemptSpan {
  return impl ? impl.attempt(start) : NO_SPAN;
}

/** Runs `run` with `jobId` known to the attempt spans opened inside it. */
export function withJob<T>(jobId: string, run: () => T): T {
  return impl ? impl.withJob(jobId, run) : run();
}

/**
 * Ends tracing: exports the spans still queued and stops the exporter. Waits `timeoutMs` at most,
 * so a collector that is down does not hold up the process's exit. Idempotent.
 */
export function shutdownTracing(timeoutMs = 3_000): Promise<void> {
  if (!loading) return Promise.resolve();
  stopping ??= loading.then(async () => {
    const current = impl;
    if (!current) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      current.shutdown().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  });
  return stopping;
}
