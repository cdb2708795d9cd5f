/**
 * The OpenTelemetry SDK, set up from the standard OTEL_* variables. Loaded only by
 * tracing.ts's `startTracing`, and only when tracing is configured: nothing here (nor any
 * @opentelemetry package) is on the start-up path otherwise.
 *
 * What the SDK reads itself: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT and
 * _COMPRESSION (the exporters), OTEL_BSP_* (the batch processor), OTEL_TRACES_SAMPLER[_ARG] and
 * OTEL_SPAN_* limits (the provider), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env
 * detector). What is read here: OTEL_TRACES_EXPORTER (otlp, console), OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL
 * (http/protobuf, the default, or http/json), OTEL_LOG_LEVEL, and
 * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT.
 *
 * Nothing goes to stdout (stdio mode's protocol stream): the console exporter writes JSON lines
 * to stderr, and the SDK's own diagnostics go to our logger (stderr). An exporter that fails
 * (collector down) is logged at most once a minute, scrubbed of secrets and of the
 * OTEL_EXPORTER_OTLP_HEADERS values (which may hold a token); the tool call never notices.
 */
import { context, createContextKey, diag, DiagLogLevel, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes as OtelAttributes, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMicroseconds, setGlobalErrorHandler, type ExportResult } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Capability, GenerationResult } from '../providers/base.js';
import { toProviderError, type ProviderError } from '../providers/errors.js';
import { scrubSecrets, secretValues, type Logger } from '../util/logger.js';
import * as A from './attributes.js';
import { tracesExporters, type AttemptSpan, type AttemptStart, type Attributes, type SpanOutcome, type TracingImpl, type TracingOptions } from './tracing.js';

type Env = Record<string, string | undefined>;

/** Each capability's `gen_ai.output.type`: the conventions' well-known values where one applies (text, image, speech), ours otherwise. */
const OUTPUT_TYPE: Record<Capability, string> = { text: 'text', image: 'image', tts: 'speech', audio: 'audio', video: 'video' };
/** `gen_ai.provider.name` where the conventions name the provider; our id otherwise. */
const PROVIDER_NAME: Record<string, string> = { 'google-vertex': 'gcp.vertex_ai' };
/** A diagnostic or export failure is logged once, then at most this often. */
const LOG_EVERY_MS = 60_000;

const JOB_KEY = createContextKey('mcp-providers job id');

export async function startSdk(env: Env, opts: TracingOptions): Promise<TracingImpl> {
  const scrub = scrubberFor(env);
  const warn = rateLimited(opts.logger, scrub);
  diag.setLogger(
    {
      error: (message, ...args) => warn('OpenTelemetry error', message, args),
      warn: (message, ...args) => warn('OpenTelemetry warning', message, args),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: diagLevel(env.OTEL_LOG_LEVEL), suppressOverrideMessage: true },
  );
  // Export failures reach here (not the tool call): the batch processor hands them to the global handler.
  setGlobalErrorHandler((err) => warn('OpenTelemetry export failed', err instanceof Error ? err.message : String(err), []));

  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'mcp-providers', [ATTR_SERVICE_VERSION]: opts.serviceVersion }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our defaults.
    .merge(detectResources({ detectors: [envDetector] }));
  const exporters = await buildExporters(env, opts.logger);
  const provider = new NodeTracerProvider({ resource, spanProcessors: exporters.map((exporter) => new BatchSpanProcessor(exporter)) });
  // Global tracer provider, the AsyncLocalStorage context manager and the W3C trace-context and baggage propagator.
  provider.register();
  const captureContent = env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === 'true';
  return new SdkTracing(provider, trace.getTracer('mcp-providers', opts.serviceVersion), captureContent, scrub);
}

async function buildExporters(env: Env, logger: Logger): Promise<SpanExporter[]> {
  const names = tracesExporters(env);
  const exporters: SpanExporter[] = [];
  // Names this server has no exporter for were warned about by startTracing.
  for (const name of new Set(names.length ? names : ['otlp'])) {
    if (name === 'otlp') exporters.push(await otlpExporter(env, logger));
    else if (name === 'console') exporters.push(new StderrSpanExporter());
  }
  return exporters;
}

/** The OTLP/HTTP exporter for the configured protocol; each reads its endpoint, headers, timeout and compression from the environment. */
async function otlpExporter(env: Env, logger: Logger): Promise<SpanExporter> {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim().toLowerCase();
  if (protocol === 'http/json') return new (commonJs(await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter)();
  if (protocol !== 'http/protobuf') {
    logger.warn({ protocol }, 'OTLP protocol not supported here (http/protobuf and http/json are); sending http/protobuf');
  }
  return new (commonJs(await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter)();
}

/**
 * A CommonJS package's exports through import(): Node gives them as named exports and as
 * `default`, the esbuild bundle (scripts/build.mjs bundles these packages) as `default` only.
 */
function commonJs<T extends object>(imported: T): T {
  return (imported as { default?: T }).default ?? imported;
}

class SdkTracing implements TracingImpl {
  constructor(
    private readonly provider: NodeTracerProvider,
    private readonly tracer: Tracer,
    readonly captureContent: boolean,
    readonly scrub: (text: string) => string,
  ) {}

  async serverSpan<T>(start: { name: string; attributes: Attributes; carrier: Record<string, unknown> }, run: () => Promise<T>, outcome: (result: T) => SpanOutcome, thrown: (error: unknown) => SpanOutcome): Promise<T> {
    // The caller's trace context from `params._meta` is the parent (MCP semantic conventions).
    const parent = propagation.extract(ROOT_CONTEXT, start.carrier, CARRIER);
    const span = this.tracer.startSpan(start.name, { kind: SpanKind.SERVER, attributes: this.clean(start.attributes) }, parent);
    try {
      const result = await context.with(trace.setSpan(parent, span), run);
      this.finish(span, () => outcome(result));
      return result;
    } catch (err) {
      this.finish(span, () => thrown(err));
      throw err;
    } finally {
      span.end();
    }
  }

  attempt(start: AttemptStart): AttemptSpan {
    const active = context.active();
    const operation = start.capability === 'text' ? 'chat' : 'generate_content';
    const options = start.options ?? {};
    const jobId = active.getValue(JOB_KEY);
    const attributes: Attributes = {
      [A.GEN_AI_OPERATION_NAME]: operation,
      [A.GEN_AI_PROVIDER_NAME]: PROVIDER_NAME[start.providerId] ?? start.providerId,
      [A.PROVIDER_ID]: start.providerId,
      [A.GEN_AI_REQUEST_MODEL]: start.model,
      [A.GEN_AI_OUTPUT_TYPE]: OUTPUT_TYPE[start.capability],
      [A.GEN_AI_REQUEST_SEED]: options.seed,
      [A.GEN_AI_REQUEST_MAX_TOKENS]: options.maxTokens,
      [A.GEN_AI_REQUEST_TEMPERATURE]: options.temperature,
      [A.GEN_AI_REQUEST_TOP_P]: options.topP,
      [A.GEN_AI_REQUEST_CHOICE_COUNT]: options.count !== undefined && options.count !== 1 ? options.count : undefined,
      [A.ATTEMPT]: start.attempt,
      [A.FALLBACK_FROM]: start.fallbackFrom?.length ? start.fallbackFrom : undefined,
      [A.JOB_ID]: typeof jobId === 'string' ? jobId : undefined,
      [A.JOB_RESUMED]: start.resumed || undefined,
      ...serverOf(start.baseUrl),
    };
    if (this.captureContent && start.prompt) {
      attributes[A.GEN_AI_INPUT_MESSAGES] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: start.prompt.text }] }]);
      if (start.prompt.system) attributes[A.GEN_AI_SYSTEM_INSTRUCTIONS] = JSON.stringify([{ type: 'text', content: start.prompt.system }]);
    }
    const span = this.tracer.startSpan(`${operation} ${start.model}`, { kind: SpanKind.CLIENT, attributes: this.clean(attributes) }, active);
    return new Attempt(span, start.model, this);
  }

  withJob<T>(jobId: string, run: () => T): T {
    return context.with(context.active().setValue(JOB_KEY, jobId), run);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  /** Attributes as the SDK takes them: undefined left out, every string scrubbed of secrets. */
  clean(attributes: Attributes): OtelAttributes {
    const out: OtelAttributes = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      out[key] = typeof value === 'string' ? this.scrub(value) : Array.isArray(value) ? value.map((v) => this.scrub(v)) : value;
    }
    return out;
  }

  /** Applies how the span ended; a failure to read the outcome never reaches the call. */
  private finish(span: Span, read: () => SpanOutcome): void {
    let outcome: SpanOutcome;
    try {
      outcome = read();
    } catch {
      return;
    }
    if (outcome.attributes) span.setAttributes(this.clean(outcome.attributes));
    if (outcome.errorType !== undefined) {
      span.setAttribute(A.ERROR_TYPE, outcome.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: this.scrub(outcome.description ?? outcome.errorType) });
    }
  }
}

/** One provider attempt's span (GenAI client inference conventions). */
class Attempt implements AttemptSpan {
  #ended = false;

  constructor(
    private readonly span: Span,
    private readonly model: string,
    private readonly tracing: SdkTracing,
  ) {}

  succeeded(result: GenerationResult): void {
    if (this.#ended) return;
    const usage = result.usage;
    const attributes: Attributes = {
      [A.GEN_AI_RESPONSE_MODEL]: result.model || this.model,
      [A.GEN_AI_RESPONSE_ID]: result.requestId,
      [A.GEN_AI_USAGE_INPUT_TOKENS]: usage?.inputTokens,
      [A.GEN_AI_USAGE_OUTPUT_TOKENS]: usage?.outputTokens,
      [A.COST_USD]: usage?.costUsd,
      [A.ARTIFACTS]: result.artifacts.length,
    };
    if (this.tracing.captureContent && result.text !== undefined) {
      attributes[A.GEN_AI_OUTPUT_MESSAGES] = JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: result.text }], finish_reason: 'stop' }]);
    }
    this.span.setAttributes(this.tracing.clean(attributes));
  }

  failed(error: ProviderError): void {
    if (this.#ended) return;
    this.span.setAttributes(this.tracing.clean({ [A.ERROR_TYPE]: error.code, [A.HTTP_RESPONSE_STATUS_CODE]: error.status }));
    // A provider's message may quote the prompt: only the code and status, unless content capture is on.
    const summary = `${error.code}${error.status ? ` (HTTP ${error.status})` : ''}`;
    const description = this.tracing.captureContent ? `${summary}: ${error.message.slice(0, 500)}` : summary;
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: this.tracing.scrub(description) });
  }

  retrying(delayMs: number): void {
    if (this.#ended) return;
    this.span.addEvent(A.EVENT_RETRY, { [A.RETRY_DELAY_MS]: delayMs });
    this.end();
  }

  polled(state: string, progress?: number): void {
    if (this.#ended) return;
    this.span.addEvent(A.EVENT_POLL, this.tracing.clean({ [A.JOB_STATE]: state, [A.JOB_PROGRESS]: progress }));
  }

  pollFailed(error: ProviderError): void {
    if (this.#ended) return;
    this.span.addEvent(A.EVENT_POLL_FAILED, this.tracing.clean({ [A.ERROR_TYPE]: error.code, [A.HTTP_RESPONSE_STATUS_CODE]: error.status }));
  }

  async settle<T extends { result: GenerationResult }>(run: Promise<T>): Promise<T> {
    try {
      const out = await run;
      this.succeeded(out.result);
      return out;
    } catch (err) {
      this.failed(toProviderError(err));
      throw err;
    } finally {
      this.end();
    }
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.span.end();
  }
}

/** `_meta` as a propagation carrier: string values only. */
const CARRIER: TextMapGetter<Record<string, unknown>> = {
  get: (carrier, key) => (typeof carrier[key] === 'string' ? (carrier[key] as string) : undefined),
  keys: (carrier) => Object.keys(carrier),
};

/** `server.address` and `server.port` of a configured base URL (proxies, emulators); nothing for a provider's default endpoint. */
function serverOf(baseUrl: string | undefined): Attributes {
  if (!baseUrl) return {};
  try {
    const url = new URL(baseUrl);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    return { [A.SERVER_ADDRESS]: url.hostname.replace(/^\[|\]$/g, ''), [A.SERVER_PORT]: port };
  } catch {
    return {};
  }
}

/**
 * Scrubs text of every secret in the environment (as the logger does), of the OTLP header values
 * (OTEL_EXPORTER_OTLP_HEADERS is `key=value,...` and may carry a token under any key), and of
 * credentials in a URL.
 */
export function scrubberFor(env: Env): (text: string) => string {
  const secrets = secretValues(env);
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    for (const pair of (env[name] ?? '').split(',')) {
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      if (pair.includes('=') && value.length >= 4) secrets.push(value, safeDecode(value));
    }
  }
  return (text) => scrubSecrets(text, secrets).replace(/(\/\/)[^/@\s]+@/g, '$1[redacted]@');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Logs through our logger (stderr), scrubbed, each distinct message at most once a minute. */
function rateLimited(logger: Logger, scrub: (text: string) => string): (what: string, message: string, args: unknown[]) => void {
  const last = new Map<string, number>();
  return (what, message, args) => {
    const text = scrub([message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : ''))].filter(Boolean).join(' ').slice(0, 1000));
    const key = `${what}:${text.slice(0, 200)}`;
    const now = Date.now();
    if (now - (last.get(key) ?? -Infinity) < LOG_EVERY_MS) return;
    last.set(key, now);
    logger.warn({ otel: text }, what);
  };
}

function diagLevel(raw: string | undefined): DiagLogLevel {
  switch (raw?.trim().toUpperCase()) {
    case 'NONE':
      return DiagLogLevel.NONE;
    case 'ERROR':
      return DiagLogLevel.ERROR;
    default:
      // INFO and below would be noise on stderr; they are dropped above in any case.
      return DiagLogLevel.WARN;
  }
}

/**
 * OTEL_TRACES_EXPORTER=console: one JSON line per span on stderr. (The SDK's ConsoleSpanExporter
 * writes with console.dir, which is stdout — the protocol stream in stdio mode.)
 */
class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      process.stderr.write(
        `${JSON.stringify({
          traceId,
          spanId,
          parentSpanId: span.parentSpanContext?.spanId,
          name: span.name,
          kind: SpanKind[span.kind],
          startTimeUnixMicros: hrTimeToMicroseconds(span.startTime),
          durationMicros: hrTimeToMicroseconds(span.duration),
          attributes: span.attributes,
          status: span.status,
          events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
        })}\n`,
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
