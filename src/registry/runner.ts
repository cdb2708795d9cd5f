/**
 * The runner owns retry, fallback and cooldown — adapters set their SDK's own retries
 * to 0 so a failure is counted once, here. It also drives long-running jobs
 * (start / poll status / cancel) so every tool gets the same progress and cancel handling.
 */
import {
  isLongRunning,
  type AnyService,
  type CallContext,
  type Capability,
  type GenerationResult,
  type LongRunningService,
  type OptionsByCapability,
  type Prompt,
  type ProviderTelemetry,
} from '../providers/base.js';
import { ProviderError, toProviderError } from '../providers/errors.js';
import { sleep as defaultSleep } from '../util/sleep.js';
import type { RetryPolicy } from './config.js';
import type { Candidate, PlanRequest, Registry } from './registry.js';

export interface RunOutcome {
  result: GenerationResult;
  telemetry: ProviderTelemetry;
  candidate: Candidate;
}

type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

interface Health {
  consecutiveFailures: number;
  coolUntil: number;
}

export class Runner {
  private readonly health = new Map<string, Health>();

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
  ): Promise<RunOutcome> {
    const started = Date.now();
    const candidates = this.withoutCooledDown(this.registry.plan(capability, planRequest), planRequest.provider);
    const failures: { id: string; error: ProviderError; attempts: number }[] = [];
    let attempts = 0;

    for (const candidate of candidates) {
      const id = candidate.info.id;
      for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt++) {
        this.checkLive(ctx, id);
        attempts++;
        try {
          const service = await this.service(candidate, capability);
          const opts = { ...options, model: candidate.model } as OptionsByCapability[C];
          const result = isLongRunning(service)
            ? await this.runLong(service, prompt, opts, ctx, id)
            : await service.generate(prompt, opts, ctx);
          this.recordSuccess(id);
          return {
            result: withFallbackWarning(result, candidate, failures, planRequest),
            candidate,
            telemetry: {
              providerId: id,
              model: result.model || candidate.model,
              latencyMs: Date.now() - started,
              attempts,
              requestId: result.requestId,
              inputTokens: result.usage?.inputTokens,
              outputTokens: result.usage?.outputTokens,
              costUsd: result.usage?.costUsd,
              ...(failures.length ? { fallbackFrom: failures.map((f) => f.id) } : {}),
            },
          };
        } catch (err) {
          const error = toProviderError(err, id);
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
            await this.sleep(wait, ctx.signal).catch(() => {
              throw cancelled(id);
            });
            continue;
          }
          failures.push({ id, error, attempts: attempt });
          break;
        }
      }
    }
    throw exhausted(capability, failures);
  }

  /** Full-jitter exponential backoff; a provider's Retry-After wins when it says more. */
  backoff(attempt: number, retryAfterMs?: number): number {
    const exp = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(exp / 2 + (this.random() * exp) / 2);
    return Math.min(this.policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  /** Providers cooling down go last; one the caller named keeps its place. */
  private withoutCooledDown(candidates: Candidate[], named?: string): Candidate[] {
    const now = Date.now();
    const cool = (c: Candidate) => c.info.id !== named && (this.health.get(c.info.id)?.coolUntil ?? 0) > now;
    return [...candidates.filter((c) => !cool(c)), ...candidates.filter(cool)];
  }

  private async service<C extends Capability>(candidate: Candidate, capability: C): Promise<AnyService<C>> {
    const adapter = await this.registry.adapter(candidate.info);
    const service = adapter[capability] as AnyService<C> | undefined;
    if (!service) {
      throw new ProviderError({ code: 'unsupported', message: `${candidate.info.id} has no ${capability} service configured`, providerId: candidate.info.id });
    }
    return service;
  }

  /**
   * Start a job, then poll it with growing intervals until done. A client cancel
   * cancels the provider's job too. A failing status poll is retried without
   * restarting the job, which would be paid for twice.
   */
  private async runLong<O>(service: LongRunningService<O>, prompt: Prompt, opts: O, ctx: CallContext, id: string): Promise<GenerationResult> {
    const { operation } = await service.start(prompt, opts, ctx);
    ctx.logger.debug({ provider: id, operation }, 'long-running job started');
    let interval = this.policy.pollIntervalMs ?? service.pollIntervalMs ?? 2000;
    let statusFailures = 0;
    try {
      for (;;) {
        this.checkLive(ctx, id);
        await this.sleep(Math.min(interval, Math.max(0, ctx.deadline - Date.now())), ctx.signal);
        interval = Math.min(Math.round(interval * 1.5), 10_000);
        let status;
        try {
          status = await service.status(operation, ctx);
          statusFailures = 0;
        } catch (err) {
          const e = toProviderError(err, id);
          if (!e.retryable || ++statusFailures >= this.policy.maxAttempts) throw e;
          continue;
        }
        if (status.state === 'done') return status.result;
        ctx.progress({ fraction: status.progress, message: status.message ?? `${id}: job running` });
      }
    } catch (err) {
      if (ctx.signal.aborted || Date.now() >= ctx.deadline) {
        const reason = ctx.signal.aborted ? 'client cancelled' : 'deadline passed';
        await service.cancel(operation, { ...ctx, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => {
          ctx.logger.warn({ provider: id, err: toProviderError(e, id).message }, `could not cancel provider job after ${reason}`);
        });
      }
      throw err;
    }
  }

  private checkLive(ctx: CallContext, id: string): void {
    if (ctx.signal.aborted) throw cancelled(id);
    if (Date.now() >= ctx.deadline) throw new ProviderError({ code: 'timeout', message: 'The call ran past its deadline.', providerId: id });
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

function cancelled(providerId: string): ProviderError {
  return new ProviderError({ code: 'cancelled', message: 'The call was cancelled.', providerId });
}

function exhausted(capability: Capability, failures: { id: string; error: ProviderError; attempts: number }[]): ProviderError {
  const last = failures.at(-1)?.error;
  if (failures.length === 1 && last) return last;
  const summary = failures
    .map((f) => `${f.id}: ${f.error.code}${f.error.status ? ` (${f.error.status})` : ''} after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'} — ${f.error.message}`)
    .join('; ');
  return new ProviderError({
    code: last?.code ?? 'unavailable',
    message: `Every provider failed for ${capability}: ${summary}`,
    providerId: last?.providerId,
    status: last?.status,
    requestId: last?.requestId,
    retryable: false,
    cause: last,
  });
}

function withFallbackWarning(result: GenerationResult, candidate: Candidate, failures: { id: string }[], req: PlanRequest): GenerationResult {
  if (!failures.length) return result;
  const warnings = [...(result.warnings ?? [])];
  const tried = failures.map((f) => f.id).join(', ');
  warnings.push(
    req.model && candidate.modelSource !== 'caller'
      ? `Fell back from ${tried} to ${candidate.info.id}; the model "${req.model}" belongs to ${tried.split(', ')[0]}, so ${candidate.info.id}'s default model "${candidate.model}" was used.`
      : `Fell back from ${tried} to ${candidate.info.id}.`,
  );
  return { ...result, warnings };
}
