/**
 * A fal job: one or more queue requests for one tool call, as a LongRunningService the runner
 * drives (start, poll, cancel) and the job layer persists. Each capability file only maps its
 * options to fal inputs (`PreparedJob`); submitting, polling, progress, results and cancel are here.
 *
 * The operation is plain JSON with a version (`v`): the endpoint and request ids are all it needs,
 * so a job stored before a SIGKILL is polled again after the restart and never submitted twice.
 * Endpoints that make one output per request (videos, music, speech, images without `num_images`)
 * get `count` requests; they run side by side at fal and the job is done when all are.
 */
import type {
  AdapterEnv,
  CallContext,
  Capability,
  GeneratedArtifact,
  GenerationResult,
  LongRunningService,
  Operation,
  OperationStatus,
  Prompt,
  QuickService,
} from '../base.js';
import { ProviderError, toProviderError } from '../errors.js';
import { sleep } from '../../util/sleep.js';
import { jobFailure } from './errors.js';
import { PROVIDER_ID } from './models.js';
import { filesIn } from './outputs.js';
import type { FalQueue, QueueRequest, QueueStatus, RequestLog } from './queue.js';

export type MediaCapability = Exclude<Capability, 'text'>;

export interface FalDeps {
  env: AdapterEnv;
  queue: FalQueue;
}

/** What a capability file hands over: the endpoint and one input per queue request. */
export interface PreparedJob {
  endpoint: string;
  inputs: Record<string, unknown>[];
  /** Outputs wanted in all (several per request when the endpoint has `num_images`). */
  count: number;
  warnings: string[];
  durationSeconds?: number;
  audioMimeType?: string;
}

/** What we keep about a running fal job. */
interface FalJob {
  v: 1;
  capability: MediaCapability;
  endpoint: string;
  requests: QueueRequest[];
  count: number;
  warnings: string[];
  durationSeconds?: number;
  audioMimeType?: string;
  startedAt: number;
}

export type Prepare<O> = (prompt: Prompt, options: O, ctx: CallContext) => Promise<PreparedJob>;

/** Longest message a progress line quotes from a model's log. */
const LOG_LINE_CHARS = 200;

export function falJobService<O>(deps: FalDeps, capability: MediaCapability, prepare: Prepare<O>, pollIntervalMs: number): LongRunningService<O> {
  return {
    pollIntervalMs,

    async start(prompt: Prompt, options: O, ctx: CallContext): Promise<{ operation: Operation }> {
      const job = await prepare(prompt, options, ctx);
      const requests: QueueRequest[] = [];
      const warnings = [...job.warnings];
      for (const [i, input] of job.inputs.entries()) {
        try {
          const accepted = await deps.queue.submit(job.endpoint, input, ctx);
          requests.push({ endpoint: accepted.endpoint, id: accepted.id, ...urls(accepted) });
        } catch (err) {
          // The first failure is the call's; after one was accepted, keep what is paid for (the runner must not start again).
          if (i === 0) throw err;
          const error = toProviderError(err, PROVIDER_ID);
          if (error.code === 'cancelled' || ctx.signal.aborted) {
            await cancelAll(deps, requests, ctx).catch(() => undefined);
            throw error;
          }
          warnings.push(`fal accepted ${requests.length} of ${job.inputs.length} requests; the next was refused: ${error.message}`);
          break;
        }
      }
      const stored: FalJob = {
        v: 1,
        capability,
        endpoint: job.endpoint,
        requests,
        // A fan-out cut short makes one output per accepted request.
        count: requests.length < job.inputs.length ? requests.length : job.count,
        warnings,
        ...(job.durationSeconds !== undefined ? { durationSeconds: job.durationSeconds } : {}),
        ...(job.audioMimeType ? { audioMimeType: job.audioMimeType } : {}),
        startedAt: Date.now(),
      };
      ctx.logger.debug({ provider: PROVIDER_ID, endpoint: job.endpoint, requests: requests.map((r) => r.id) }, 'fal job queued');
      return { operation: toOperation(stored) };
    },

    async status(operation: Operation, ctx: CallContext): Promise<OperationStatus> {
      const job = asJob(operation, capability);
      const total = job.requests.length;
      const completed: { req: QueueRequest; status: Extract<QueueStatus, { status: 'COMPLETED' }> }[] = [];
      // In order, stopping at the first one still going: it says where the job stands.
      for (const [i, req] of job.requests.entries()) {
        const status = await deps.queue.status(req, ctx);
        if (status.status === 'OTHER') {
          if (/^(FAILED|ERROR)$/i.test(status.name)) return jobFailure(status.error ?? failed(`fal request ${req.id} ended ${status.name}.`));
          if (/^CANCEL+ED$/i.test(status.name)) return { state: 'failed', code: 'cancelled', message: `fal request ${req.id} was cancelled at fal.` };
        }
        if (status.status !== 'COMPLETED') return pending(status, i, total);
        completed.push({ req, status });
      }
      return finished(deps, job, completed, ctx);
    },

    async cancel(operation: Operation, ctx: CallContext): Promise<boolean> {
      const job = asJob(operation, capability);
      return cancelAll(deps, job.requests, ctx);
    },
  };
}

/**
 * The same job for a capability whose service must be quick (`ProviderAdapter.tts` is a
 * QuickService): submits, then polls here as the runner would, and cancels at fal when the
 * call is cancelled or runs out of time. Once fal accepted the job, every error is final
 * (`retryable: false`), so the runner never submits it a second time.
 */
export function asQuick<O>(service: LongRunningService<O>, maxIntervalMs = 3000): QuickService<O> {
  return {
    async generate(prompt: Prompt, options: O, ctx: CallContext): Promise<GenerationResult> {
      const { operation } = await service.start(prompt, options, ctx);
      const stop = async () => {
        const left = Math.max(1000, Math.min(10_000, ctx.deadline - Date.now()));
        await service.cancel(operation, { ...ctx, signal: AbortSignal.timeout(left), deadline: Date.now() + left }).catch((e: unknown) => {
          ctx.logger.warn({ provider: PROVIDER_ID, err: toProviderError(e).message }, 'could not cancel the fal request');
        });
      };
      let interval = 250;
      let failures = 0;
      for (;;) {
        const left = ctx.deadline - Date.now();
        if (left <= 0) {
          await stop();
          throw new ProviderError({ code: 'timeout', providerId: PROVIDER_ID, retryable: false, message: 'The fal job did not finish before its deadline; it was cancelled at fal.' });
        }
        try {
          await sleep(Math.min(interval, left), ctx.signal);
        } catch {
          await stop();
          throw new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'The call was cancelled; the fal request was cancelled too.' });
        }
        let status: OperationStatus;
        try {
          status = await service.status(operation, ctx);
          failures = 0;
        } catch (err) {
          if (ctx.signal.aborted) continue;
          const error = toProviderError(err, PROVIDER_ID);
          ctx.logger.warn({ provider: PROVIDER_ID, code: error.code, err: error.message }, 'fal status poll failed; polling again');
          interval = Math.max(interval, Math.min(maxIntervalMs * 3, 500 * 2 ** ++failures, error.retryAfterMs ?? 0));
          continue;
        }
        if (status.state === 'done') return status.result;
        if (status.state === 'failed') throw new ProviderError({ code: status.code, providerId: PROVIDER_ID, retryable: false, message: status.message });
        ctx.progress({ fraction: status.progress, message: status.message });
        interval = Math.min(Math.round(interval * 1.5), maxIntervalMs);
      }
    },
  };
}

function pending(status: QueueStatus, index: number, total: number): OperationStatus {
  const of = total > 1 ? ` (request ${index + 1} of ${total})` : '';
  const fraction = total > 1 ? { progress: index / total } : {};
  if (status.status === 'IN_QUEUE') {
    return { state: 'pending', ...fraction, message: `fal: in queue${status.position !== undefined ? `, position ${status.position}` : ''}${of}` };
  }
  if (status.status === 'IN_PROGRESS') {
    const line = lastLine(status.logs);
    return { state: 'pending', ...fraction, message: `fal: running${line ? `: ${line}` : ''}${of}` };
  }
  return { state: 'pending', ...fraction, message: `fal: ${status.status === 'OTHER' ? status.name.toLowerCase() : 'waiting'}${of}` };
}

/** The last non-empty log line, on one line and cut to a readable length. */
function lastLine(logs: RequestLog[]): string | undefined {
  for (let i = logs.length - 1; i >= 0; i--) {
    const text = logs[i]!.message.replace(/\s+/g, ' ').trim();
    if (text) return text.length > LOG_LINE_CHARS ? `${text.slice(0, LOG_LINE_CHARS)}…` : text;
  }
  return undefined;
}

async function finished(
  deps: FalDeps,
  job: FalJob,
  completed: { req: QueueRequest; status: Extract<QueueStatus, { status: 'COMPLETED' }> }[],
  ctx: CallContext,
): Promise<OperationStatus> {
  const artifacts: GeneratedArtifact[] = [];
  const warnings = [...job.warnings];
  const failures: ProviderError[] = [];
  const raw: unknown[] = [];
  const seeds: number[] = [];
  let flagged = 0;
  let skipped = 0;
  for (const { req, status } of completed) {
    if (status.error) {
      failures.push(status.error);
      continue;
    }
    const result = await deps.queue.result(req, ctx);
    if (result.kind === 'pending') return { state: 'pending', message: 'fal: finishing' };
    if (result.kind === 'failed') {
      failures.push(result.error);
      continue;
    }
    raw.push(result.body);
    const found = filesIn(result.body, job.capability, { audioMimeType: job.audioMimeType, durationSeconds: job.durationSeconds });
    skipped += found.skipped;
    artifacts.push(...found.artifacts);
    const seed = (result.body as { seed?: unknown } | null)?.seed;
    if (typeof seed === 'number') seeds.push(seed);
    const nsfw = (result.body as { has_nsfw_concepts?: unknown } | null)?.has_nsfw_concepts;
    if (Array.isArray(nsfw)) flagged += nsfw.filter((x) => x === true).length;
  }
  if (!artifacts.length) {
    if (failures.length) return jobFailure(failures[0]!);
    return { state: 'failed', code: 'internal', message: `The fal job on ${job.endpoint} finished without any ${job.capability === 'image' ? 'image' : job.capability === 'video' ? 'video' : 'audio'} in its output.` };
  }
  for (const f of failures) warnings.push(`One fal request failed: ${f.message}`);
  if (skipped) warnings.push(`${skipped} output file${skipped === 1 ? '' : 's'} had no usable URL and ${skipped === 1 ? 'was' : 'were'} skipped.`);
  if (flagged) warnings.push(`fal's safety checker flagged ${flagged} image${flagged === 1 ? '' : 's'} as NSFW (flagged images come back blacked out).`);
  if (artifacts.length < job.count && !failures.length) warnings.push(`fal returned ${artifacts.length} of ${job.count} requested outputs.`);
  ctx.logger.debug({ provider: PROVIDER_ID, endpoint: job.endpoint, artifacts: artifacts.length }, 'fal job done');
  return {
    state: 'done',
    result: {
      model: job.endpoint,
      artifacts: artifacts.slice(0, Math.max(job.count, 1)),
      requestId: job.requests[0]!.id,
      ...(warnings.length ? { warnings } : {}),
      providerMetadata: { endpoint: job.endpoint, requestIds: job.requests.map((r) => r.id), ...(seeds.length ? { seeds } : {}) },
      raw,
    },
  };
}

async function cancelAll(deps: FalDeps, requests: QueueRequest[], ctx: CallContext): Promise<boolean> {
  let told = false;
  let lastError: unknown;
  for (const req of requests) {
    try {
      const outcome = await deps.queue.cancel(req, ctx);
      if (outcome === 'requested') told = true;
      ctx.logger.info({ provider: PROVIDER_ID, endpoint: req.endpoint, request: req.id, outcome }, 'fal cancel');
    } catch (err) {
      lastError = err;
    }
  }
  if (!told && lastError) throw lastError;
  return told;
}

function failed(message: string): ProviderError {
  return new ProviderError({ code: 'internal', providerId: PROVIDER_ID, retryable: false, message });
}

function urls(req: QueueRequest): Partial<QueueRequest> {
  return {
    ...(req.status_url ? { status_url: req.status_url } : {}),
    ...(req.response_url ? { response_url: req.response_url } : {}),
    ...(req.cancel_url ? { cancel_url: req.cancel_url } : {}),
  };
}

function toOperation(job: FalJob): Operation {
  return {
    v: job.v,
    capability: job.capability,
    endpoint: job.endpoint,
    requests: job.requests.map((r) => ({ endpoint: r.endpoint, id: r.id, ...urls(r) })),
    count: job.count,
    warnings: job.warnings,
    ...(job.durationSeconds !== undefined ? { durationSeconds: job.durationSeconds } : {}),
    ...(job.audioMimeType ? { audioMimeType: job.audioMimeType } : {}),
    startedAt: job.startedAt,
  };
}

/** Reads an operation this adapter wrote (v1; there is no older shape yet). */
function asJob(operation: Operation, capability: MediaCapability): FalJob {
  const { endpoint, requests, count, warnings, durationSeconds, audioMimeType, startedAt } = operation;
  const list = Array.isArray(requests) ? requests : [];
  const parsed: QueueRequest[] = list.flatMap((r): QueueRequest[] => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) return [];
    const id = r.id;
    const ep = typeof r.endpoint === 'string' ? r.endpoint : endpoint;
    if (typeof id !== 'string' || typeof ep !== 'string') return [];
    const str = (k: string) => (typeof r[k] === 'string' ? { [k]: r[k] as string } : {});
    return [{ endpoint: ep, id, ...str('status_url'), ...str('response_url'), ...str('cancel_url') }];
  });
  if (typeof endpoint !== 'string' || !parsed.length) {
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: 'Not a fal operation (endpoint and requests expected).' });
  }
  return {
    v: 1,
    capability,
    endpoint,
    requests: parsed,
    count: typeof count === 'number' ? count : parsed.length,
    warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [],
    ...(typeof durationSeconds === 'number' ? { durationSeconds } : {}),
    ...(typeof audioMimeType === 'string' ? { audioMimeType } : {}),
    startedAt: typeof startedAt === 'number' ? startedAt : Date.now(),
  };
}
