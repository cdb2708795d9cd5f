/**
 * The runner owns retry, fallback and cooldown — adapters set their SDK's own retries to 0
 * so a failure is counted once, here. It also drives long-running jobs (start, poll, cancel),
 * and there it draws one line: retries and fallback happen only until a provider has
 * accepted a start. After that the job is paid for, so a failure is retried as a poll until
 * the deadline, never as a second start and never on another provider. The same holds for a quick
 * call: once `generate` answered, nothing after it (pricing, tracing) can lead to a retry or a
 * fallback. Before a provider is asked at all, its estimated cost is checked against the call's cap
 * (cost-guard.ts) and then reserved against the daily budget (the job layer's `reserve`): a refusal
 * moves on to the next candidate, or ends the call, with nothing sent.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import {
  isLongRunning,
  type AnyService,
  type CallContext,
  type Capability,
  type GenerationResult,
  type LongRunningService,
  type Operation,
  type OptionsByCapability,
  type Prompt,
  type ProviderTelemetry,
} from '../providers/base.js';
import { ProviderError, toProviderError } from '../providers/errors.js';
import { attemptSpan, type AttemptSpan } from '../telemetry/tracing.js';
import { sleep as defaultSleep } from '../util/sleep.js';
import type { RetryPolicy } from './config.js';
import { costFacts, type CostEstimate, type CostFacts } from './cost.js';
import { costRefusal, unknownCostNote, type BudgetState } from './cost-guard.js';
import type { Candidate, PlanRequest, Registry } from './registry.js';

export interface RunOutcome {
  result: GenerationResult;
  telemetry: ProviderTelemetry;
  /** Provider and model that served the call. */
  providerId: string;
  model: string;
  modelSource?: Candidate['modelSource'];
}

/** A long job the provider accepted: everything needed to poll it again, from any process. */
export interface StartedJob {
  providerId: string;
  model: string;
  operation: Operation;
  /** Epoch ms of the call's start, for latency. */
  startedAt: number;
  /** Provider calls made before and including the accepted start. */
  attempts: number;
  fallbackFrom?: string[];
  warnings?: string[];
  /** What the request asked for, as far as price goes: the finished job is priced from it. */
  costFacts?: CostFacts;
}

export interface RunHooks {
  /**
   * A provider accepted a long-running start. Awaited before the first poll: the job layer
   * persists the operation here, so a crash after this point loses nothing.
   */
  onStarted?(job: StartedJob): Promise<void>;
  /** Asked before every poll; true when the job was cancelled elsewhere (another process, cancel_job). */
  isCancelled?(): Promise<boolean>;
  /**
   * A provider passed the cap and is about to be asked: the job layer checks its estimate against
   * the daily budget and records it (today's spend counts it until the cost is known) in one atomic
   * step, so two calls at once cannot both pass a budget that fits only one. Resolves undefined when
   * the call may go ahead (or there is no budget), or to the budget it would pass, nothing recorded.
   * Called again for each fallback candidate: the estimate that counts is the one being tried now.
   */
  reserve?(admitted: { providerId: string; model: string; estimate: CostEstimate }): Promise<BudgetState | undefined>;
}

type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

interface Health {
  consecutiveFailures: number;
  coolUntil: number;
}

/** Polls grow ×1.5 to this interval at most. */
const MAX_POLL_INTERVAL_MS = 10_000;

export class Runner {
  private readonly health = new Map<string, Health>();
  private readonly limits = new Map<string, LimitFunction>();

  constructor(
    private readonly registry: Registry,
    private readonly policy: RetryPolicy,
    private readonly sleep: Sleep = defaultSleep,
    private readonly random: () => number = Math.random,
  ) {}

  async run<C extends Capability>(
    capability: C,
    prompt: Prompt,
    options: OptionsByCapability[C],
    planRequest: PlanRequest,
    ctx: CallContext,
    hooks: RunHooks = {},
  ): Promise<RunOutcome> {
    const started = Date.now();
    const candidates = this.withoutCooledDown(this.registry.plan(capability, planRequest), planRequest.provider);
    const failures: { id: string; error: ProviderError; attempts: number }[] = [];
    let attempts = 0;
    const facts = costFacts(capability, prompt, options);
    // Providers refused on cost, said in the result (or the error) of this call.
    const refusals: ProviderError[] = [];
    const skipped: string[] = [];

    for (const candidate of candidates) {
      const id = candidate.info.id;
      // Before anything is sent: this provider's estimate against the cap and the budget.
      const admission = await this.admit(capability, candidate, facts, planRequest, hooks);
      if (admission instanceof ProviderError) {
        refusals.push(admission);
        skipped.push(`Skipped ${id}: ${admission.message}`);
        continue;
      }
      const notes = [...skipped, ...admission];
      for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt++) {
        this.checkLive(ctx, id, () => failures.length ? exhausted(capability, failures) : undefined);
        attempts++;
        const span = attemptSpan({ capability, providerId: id, model: candidate.model, attempt, fallbackFrom: failures.map((f) => f.id), prompt, options, baseUrl: candidate.info.baseUrl });
        // What the provider call got: an accepted long job, or a quick answer.
        let got: { long: { service: LongRunningService<OptionsByCapability[C]>; operation: Operation } } | { answer: GenerationResult } | undefined;
        // Only the provider call is in here: a throw after it answered must not retry or fall back (a second paid call).
        try {
          const service = await this.service(id, capability);
          const opts = { ...options, model: candidate.model, extra: extraFor(options.extra, id, candidates[0]!.info.id, this.registry.ids()) } as OptionsByCapability[C];
          if (isLongRunning(service)) {
            const { operation } = await this.limited(id, () => service.start(prompt, opts, ctx));
            got = { long: { service, operation } };
          } else {
            got = { answer: await this.limited(id, () => service.generate(prompt, opts, ctx)) };
          }
        } catch (err) {
          const error = toProviderError(err, id);
          span.failed(error);
          if (error.code === 'cancelled' || ctx.signal.aborted) throw cancelled(id);
          ctx.logger.warn({ provider: id, model: candidate.model, attempt, code: error.code, status: error.status, err: error.message }, 'provider call failed');
          // Another provider would not help (and would bill twice): stop here.
          if (error.final) throw error;
          if (error.retryable) this.recordFailure(id);
          if (error.retryable && attempt < this.policy.maxAttempts && this.policy.maxAttempts > 1) {
            const wait = this.backoff(attempt, error.retryAfterMs);
            if (Date.now() + wait >= ctx.deadline) {
              failures.push({ id, error, attempts: attempt });
              break;
            }
            span.retrying(wait);
            await this.sleep(wait, ctx.signal).catch(() => {
              throw cancelled(id);
            });
            continue;
          }
          failures.push({ id, error, attempts: attempt });
          break;
        } finally {
          // A quick answer's span ends once it is priced (below); a long job's stays open while it is polled.
          if (!got) span.end();
        }
        const warnings = [...fallbackWarnings(candidate, failures, planRequest, options.extra, this.registry.ids()), ...notes];
        if ('answer' in got) {
          // Answered, and paid for: from here on nothing tries again, here or on another provider.
          this.recordSuccess(id);
          try {
            const result = this.priced(capability, id, candidate.model, facts, got.answer, ctx);
            span.succeeded(result);
            return outcome(withNotes(result, warnings), candidate, started, attempts, failures);
          } finally {
            span.end();
          }
        }
        // Accepted: from here on nothing starts it again or moves to another provider.
        const long = got.long;
        this.recordSuccess(id);
        const job: StartedJob = {
          providerId: id,
          model: candidate.model,
          operation: long.operation,
          startedAt: started,
          attempts,
          ...(failures.length ? { fallbackFrom: failures.map((f) => f.id) } : {}),
          ...withNotes({}, warnings),
          costFacts: facts,
        };
        ctx.logger.debug({ provider: id, operation: long.operation }, 'long-running job accepted');
        const service = long.service;
        // In one async function, so a hook that throws at once still ends the span.
        return span.settle(
          (async () => {
            await hooks.onStarted?.(job);
            return this.poll(capability, service, job, ctx, hooks, candidate.modelSource, span);
          })(),
        );
      }
    }
    // Nothing was paid for: every provider was refused on cost, or failed (and any left were refused).
    if (!failures.length && refusals.length) throw refusals[0]!;
    throw exhausted(capability, failures, skipped);
  }

  /** What the call would cost on each provider it would try, in order; nothing is sent. */
  estimate<C extends Capability>(capability: C, prompt: Prompt, options: OptionsByCapability[C], planRequest: PlanRequest): CostEstimate[] {
    const facts = costFacts(capability, prompt, options);
    return this.withoutCooledDown(this.registry.plan(capability, planRequest), planRequest.provider).map((c) => this.registry.pricing.estimate(capability, c.info.id, c.model, facts));
  }

  /**
   * The cap, then the budget, for one candidate: a refusal, or the notes for its result. The cap is
   * checked here (pure); the budget by the job layer's `reserve`, which records the estimate in the
   * same step.
   */
  private async admit(capability: Capability, candidate: Candidate, facts: CostFacts, planRequest: PlanRequest, hooks: RunHooks): Promise<ProviderError | string[]> {
    const estimate = this.registry.pricing.estimate(capability, candidate.info.id, candidate.model, facts);
    const capped = costRefusal(estimate, planRequest.maxCostUsd, undefined);
    if (capped) return capped;
    const over = await hooks.reserve?.({ providerId: candidate.info.id, model: candidate.model, estimate });
    if (over) {
      return (
        costRefusal(estimate, undefined, over) ??
        new ProviderError({ code: 'over_budget', providerId: candidate.info.id, retryable: false, message: `The daily budget refused ${estimate.summary}. Nothing was sent to ${candidate.info.id}.` })
      );
    }
    return estimate.costUsd === undefined && planRequest.maxCostUsd !== undefined ? [unknownCostNote(estimate, planRequest.maxCostUsd)] : [];
  }

  /**
   * The cost of an answer the provider gave (and billed). It never throws: the answer must not be
   * lost, or asked for again, over its price — a pricing bug reports the cost as unknown, logged.
   */
  private priced(capability: Capability, providerId: string, model: string, facts: CostFacts, result: GenerationResult, ctx: CallContext): GenerationResult {
    try {
      return this.registry.pricing.withCost(capability, providerId, model, facts, result);
    } catch (err) {
      ctx.logger.warn({ provider: providerId, model, err: (err as Error)?.message ?? String(err) }, 'pricing the result failed; its cost is reported unknown');
      return { ...result, usage: { ...result.usage, costSource: 'unknown' } };
    }
  }

  /** Polls a job some process started earlier (after a restart, or taken over from a process that died). */
  async resume<C extends Capability>(capability: C, job: StartedJob, ctx: CallContext, hooks: RunHooks = {}): Promise<RunOutcome> {
    const service = await this.service(job.providerId, capability);
    if (!isLongRunning(service)) throw new ProviderError({ code: 'internal', providerId: job.providerId, message: `${job.providerId} ${capability} is not a long-running service; the job cannot be resumed` });
    const span = attemptSpan({ capability, providerId: job.providerId, model: job.model, resumed: true });
    return span.settle(this.poll(capability, service, job, ctx, hooks, undefined, span));
  }

  /** Asks the provider to stop a job. True when it was told; false when it offers no cancel. */
  async cancelAtProvider(capability: Capability, providerId: string, operation: Operation, ctx: CallContext): Promise<boolean> {
    const service = await this.service(providerId, capability);
    if (!isLongRunning(service)) return false;
    return this.limited(providerId, () => service.cancel(operation, ctx));
  }

  /** Full-jitter exponential backoff; a provider's Retry-After wins when it says more. */
  backoff(attempt: number, retryAfterMs?: number): number {
    const exp = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(exp / 2 + (this.random() * exp) / 2);
    return Math.min(this.policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  /**
   * Polls until the provider says done or failed, or the deadline passes. A poll that fails
   * (429, 5xx, a reset, a malformed body, even a 4xx) is retried with backoff: the job is
   * paid for and still running; only the provider's own verdict or the deadline ends it.
   */
  private async poll<O>(capability: Capability, service: LongRunningService<O>, job: StartedJob, ctx: CallContext, hooks: RunHooks, modelSource?: Candidate['modelSource'], span?: AttemptSpan): Promise<RunOutcome> {
    const id = job.providerId;
    let interval = this.policy.pollIntervalMs ?? service.pollIntervalMs ?? 2000;
    let pollFailures = 0;
    for (;;) {
      if (ctx.signal.aborted) throw cancelled(id);
      const left = ctx.deadline - Date.now();
      if (left <= 0) {
        await this.cancelOnDeadline(service, job, ctx);
        throw new ProviderError({ code: 'timeout', providerId: id, retryable: false, message: `The ${id} job did not finish before its deadline; it was cancelled at the provider where the provider allows it.` });
      }
      // ±20 % so a thousand jobs started together do not poll in lock-step.
      await this.sleep(Math.min(left, Math.round(interval * (0.8 + 0.4 * this.random()))), ctx.signal).catch(() => {
        throw cancelled(id);
      });
      if (await hooks.isCancelled?.()) throw cancelled(id);
      let status;
      try {
        status = await this.limited(id, () => service.status(job.operation, ctx));
        pollFailures = 0;
        span?.polled(status.state, status.state === 'pending' ? status.progress : undefined);
      } catch (err) {
        if (ctx.signal.aborted) throw cancelled(id);
        const error = toProviderError(err, id);
        pollFailures++;
        span?.pollFailed(error);
        ctx.logger.warn({ provider: id, code: error.code, status: error.status, pollFailures, err: error.message }, 'status poll failed; polling again');
        interval = Math.max(interval, this.backoff(pollFailures, error.retryAfterMs));
        continue;
      }
      if (status.state === 'done') {
        const priced = this.priced(capability, id, job.model, job.costFacts ?? {}, status.result, ctx);
        const result = job.warnings?.length ? { ...priced, warnings: [...job.warnings, ...(priced.warnings ?? [])] } : priced;
        return {
          result,
          providerId: id,
          model: result.model || job.model,
          modelSource,
          telemetry: telemetryOf(result, id, job.model, job.startedAt, job.attempts, job.fallbackFrom),
        };
      }
      if (status.state === 'failed') throw new ProviderError({ code: status.code, providerId: id, retryable: false, message: status.message });
      ctx.progress({ fraction: status.progress, message: status.message ?? `${id}: job running` });
      interval = Math.min(Math.round(interval * 1.5), MAX_POLL_INTERVAL_MS);
    }
  }

  private async cancelOnDeadline<O>(service: LongRunningService<O>, job: StartedJob, ctx: CallContext): Promise<void> {
    await service.cancel(job.operation, { ...ctx, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => {
      ctx.logger.warn({ provider: job.providerId, err: toProviderError(e, job.providerId).message }, 'could not cancel the provider job after its deadline');
    });
  }

  /** Providers cooling down go last; one the caller named keeps its place. */
  private withoutCooledDown(candidates: Candidate[], named?: string): Candidate[] {
    const now = Date.now();
    const cool = (c: Candidate) => c.info.id !== named && (this.health.get(c.info.id)?.coolUntil ?? 0) > now;
    return [...candidates.filter((c) => !cool(c)), ...candidates.filter(cool)];
  }

  private async service<C extends Capability>(providerId: string, capability: C): Promise<AnyService<C>> {
    const info = this.registry.get(providerId);
    if (!info) throw new ProviderError({ code: 'unsupported', message: `unknown provider ${providerId}`, providerId });
    const adapter = await this.registry.adapter(info);
    const service = adapter[capability] as AnyService<C> | undefined;
    if (!service) {
      throw new ProviderError({ code: 'unsupported', message: `${providerId} has no ${capability} service configured`, providerId });
    }
    return service;
  }

  /** At most `policy.concurrency` requests in flight per provider; the rest wait their turn (a queue, not a refusal). */
  private limited<T>(providerId: string, call: () => Promise<T>): Promise<T> {
    let limit = this.limits.get(providerId);
    if (!limit) this.limits.set(providerId, (limit = pLimit(this.policy.concurrency?.[providerId] ?? this.policy.defaultConcurrency ?? 16)));
    return limit(call);
  }

  /**
   * Before an attempt: cancelled, or out of time. Out of time after earlier failures, the call fails
   * with those (`failed`), not with a timeout blamed on a provider it never got to ask.
   */
  private checkLive(ctx: CallContext, id: string, failed: () => ProviderError | undefined): void {
    if (ctx.signal.aborted) throw cancelled(id);
    if (Date.now() >= ctx.deadline) throw failed() ?? new ProviderError({ code: 'timeout', message: 'The call ran past its deadline.', providerId: id });
  }

  private recordSuccess(id: string): void {
    this.health.delete(id);
  }

  private recordFailure(id: string): void {
    const h = this.health.get(id) ?? { consecutiveFailures: 0, coolUntil: 0 };
    h.consecutiveFailures++;
    if (h.consecutiveFailures >= this.policy.cooldownAfterFailures) h.coolUntil = Date.now() + this.policy.cooldownMs;
    this.health.set(id, h);
  }
}

function telemetryOf(result: GenerationResult, providerId: string, model: string, startedAt: number, attempts: number, fallbackFrom?: string[]): ProviderTelemetry {
  return {
    providerId,
    model: result.model || model,
    latencyMs: Date.now() - startedAt,
    attempts,
    requestId: result.requestId,
    inputTokens: result.usage?.inputTokens,
    outputTokens: result.usage?.outputTokens,
    costUsd: result.usage?.costUsd,
    ...(fallbackFrom?.length ? { fallbackFrom } : {}),
    ...(result.providerMetadata && Object.keys(result.providerMetadata).length ? { providerMetadata: result.providerMetadata } : {}),
  };
}

function outcome(result: GenerationResult, candidate: Candidate, started: number, attempts: number, failures: { id: string }[]): RunOutcome {
  const fallbackFrom = failures.map((f) => f.id);
  return {
    result,
    providerId: candidate.info.id,
    model: result.model || candidate.model,
    modelSource: candidate.modelSource,
    telemetry: telemetryOf(result, candidate.info.id, candidate.model, started, attempts, fallbackFrom),
  };
}

function cancelled(providerId: string): ProviderError {
  return new ProviderError({ code: 'cancelled', message: 'The call was cancelled.', providerId });
}

/** The error of a call every provider failed; `skipped` (providers refused on cost) is said after it. */
function exhausted(capability: Capability, failures: { id: string; error: ProviderError; attempts: number }[], skipped: string[] = []): ProviderError {
  const last = failures.at(-1)?.error;
  const also = skipped.length ? ` ${skipped.join(' ')}` : '';
  if (failures.length === 1 && last) {
    return also ? new ProviderError({ code: last.code, message: `${last.message}${also}`, providerId: last.providerId, status: last.status, requestId: last.requestId, retryable: last.retryable, cause: last }) : last;
  }
  const summary = failures
    .map((f) => `${f.id}: ${f.error.code}${f.error.status ? ` (${f.error.status})` : ''} after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'} — ${f.error.message}`)
    .join('; ');
  return new ProviderError({
    code: last?.code ?? 'unavailable',
    message: `Every provider failed for ${capability}: ${summary}${also}`,
    providerId: last?.providerId,
    status: last?.status,
    requestId: last?.requestId,
    retryable: false,
    cause: last,
  });
}

/**
 * `extra` keyed by provider id (`{"fal": {...}, "replicate": {...}}`, as the AI SDK keys
 * providerOptions) gives each provider its own part. A flat `extra` is for the provider the
 * call was planned for, and is never passed on to a fallback: parameters meant for one
 * provider's API would be wrong, or billed, on another's.
 */
export function extraFor(extra: Record<string, unknown>, providerId: string, firstChoice: string, providerIds: readonly string[]): Record<string, unknown> {
  if (isKeyedExtra(extra, providerIds)) {
    const own = extra[providerId];
    return own && typeof own === 'object' && !Array.isArray(own) ? (own as Record<string, unknown>) : {};
  }
  return providerId === firstChoice ? extra : {};
}

/** Keyed when there is something and every key names a provider. */
export function isKeyedExtra(extra: Record<string, unknown>, providerIds: readonly string[]): boolean {
  const keys = Object.keys(extra);
  return keys.length > 0 && keys.every((k) => providerIds.includes(k));
}

/** What a result reached by fallback says about it: where from, and any `extra` not passed on. */
function fallbackWarnings(candidate: Candidate, failures: { id: string }[], req: PlanRequest, extra: Record<string, unknown> = {}, providerIds: readonly string[] = []): string[] {
  if (!failures.length) return [];
  const tried = failures.map((f) => f.id).join(', ');
  const warnings = [
    req.model && candidate.modelSource !== 'caller'
      ? `Fell back from ${tried} to ${candidate.info.id}; the model "${req.model}" belongs to ${tried.split(', ')[0]}, so ${candidate.info.id}'s default model "${candidate.model}" was used.`
      : `Fell back from ${tried} to ${candidate.info.id}.`,
  ];
  if (Object.keys(extra).length && !isKeyedExtra(extra, providerIds)) {
    warnings.push(`extra (${Object.keys(extra).join(', ')}) was meant for ${failures[0]!.id} and was not sent to ${candidate.info.id}; key extra by provider id to give each provider its own.`);
  }
  return warnings;
}

/** Adds notes (fallbacks, cost refusals skipped past, costs not known beforehand) to the warnings. */
function withNotes<T extends { warnings?: string[] }>(value: T, notes: string[]): T {
  return notes.length ? { ...value, warnings: [...(value.warnings ?? []), ...notes] } : value;
}
