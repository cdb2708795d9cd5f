/**
 * The job layer: every generation call becomes a persisted job before any provider is asked,
 * runs in the background, stores its artifacts, and ends in a persisted result — whether or
 * not a client is still waiting. A job the provider accepted survives a restart or the death
 * of its process: leases say who polls it, and an orphan is taken over from its stored
 * operation, never started again.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { savePaths, writeSaved, type SavedFile, type SavePlan } from '../artifacts/save-to.js';
import type { ArtifactRecord, ArtifactStore } from '../artifacts/store.js';
import type { CallContext, Capability, JsonObject, OptionsByCapability, Prompt } from '../providers/base.js';
import { ProviderError, codeForStatus, toProviderError } from '../providers/errors.js';
import type { PlanRequest } from '../registry/registry.js';
import type { Runner, RunHooks, RunOutcome, StartedJob } from '../registry/runner.js';
import { withJob } from '../telemetry/tracing.js';
import { redactSecrets, type Logger } from '../util/logger.js';
import { sleep } from '../util/sleep.js';
import { fitsBudget } from '../registry/cost-guard.js';
import { roundUsd } from '../registry/prices.js';
import { idempotencyKeyFor, isJobId, isTerminal, newJobId, type JobCostEstimate, type JobError, type JobRecord, type JobResult, type JobState } from './job-record.js';
import type { JobStore } from './job-store.js';

export interface JobRequest<C extends Capability> {
  tool: string;
  capability: C;
  prompt: Prompt;
  options: OptionsByCapability[C];
  plan: PlanRequest;
  /** The tool's validated arguments, kept with the job (inline file data is replaced by its size). */
  arguments: Record<string, unknown>;
  /** Copies to write once the job succeeded (`save_to`), already checked. */
  saveTo?: SavePlan;
}

export interface JobsOptions {
  store: JobStore;
  runner: Runner;
  artifacts: ArtifactStore;
  logger: Logger;
  /** How long a job may run before it is given up. */
  jobTimeoutMs: number;
  /** A lease lasts this long and is renewed at a third of it; a dead holder's jobs move on after it. */
  leaseMs: number;
  /** MCP_PROVIDERS_DAILY_BUDGET_USD: paid calls are refused once today's spend (UTC) would pass it. */
  dailyBudgetUsd?: number;
}

/** Spend per provider today (UTC) and over the last 30 days (today included), from the job store. */
export interface SpendReport {
  /** The providers with jobs over the last 30 days, by id. */
  providers: ProviderSpend[];
  todayUsd: number;
  last30DaysUsd: number;
}

/** What calls to one provider cost: today (UTC), over the last 30 days, and how many of those had no known cost. */
export interface ProviderSpend {
  provider: string;
  todayUsd: number;
  last30DaysUsd: number;
  /** Calls over the last 30 days whose cost is not known, left out of the sums. */
  unknownCostCalls: number;
}

/** What a waiting caller hears between polls of the store. */
export interface JobProgress {
  fraction?: number;
  message?: string;
}

/** Progress is written to the store at most this often (other processes read it from there). */
const PROGRESS_WRITE_MS = 2_000;
/** A waiter re-reads the store at least this often, for jobs another process runs. */
const WAIT_POLL_MS = 500;
/** A URL output whose download fails is fetched again from the same URL this many times, never paid for again. */
const DOWNLOAD_ATTEMPTS = 3;
/** On stop, how long running jobs get to record how they were left before stop records it for them. */
const STOP_WAIT_MS = 1_000;

export class Jobs {
  /** `<host>/<pid>/<random>`: who holds a lease, and on this host whether that process still lives. */
  readonly owner = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  readonly #events = new EventEmitter();
  readonly #running = new Map<string, AbortController>();
  readonly #progressWritten = new Map<string, number>();
  /** Jobs another process took over from us: ours ends without recording anything. */
  readonly #handedOver = new Set<string>();
  #timer?: NodeJS.Timeout;
  #stopping = false;
  #stopped?: Promise<void>;

  constructor(private readonly opts: JobsOptions) {
    this.#events.setMaxListeners(0);
  }

  /** Starts renewing leases and taking over orphaned jobs (after a restart, or from a process that died). */
  start(): void {
    const every = Math.max(200, Math.floor(this.opts.leaseMs / 3));
    const tick = () => void this.#maintain().catch((err: unknown) => this.opts.logger.warn({ err: (err as Error).message }, 'job maintenance failed'));
    this.#timer = setInterval(tick, every);
    this.#timer.unref();
    // Soon, not at once: a v2 client's short-lived probe process should not grab jobs.
    setTimeout(tick, Math.min(every, 1_000)).unref();
  }

  /**
   * Stops without losing anything: quick calls still running are marked failed (their answer
   * is gone), accepted provider jobs keep their stored operation and have their lease released,
   * so the next process takes them over at once.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      clearInterval(this.#timer);
      for (const controller of this.#running.values()) controller.abort(new Error('server stopping'));
      const until = Date.now() + STOP_WAIT_MS;
      while (this.#running.size && Date.now() < until) await sleep(20);
      // A provider call that ignores its abort: record the outcome here rather than wait for it.
      for (const id of this.#running.keys()) {
        const job = await this.opts.store.get(id);
        if (!job?.providerJob) await this.#failInterrupted(id);
        else await this.opts.store.releaseLease(id, this.owner).catch(() => undefined);
      }
    })();
    return this.#stopped;
  }

  /** Settles once `stop()` has recorded how every running job was left; undefined while serving. */
  get stopped(): Promise<void> | undefined {
    return this.#stopped;
  }

  /** Persists the job, then runs it in the background. Resolves once the job is stored. */
  async submit<C extends Capability>(req: JobRequest<C>): Promise<JobRecord> {
    const now = new Date();
    const job: JobRecord = {
      id: newJobId(now.getTime()),
      tool: req.tool,
      capability: req.capability,
      arguments: storableArguments(req.arguments),
      ...(req.saveTo ? { saveTo: req.saveTo } : {}),
      state: 'queued',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      deadline: now.getTime() + this.opts.jobTimeoutMs,
    };
    await this.opts.store.create(job);
    await this.opts.store.acquireLease(job.id, { owner: this.owner, until: Date.now() + this.opts.leaseMs });
    void this.#run(job, (ctx, hooks) => this.opts.runner.run(req.capability, req.prompt, req.options, req.plan, ctx, hooks), req.prompt.text);
    return job;
  }

  /** Spend per provider: today (UTC) and the last 30 days, today included (one read of the store). */
  async spend(now = new Date()): Promise<SpendReport> {
    const rows = await this.opts.store.spend(utcDay(now, 29), utcDay(now, 0));
    const providers = rows.map((r) => ({ provider: r.provider, todayUsd: r.recentUsd, last30DaysUsd: r.costUsd, unknownCostCalls: r.unknownCostCalls }));
    const total = (pick: (p: ProviderSpend) => number) => roundUsd(providers.reduce((a, p) => a + pick(p), 0));
    return { providers, todayUsd: total((p) => p.todayUsd), last30DaysUsd: total((p) => p.last30DaysUsd) };
  }

  /** What today's jobs (UTC) count towards the budget, the job `excludeId` left out. */
  spentToday(excludeId?: string): Promise<number> {
    return this.opts.store.spentSince(utcDay(new Date(), 0), excludeId);
  }

  get(id: string): Promise<JobRecord | undefined> {
    return isJobId(id) ? this.opts.store.get(id) : Promise.resolve(undefined);
  }

  list(filter: { state?: JobState; limit: number }): Promise<JobRecord[]> {
    return this.opts.store.list(filter);
  }

  /**
   * Waits until the job ends, `ms` pass, or `signal` aborts, telling `onProgress` what the
   * job reports meanwhile. Resolves to the job as it then stands.
   */
  async wait(id: string, ms: number, opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void } = {}): Promise<JobRecord | undefined> {
    const until = Date.now() + ms;
    const listener = (p: JobProgress) => opts.onProgress?.(p);
    this.#events.on(`progress:${id}`, listener);
    try {
      for (;;) {
        const job = await this.get(id);
        if (!job || isTerminal(job.state) || Date.now() >= until || opts.signal?.aborted) return job;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.#events.off(`changed:${id}`, done);
            opts.signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, Math.min(WAIT_POLL_MS, Math.max(0, until - Date.now())));
          this.#events.once(`changed:${id}`, done);
          opts.signal?.addEventListener('abort', done, { once: true });
        });
      }
    } finally {
      this.#events.off(`progress:${id}`, listener);
    }
  }

  /**
   * Cancels a job wherever it runs: the stored state becomes `cancelled` (the process polling
   * it stops at its next poll), and the provider's own cancel is called where it has one.
   */
  async cancel(id: string, logger: Logger = this.opts.logger): Promise<JobRecord | undefined> {
    const job = await this.get(id);
    if (!job || isTerminal(job.state)) return job;
    const cancelled = await this.#change(id, (cur) => ({ ...cur, state: 'cancelled', message: 'Cancelled.' }));
    this.#running.get(id)?.abort(new Error('job cancelled'));
    let providerCancelled = false;
    const started = cancelled?.providerJob;
    if (started) {
      const ctx: CallContext = { signal: AbortSignal.timeout(15_000), progress: () => undefined, logger, deadline: Date.now() + 15_000 };
      providerCancelled = await this.opts.runner.cancelAtProvider(job.capability, started.providerId, started.operation, ctx).catch((err: unknown) => {
        logger.warn({ job: id, provider: started.providerId, err: toProviderError(err).message }, 'provider cancel failed');
        return false;
      });
    }
    const out = await this.opts.store.update(id, (cur) => ({ ...cur, providerCancelled, updatedAt: new Date().toISOString() }));
    this.#events.emit(`changed:${id}`);
    return out;
  }

  /** Runs (or resumes) one job to its end and records how it ended. */
  async #run(job: JobRecord, body: (ctx: CallContext, hooks: Parameters<Runner['run']>[5]) => Promise<RunOutcome>, promptText?: string): Promise<void> {
    const controller = new AbortController();
    this.#running.set(job.id, controller);
    const logger = this.opts.logger.child({ job: job.id, tool: job.tool });
    const ctx: CallContext = {
      signal: controller.signal,
      progress: (p) => this.#progress(job.id, p),
      logger,
      deadline: job.deadline,
      idempotencyKey: idempotencyKeyFor(job.id),
    };
    // The estimate of the candidate being tried, until it is written. Without a daily budget (or for
    // a free call) nobody reads a running call's estimate, so it rides along with the job's next write
    // (the accepted start, or the result) rather than costing a durable write of its own.
    let unwritten: Pick<JobRecord, 'costEstimate'> = {};
    // Whether an estimate was written durably (under the budget): a later candidate's must replace it.
    let estimateWritten = false;
    // The provider's answer, once in hand: it was billed, whatever fails after it.
    let answered: RunOutcome | undefined;
    try {
      await this.#change(job.id, (cur) => ({ ...cur, state: 'running' }));
      const hooks: RunHooks = {
        onStarted: async (started) => {
          await this.#change(job.id, (cur) => ({ ...cur, ...unwritten, provider: started.providerId, model: started.model, providerJob: stored(started) }));
        },
        isCancelled: async () => (await this.opts.store.get(job.id))?.state === 'cancelled',
        // The estimate that counts is the one of the candidate being tried now: one that failed before
        // its provider accepted anything is normally not billed, so a fallback's estimate replaces it.
        reserve: async ({ providerId, model, estimate }) => {
          const costEstimate: JobCostEstimate = { providerId, model, summary: estimate.summary, ...(estimate.costUsd !== undefined ? { costUsd: estimate.costUsd } : {}) };
          const limitUsd = this.opts.dailyBudgetUsd;
          if (limitUsd === undefined || estimate.costUsd === 0) {
            // No budget to check (or nothing to count against it): no read, and no write of its own —
            // unless a paid candidate's estimate was written before and would count in its place.
            unwritten = { costEstimate };
            if (estimateWritten) await this.#change(job.id, (cur) => ({ ...cur, provider: providerId, model, costEstimate }));
            return undefined;
          }
          // Today's spend and this estimate beside it, in one transaction: two calls at once cannot both pass.
          const { reserved, spentUsd } = await this.opts.store.reserve(job.id, utcDay(new Date(), 0), costEstimate, (spent) => fitsBudget(estimate.costUsd, { limitUsd, spentTodayUsd: spent }));
          if (!reserved) return { limitUsd, spentTodayUsd: spentUsd };
          unwritten = { costEstimate };
          estimateWritten = true;
          this.#events.emit(`changed:${job.id}`);
          return undefined;
        },
      };
      // The job id goes on the provider attempts' spans (tracing on).
      answered = await withJob(job.id, () => body(ctx, hooks));
      const outcome = withoutSecrets(answered);
      // A finished provider job's outputs are fetched again from its stored operation (polled once more), never paid for again.
      const refetch = async (): Promise<RunOutcome | undefined> => {
        const started = (await this.opts.store.get(job.id))?.providerJob;
        return started && this.opts.runner.resume(job.capability, { ...started, startedAt: Date.parse(job.createdAt) }, ctx, hooks);
      };
      const artifacts = await this.#storeArtifacts(job, outcome, promptText ?? String(job.arguments.prompt ?? job.arguments.text ?? ''), controller.signal, refetch);
      const copies = job.saveTo ? await saveCopies(job.saveTo, artifacts, outcome.result.text, logger) : undefined;
      const warnings = [...(outcome.result.warnings ?? []), ...(copies?.warnings ?? [])];
      const result: JobResult = {
        artifacts,
        ...(outcome.result.text !== undefined ? { text: outcome.result.text } : {}),
        ...(outcome.result.usage && Object.keys(outcome.result.usage).length ? { usage: outcome.result.usage } : {}),
        ...(warnings.length ? { warnings } : {}),
        telemetry: outcome.telemetry,
        ...(copies?.saved.length ? { saved: copies.saved } : {}),
      };
      await this.#change(job.id, (cur) => ({ ...cur, ...unwritten, state: 'succeeded', provider: outcome.providerId, model: outcome.model, progress: 1, message: undefined, result }));
      logger.info({ provider: outcome.providerId, model: outcome.model, latencyMs: outcome.telemetry.latencyMs, attempts: outcome.telemetry.attempts, artifacts: artifacts.length }, 'job succeeded');
    } catch (err) {
      const current = await this.opts.store.get(job.id);
      if (this.#handedOver.delete(job.id)) {
        logger.info('job left to the process that took it over');
      } else if (this.#stopping && current?.providerJob) {
        // The provider still works on it: leave it running for the next process to take over.
        logger.info({ provider: current.providerJob.providerId }, 'job left for the next process to resume');
      } else {
        const error = this.#stopping ? stoppedError() : toProviderError(err);
        // The provider answered and a later step (storing its files) failed: what it billed still counts.
        const billed = answered && {
          provider: answered.providerId,
          model: answered.model,
          billedUsd: answered.result.usage?.costUsd ?? unwritten.costEstimate?.costUsd ?? current?.costEstimate?.costUsd ?? null,
        };
        await this.#change(job.id, (cur) => ({ ...cur, ...unwritten, state: 'failed', message: undefined, error: jobError(error), ...billed }));
        if (current?.state !== 'cancelled') logger.warn({ code: error.code, err: error.message }, 'job failed');
      }
    } finally {
      this.#running.delete(job.id);
      this.#progressWritten.delete(job.id);
      await this.opts.store.releaseLease(job.id, this.owner).catch(() => undefined);
      this.#handedOver.delete(job.id);
    }
  }

  /**
   * Provider outputs into the artifact store; the job is never restarted. A URL that fails to
   * download is fetched again from the same URL. A stream (a gs:// object the adapter opened)
   * cannot be read twice: when one breaks off — a truncated or reset download — `refetch` polls the
   * accepted provider job once more for fresh sources, and storing goes on from the broken output.
   */
  async #storeArtifacts(job: JobRecord, first: RunOutcome, promptText: string, signal: AbortSignal, refetch: () => Promise<RunOutcome | undefined>): Promise<ArtifactRecord[]> {
    const records: ArtifactRecord[] = [];
    let outcome = first;
    try {
      for (let i = 0; i < outcome.result.artifacts.length; i++) {
        for (let attempt = 1; ; attempt++) {
          const artifact = outcome.result.artifacts[i]!;
          const meta = {
            mimeType: artifact.mimeType,
            provider: outcome.providerId,
            model: outcome.model,
            capability: job.capability,
            prompt: promptText.slice(0, 1000),
            width: artifact.width,
            height: artifact.height,
            durationSeconds: artifact.durationSeconds,
            sourceUri: artifact.sourceUri ?? (artifact.source.kind === 'url' ? artifact.source.url : undefined),
            telemetry: first.telemetry,
          };
          try {
            records.push(await this.opts.artifacts.put(artifact.source, meta, signal));
            break;
          } catch (err) {
            const error = downloadError(err, outcome.providerId);
            if (artifact.source.kind === 'bytes' || !error.retryable || attempt >= DOWNLOAD_ATTEMPTS || signal.aborted) throw error;
            this.opts.logger.warn({ job: job.id, attempt, err: error.message }, 'downloading a generated file failed; fetching it again');
            await sleep(500 * attempt, signal);
            if (artifact.source.kind !== 'stream') continue;
            const fresh = await refetch();
            if (!fresh || fresh.result.artifacts.length !== outcome.result.artifacts.length) {
              if (fresh) discardStreams(fresh, 0);
              throw error;
            }
            discardStreams(outcome, i + 1);
            outcome = fresh;
            // Outputs already stored are not fetched twice.
            discardStreams(outcome, 0, i);
          }
        }
      }
      return records;
    } catch (err) {
      discardStreams(outcome, records.length + 1);
      throw err;
    }
  }

  #progress(id: string, p: JobProgress): void {
    this.#events.emit(`progress:${id}`, p);
    const last = this.#progressWritten.get(id) ?? 0;
    if (Date.now() - last < PROGRESS_WRITE_MS) return;
    this.#progressWritten.set(id, Date.now());
    void this.#change(id, (cur) => ({ ...cur, ...(p.fraction !== undefined ? { progress: p.fraction } : {}), ...(p.message ? { message: p.message } : {}) })).catch(() => undefined);
  }

  /** One atomic change to a job that has not ended yet (a cancel elsewhere wins over a late result). */
  async #change(id: string, change: (cur: JobRecord) => JobRecord): Promise<JobRecord | undefined> {
    const out = await this.opts.store.update(id, (cur) => (isTerminal(cur.state) ? cur : { ...change(cur), updatedAt: new Date().toISOString() }));
    this.#events.emit(`changed:${id}`);
    return out;
  }

  /** Renews our leases; takes over orphans: resumes accepted provider jobs, fails calls whose answer is lost. */
  async #maintain(): Promise<void> {
    if (this.#stopping) return;
    const until = Date.now() + this.opts.leaseMs;
    for (const [id, controller] of this.#running) {
      // Lost (we stalled past the lease and another process took the job over): let it poll alone.
      if (!(await this.opts.store.acquireLease(id, { owner: this.owner, until }, { deadOwner: (o) => this.#isDead(o) }))) {
        const job = await this.opts.store.get(id);
        if (job && !isTerminal(job.state)) {
          this.opts.logger.warn({ job: id }, 'lease lost to another process; it polls the job now');
          this.#handedOver.add(id);
          controller.abort(new Error('lease lost'));
        }
      }
    }
    for (const orphan of await this.opts.store.orphans(Date.now(), (owner) => this.#isDead(owner))) {
      if (this.#running.has(orphan.id) || this.#stopping) continue;
      if (!(await this.opts.store.acquireLease(orphan.id, { owner: this.owner, until }, { deadOwner: (o) => this.#isDead(o) }))) continue;
      if (!orphan.providerJob) {
        // A quick call (or a start the provider never confirmed): its answer went with the process.
        await this.#failInterrupted(orphan.id);
        this.opts.logger.warn({ job: orphan.id, tool: orphan.tool }, 'job interrupted by a restart; marked failed');
        continue;
      }
      const started = orphan.providerJob;
      this.opts.logger.info({ job: orphan.id, provider: started.providerId }, 'resuming job from its stored operation');
      void this.#run(orphan, (ctx, hooks) => this.opts.runner.resume(orphan.capability, { ...started, startedAt: Date.parse(orphan.createdAt) }, ctx, hooks));
    }
  }

  /** A job whose answer went with a stopped process: failed, saying so, and its lease let go. */
  async #failInterrupted(id: string): Promise<void> {
    await this.#change(id, (cur) => ({ ...cur, state: 'failed', error: jobError(stoppedError()) }));
    await this.opts.store.releaseLease(id, this.owner).catch(() => undefined);
  }

  /** On this host, a lease holder whose process is gone is dead now, not when its lease runs out. */
  #isDead(owner: string): boolean {
    const [host, pid] = owner.split('/');
    if (host !== hostname() || owner === this.owner) return false;
    const n = Number(pid);
    if (!Number.isInteger(n) || n <= 0) return false;
    try {
      process.kill(n, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
}

/**
 * The `save_to` copies of a finished job. The job is paid for and its artifacts are stored, so a
 * copy that cannot be written (a file appeared there meanwhile, a full disk) is a warning on the
 * result, never a failed job: the artifact stays readable by its URI.
 */
async function saveCopies(plan: SavePlan, artifacts: ArtifactRecord[], text: string | undefined, logger: Logger): Promise<{ saved: SavedFile[]; warnings: string[] }> {
  const saved: SavedFile[] = [];
  const warnings: string[] = [];
  const sources: { from: { file: string } | { data: Uint8Array }; uri?: string }[] = artifacts.length
    ? artifacts.flatMap((a) => (a.path ? [{ from: { file: a.path }, uri: a.uri }] : []))
    : text !== undefined
      ? [{ from: { data: Buffer.from(text, 'utf8') } }]
      : [];
  const targets = savePaths(plan, sources.length);
  for (const [i, source] of sources.entries()) {
    try {
      await writeSaved(plan, targets[i]!, source.from);
      saved.push({ path: targets[i]!, ...(source.uri ? { uri: source.uri } : {}) });
    } catch (err) {
      const message = toProviderError(err).message;
      logger.warn({ target: targets[i], err: message }, 'save_to copy not written');
      warnings.push(`${message}${source.uri ? ` The file is kept as ${source.uri}.` : ''}`);
    }
  }
  return { saved, warnings };
}

/**
 * A provider's request id and metadata are its words, not ours: an upstream that echoes the key
 * as `x-request-id` would otherwise put it into every result and sidecar. Scrubbed like all output
 * (a JSON round trip through the same scrubber the logger uses).
 */
function withoutSecrets(outcome: RunOutcome): RunOutcome {
  const scrub = <T>(value: T): T => (value === undefined ? value : (JSON.parse(redactSecrets(JSON.stringify(value))) as T));
  return {
    ...outcome,
    telemetry: scrub(outcome.telemetry),
    result: { ...outcome.result, requestId: scrub(outcome.result.requestId), providerMetadata: scrub(outcome.result.providerMetadata) },
  };
}

function stored(started: StartedJob): JobRecord['providerJob'] {
  return {
    providerId: started.providerId,
    model: started.model,
    operation: started.operation,
    attempts: started.attempts,
    ...(started.fallbackFrom ? { fallbackFrom: started.fallbackFrom } : {}),
    ...(started.warnings ? { warnings: started.warnings } : {}),
    ...(started.costFacts ? { costFacts: started.costFacts } : {}),
  };
}

/** Midnight UTC, `daysBack` days before `now`'s day, as ISO 8601 (job ids and `createdAt` sort with it). */
function utcDay(now: Date, daysBack: number): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysBack)).toISOString();
}

/**
 * A failed download as the job records it. A bare network error from the stream or fetch (a reset,
 * a body cut short: "aborted", "terminated", "fetch failed") or a checksum mismatch is `unavailable`,
 * and an HTTP error answer is coded by its status (a 503 is worth fetching again) — not `internal`,
 * which reads as a bug and ended the job at the first broken download.
 */
function downloadError(err: unknown, providerId: string): ProviderError {
  const error = toProviderError(err, providerId);
  if (err instanceof ProviderError || error.code !== 'internal') return error;
  // Cloud Storage (gaxios) errors raised while streaming carry the HTTP status as a numeric `code`.
  const status = (err as { code?: unknown }).code;
  if (typeof status === 'number' && status >= 400 && status < 600) {
    return new ProviderError({ code: codeForStatus(status), status, providerId, message: `Downloading the generated file failed with HTTP ${status}: ${error.message.slice(0, 300)}`, cause: err });
  }
  if (!isNetworkFailure(err)) return error;
  return new ProviderError({ code: 'unavailable', providerId, message: `Downloading the generated file failed: ${error.message}`, cause: err });
}

function isNetworkFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const codes = [(err as NodeJS.ErrnoException).code, (err.cause as NodeJS.ErrnoException | undefined)?.code];
  if (codes.some((c) => typeof c === 'string' && /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|ERR_STREAM_PREMATURE_CLOSE|UND_ERR_|CONTENT_DOWNLOAD_MISMATCH)/.test(c))) return true;
  return /^(aborted|terminated|premature close|fetch failed)$/i.test(err.message);
}

/** Closes the unread stream sources of outputs [from, to) so no download is left open. */
function discardStreams(outcome: RunOutcome, from: number, to = outcome.result.artifacts.length): void {
  for (const artifact of outcome.result.artifacts.slice(from, to)) {
    if (artifact.source.kind === 'stream') artifact.source.stream.cancel().catch(() => undefined);
  }
}

function stoppedError(): ProviderError {
  return new ProviderError({ code: 'unavailable', message: 'The server shut down before the call finished; call again.' });
}

function jobError(error: ProviderError): JobError {
  return {
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(error.providerId ? { providerId: error.providerId } : {}),
    ...(error.status ? { status: error.status } : {}),
    ...(error.requestId ? { requestId: error.requestId } : {}),
  };
}

/** The arguments as JSON, with inline base64 file data replaced by its length (a job record is no place for a 20 MB image). */
function storableArguments(args: Record<string, unknown>): JsonObject {
  return JSON.parse(
    JSON.stringify(args, (key, value: unknown) => (key === 'data' && typeof value === 'string' && value.length > 256 ? `<${value.length} base64 characters>` : value)),
  ) as JsonObject;
}
