/**
 * The prediction lifecycle every service shares. A prediction goes starting → processing →
 * succeeded | failed | canceled (| aborted, when a deadline passed before it ran).
 *
 * - Long jobs (image, video, audio): `start` creates the predictions — without a sync wait, so
 *   the id is persisted at once and a crash after that loses nothing — and returns a versioned
 *   Operation (`{v: 1, predictions: [ids], …}`); `status` GETs them; `cancel` POSTs their cancel.
 *   The runner polls; a prediction that failed is a value (`failed`, its error text kept).
 * - Quick calls (text, speech): `runToCompletion` creates with `Prefer: wait` (sync mode, up to
 *   60 s) and, if the answer is still running, polls here until it ends. Once a prediction
 *   exists nothing thrown is retryable — a retry would be a second, paid prediction — and a
 *   cancel or the deadline cancels it at Replicate.
 *
 * Outputs are URLs (or arrays, or objects holding them) — handed to the artifact store as URL
 * sources, which it downloads — or data: URIs; language models stream tokens as an array of
 * strings, joined here.
 */
import { z } from 'zod';
import type { CallContext, Capability, GeneratedArtifact, GenerationResult, JsonObject, Operation, OperationStatus, Usage } from '../base.js';
import { ProviderError, toProviderError } from '../errors.js';
import { decodeDataUri, mimeTypeFromName, sniffMimeType, imageSize } from '../../util/media.js';
import { sleep } from '../../util/sleep.js';
import type { ReplicateClient } from './client.js';
import { predictionFailure } from './errors.js';
import { PROVIDER_ID, type ModelChoice } from './models.js';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

/** The fields of a prediction we read. Loose: the rest passes through untouched. */
export const PredictionSchema = z
  .object({
    id: z.string().min(1),
    status: z.string(),
    model: z.string().optional(),
    version: z.string().nullish(),
    output: z.unknown().optional(),
    error: z.unknown().optional(),
    logs: z.string().nullish(),
    metrics: z
      .object({
        predict_time: z.number().optional(),
        total_time: z.number().optional(),
        input_token_count: z.number().optional(),
        output_token_count: z.number().optional(),
      })
      .loose()
      .nullish(),
    created_at: z.string().nullish(),
  })
  .loose();

export type Prediction = z.infer<typeof PredictionSchema>;

/**
 * Validates a prediction. A malformed answer to a poll is worth polling again; a malformed
 * answer to a create is final — the create was accepted (2xx), so trying it again would pay twice.
 */
export function parsePrediction(json: unknown, answerTo: 'create' | 'poll' = 'poll'): Prediction {
  const parsed = PredictionSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new ProviderError({
      code: 'unavailable',
      providerId: PROVIDER_ID,
      retryable: answerTo === 'poll',
      message: `Replicate answered with a malformed prediction (${issues})${answerTo === 'create' ? '; it accepted the create, so the prediction may be running and was not started again' : ''}.`,
    });
  }
  return parsed.data;
}

export function isTerminal(p: Prediction): boolean {
  return TERMINAL.has(p.status);
}

/** What we keep of a started job: enough to poll it from any process, after any restart. */
export interface ReplicateJob {
  v: 1;
  capability: Capability;
  /** The model id as asked for (`owner/name`, `owner/name:version`, or a version). */
  model: string;
  /** The version run, when one was named or pinned. */
  version?: string;
  /** Prediction ids, in output order. */
  predictions: string[];
  /** What the files are when their URLs do not say. */
  mimeType: string;
  /** Outputs asked for, over all predictions. */
  count: number;
  durationSeconds?: number;
  startedAt: number;
  warnings: string[];
}

/**
 * Creates one prediction per input, in order. A failure on the first throws (nothing was
 * created); a failure on a later one keeps the ones already created — they are paid for — with a
 * warning. A cancel part-way cancels the ones created before it is thrown.
 */
export async function startPredictions(
  client: ReplicateClient,
  choice: ModelChoice,
  inputs: Record<string, unknown>[],
  ctx: CallContext,
  job: Omit<ReplicateJob, 'v' | 'predictions' | 'startedAt' | 'model' | 'version'>,
): Promise<{ operation: Operation }> {
  const ids: string[] = [];
  const warnings = [...job.warnings];
  for (const [i, input] of inputs.entries()) {
    try {
      const p = parsePrediction(await client.createPrediction(choice.ref, input, ctx), 'create');
      ids.push(p.id);
    } catch (err) {
      const error = toProviderError(err, PROVIDER_ID);
      if (i === 0) throw error;
      if (error.code === 'cancelled' || ctx.signal.aborted) {
        await cancelAll(client, ids, ctx);
        throw error;
      }
      warnings.push(`Started ${i} of ${inputs.length} predictions; the next one failed: ${error.message}`);
      break;
    }
  }
  const started: ReplicateJob = {
    v: 1,
    model: choice.model,
    ...(choice.ref.kind === 'version' ? { version: choice.ref.version } : {}),
    predictions: ids,
    ...job,
    warnings,
    startedAt: Date.now(),
  };
  ctx.logger.debug({ provider: PROVIDER_ID, model: choice.model, predictions: ids }, 'replicate predictions created');
  return { operation: { ...started } as JsonObject };
}

/** Where a started job stands: pending until every prediction has ended. */
export async function jobStatus(client: ReplicateClient, operation: Operation, ctx: CallContext): Promise<OperationStatus> {
  const job = asJob(operation);
  const predictions: Prediction[] = [];
  for (const id of job.predictions) predictions.push(parsePrediction(await client.getPrediction(id, ctx)));

  const running = predictions.filter((p) => !isTerminal(p));
  if (running.length) {
    const fractions = predictions.map((p) => (isTerminal(p) ? 1 : logProgress(p.logs)));
    const known = fractions.every((f) => f !== undefined);
    const seconds = Math.round((Date.now() - job.startedAt) / 1000);
    const line = lastLogLine(running[0]!.logs);
    return {
      state: 'pending',
      ...(known ? { progress: fractions.reduce<number>((a, f) => a + f!, 0) / fractions.length } : {}),
      message: `replicate: ${job.model} ${running[0]!.status}${predictions.length > 1 ? ` (${predictions.length - running.length} of ${predictions.length} done)` : ''} after ${seconds} s${line ? ` — ${line}` : ''}`,
    };
  }

  const succeeded = predictions.filter((p) => p.status === 'succeeded');
  if (!succeeded.length) {
    const failure = predictionFailure(predictions[0]!, job.model);
    return { state: 'failed', code: failure.code, message: failure.message };
  }
  const warnings = [...job.warnings];
  for (const p of predictions) if (p.status !== 'succeeded') warnings.push(predictionFailure(p, job.model).message);
  const artifacts = succeeded.flatMap((p) => outputFiles(p, job.mimeType, job.durationSeconds));
  if (!artifacts.length) {
    return { state: 'failed', code: 'internal', message: `The Replicate prediction ${succeeded[0]!.id} (${job.model}) succeeded without an output file.` };
  }
  if (artifacts.length < job.count) warnings.push(`Replicate returned ${artifacts.length} of ${job.count} requested outputs.`);
  const result: GenerationResult = {
    model: job.model,
    artifacts,
    requestId: job.predictions[0],
    ...(warnings.length ? { warnings } : {}),
    providerMetadata: predictionMetadata(predictions, job.version),
  };
  ctx.logger.info({ provider: PROVIDER_ID, model: job.model, predictions: job.predictions, predictTimeSeconds: result.providerMetadata!.predictTimeSeconds }, 'replicate predictions succeeded');
  return { state: 'done', result };
}

/** Cancels every prediction of the job that has not ended. True once Replicate was told. */
export async function cancelJob(client: ReplicateClient, operation: Operation, ctx: CallContext): Promise<boolean> {
  const job = asJob(operation);
  await cancelAll(client, job.predictions, ctx, true);
  ctx.logger.info({ provider: PROVIDER_ID, model: job.model, predictions: job.predictions }, 'replicate predictions cancelled');
  return true;
}

async function cancelAll(client: ReplicateClient, ids: string[], ctx: CallContext, strict = false): Promise<void> {
  // Our own signal: the caller's has often just been aborted — that is why we are cancelling.
  const cancelCtx: CallContext = { ...ctx, signal: AbortSignal.timeout(15_000), deadline: Date.now() + 15_000 };
  const errors: ProviderError[] = [];
  for (const id of ids) {
    await client.cancelPrediction(id, cancelCtx).catch((err: unknown) => {
      const error = toProviderError(err, PROVIDER_ID);
      ctx.logger.warn({ provider: PROVIDER_ID, prediction: id, err: error.message }, 'replicate cancel failed');
      errors.push(error);
    });
  }
  if (strict && errors.length === ids.length && errors[0]) throw errors[0];
}

/**
 * A quick call: create with a sync wait, then poll until the prediction ends. Everything thrown
 * after the create is final for the runner (not retryable), and a cancel or the deadline
 * cancels the prediction at Replicate before the error is thrown.
 */
export async function runToCompletion(client: ReplicateClient, choice: ModelChoice, input: Record<string, unknown>, ctx: CallContext, firstPollMs = 500): Promise<Prediction> {
  // Keep 5 s between the end of Replicate's wait and our deadline, so the answer is never cut off in flight.
  const waitSeconds = Math.floor((ctx.deadline - Date.now() - 5_000) / 1000);
  let p = parsePrediction(await client.createPrediction(choice.ref, input, ctx, waitSeconds >= 1 ? waitSeconds : undefined), 'create');
  const started = Date.now();
  let interval = firstPollMs;
  let failures = 0;
  try {
    while (!isTerminal(p)) {
      const left = ctx.deadline - Date.now();
      if (left <= 0) throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, message: `The Replicate prediction ${p.id} did not finish before the call's deadline; it was cancelled.` });
      await sleep(Math.min(interval, left), ctx.signal);
      try {
        p = parsePrediction(await client.getPrediction(p.id, ctx));
        failures = 0;
        if (!isTerminal(p)) {
          const fraction = logProgress(p.logs);
          const line = lastLogLine(p.logs);
          ctx.progress({ ...(fraction !== undefined ? { fraction } : {}), message: `replicate: ${choice.model} ${p.status} after ${Math.round((Date.now() - started) / 1000)} s${line ? ` — ${line}` : ''}` });
        }
        interval = Math.min(Math.round(interval * 1.5), 5_000);
      } catch (err) {
        const error = toProviderError(err, PROVIDER_ID);
        if (error.code === 'cancelled' || error.code === 'timeout' || ctx.signal.aborted) throw error;
        // A failed poll is polled again (with backoff): the prediction is paid for and still running.
        failures++;
        ctx.logger.warn({ provider: PROVIDER_ID, prediction: p.id, code: error.code, failures, err: error.message }, 'replicate poll failed; polling again');
        interval = Math.max(interval, Math.min(10_000, error.retryAfterMs ?? firstPollMs * 2 ** failures));
      }
    }
  } catch (err) {
    const error = toProviderError(err, PROVIDER_ID);
    await cancelAll(client, [p.id], ctx);
    const code = ctx.signal.aborted ? 'cancelled' : error.code;
    throw new ProviderError({ code, providerId: PROVIDER_ID, status: error.status, retryable: false, requestId: p.id, message: error.message, cause: err });
  }
  if (p.status !== 'succeeded') {
    const failure = predictionFailure(p, choice.model);
    throw new ProviderError({ code: failure.code, providerId: PROVIDER_ID, retryable: false, requestId: p.id, message: failure.message });
  }
  return p;
}

/** The files among a prediction's output: every http(s) URL or data: URI in it, in order. */
export function outputFiles(p: Prediction, fallbackMime: string, durationSeconds?: number): GeneratedArtifact[] {
  const out: GeneratedArtifact[] = [];
  const duration = durationSeconds !== undefined ? { durationSeconds } : {};
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (/^https?:\/\//i.test(value)) {
        out.push({ source: { kind: 'url', url: value }, sourceUri: value, mimeType: mimeTypeFromName(value) ?? fallbackMime, ...duration });
      } else if (value.startsWith('data:')) {
        const decoded = decodeDataUri(value);
        if (!decoded) return;
        const mimeType = decoded.mimeType && decoded.mimeType !== 'application/octet-stream' ? decoded.mimeType : (sniffMimeType(decoded.data) ?? fallbackMime);
        out.push({ source: { kind: 'bytes', data: decoded.data }, mimeType, ...(mimeType.startsWith('image/') ? imageSize(decoded.data) : {}), ...duration });
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(p.output);
  return out;
}

/** A language model's output: its streamed tokens (an array of strings) joined, or a plain string. */
export function outputText(p: Prediction): string {
  const output = p.output;
  if (typeof output === 'string') return output;
  if (Array.isArray(output) && output.every((t) => typeof t === 'string')) return output.join('');
  throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, requestId: p.id, message: `The Replicate prediction ${p.id} succeeded without text output.` });
}

export function usageOf(p: Prediction): Usage | undefined {
  const m = p.metrics;
  if (!m || (m.input_token_count === undefined && m.output_token_count === undefined)) return undefined;
  return { ...(m.input_token_count !== undefined ? { inputTokens: m.input_token_count } : {}), ...(m.output_token_count !== undefined ? { outputTokens: m.output_token_count } : {}) };
}

/** Telemetry Replicate reports: `metrics.predict_time` (the billed compute seconds), summed over the predictions. */
export function predictionMetadata(predictions: Prediction[], version?: string): Record<string, unknown> {
  const times = predictions.map((p) => p.metrics?.predict_time).filter((t): t is number => typeof t === 'number');
  const totals = predictions.map((p) => p.metrics?.total_time).filter((t): t is number => typeof t === 'number');
  return {
    predictionIds: predictions.map((p) => p.id),
    ...(version ?? predictions[0]?.version ? { version: version ?? predictions[0]?.version } : {}),
    ...(times.length ? { predictTimeSeconds: round(times.reduce((a, t) => a + t, 0)) } : {}),
    ...(totals.length ? { totalTimeSeconds: round(totals.reduce((a, t) => a + t, 0)) } : {}),
    metrics: predictions.map((p) => p.metrics ?? {}),
  };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** The last non-empty line of the logs, for progress messages. */
export function lastLogLine(logs: string | null | undefined): string | undefined {
  const line = logs?.split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean).at(-1);
  return line ? (line.length > 160 ? `${line.slice(0, 160)}…` : line) : undefined;
}

/** A percentage in the latest log line that has one ("45%|████ | 9/20", "progress: 45%") as 0..1. */
export function logProgress(logs: string | null | undefined): number | undefined {
  const lines = logs?.split(/\r?\n|\r/) ?? [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(lines[i]!);
    if (m) return Math.min(1, Math.max(0, Number(m[1]) / 100));
  }
  return undefined;
}

function asJob(operation: Operation): ReplicateJob {
  const { v, capability, model, version, predictions, mimeType, count, durationSeconds, startedAt, warnings } = operation;
  if (v !== 1 || typeof model !== 'string' || !Array.isArray(predictions) || !predictions.length || !predictions.every((id) => typeof id === 'string')) {
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: 'Not a replicate operation (v 1 with model and prediction ids expected).' });
  }
  return {
    v: 1,
    capability: (typeof capability === 'string' ? capability : 'image') as Capability,
    model,
    ...(typeof version === 'string' ? { version } : {}),
    predictions: predictions as string[],
    mimeType: typeof mimeType === 'string' ? mimeType : 'application/octet-stream',
    count: typeof count === 'number' ? count : predictions.length,
    ...(typeof durationSeconds === 'number' ? { durationSeconds } : {}),
    startedAt: typeof startedAt === 'number' ? startedAt : Date.now(),
    warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}
