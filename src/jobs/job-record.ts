/**
 * A job is one generation call, from the moment it is accepted to its result: every tool call
 * creates one, and it lives on after the call returns, a restart, or the death of the process
 * that ran it. Records are plain JSON so any store (SQLite here, Redis for replicas) keeps them.
 */
import { randomBytes } from 'node:crypto';
import type { SavedFile, SavePlan } from '../artifacts/save-to.js';
import type { ArtifactRecord } from '../artifacts/store.js';
import type { Capability, JsonObject, Operation, ProviderTelemetry, Usage } from '../providers/base.js';
import type { ErrorCode } from '../providers/errors.js';
import type { CostFacts } from '../registry/cost.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function isTerminal(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** What a finished job made: the same data a tool result is built from. */
export interface JobResult {
  artifacts: ArtifactRecord[];
  text?: string;
  usage?: Usage;
  warnings?: string[];
  telemetry: ProviderTelemetry;
  /** The copies written for `save_to`. */
  saved?: SavedFile[];
}

export interface JobError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  providerId?: string;
  status?: number;
  requestId?: string;
}

/** The provider's accepted job: enough to poll it again from any process. */
export interface ProviderJob {
  providerId: string;
  model: string;
  operation: Operation;
  /** Provider calls made up to the accepted start (retries and fallbacks included). */
  attempts: number;
  fallbackFrom?: string[];
  warnings?: string[];
  /** What the request asked for as far as price goes, so the finished job is priced like the one started. */
  costFacts?: CostFacts;
}

/** The estimate of the provider the job was admitted to, recorded before it was asked. */
export interface JobCostEstimate {
  providerId: string;
  model: string;
  /** Upper bound in USD; absent when it could not be bounded. */
  costUsd?: number;
  summary: string;
}

export interface JobRecord {
  /** `job_` + 9 base-36 digits of ms since epoch + 16 random hex digits: sortable, unguessable. */
  id: string;
  /** The tool that created it (`generate_video`, …). */
  tool: string;
  capability: Capability;
  /** The tool's arguments as validated, with inline file data replaced by its size. */
  arguments: JsonObject;
  /** Where `save_to` copies go once the job succeeded, as checked when the call was made. */
  saveTo?: SavePlan;
  state: JobState;
  /** 0..1 when the provider reports it. */
  progress?: number;
  message?: string;
  /** Set once a provider was chosen (at the first attempt), then once it accepted the job. */
  provider?: string;
  model?: string;
  /** Long-running jobs only: set the moment the provider accepted the start, before anything else. */
  providerJob?: ProviderJob;
  result?: JobResult;
  error?: JobError;
  /** True when cancel_job reached the provider's own cancel; false when the provider has none. */
  providerCancelled?: boolean;
  /**
   * Set when a provider passed the cost checks, before it was asked. On a fallback it is replaced
   * by the next candidate's: a provider that failed before it accepted anything is normally not
   * billed, so the estimate that counts is the one of the candidate being tried now.
   */
  costEstimate?: JobCostEstimate;
  /**
   * Failed jobs only: what the provider billed for an answer the job then could not keep (its files
   * failed to download or store) — the cost the answer reported, else the estimate; null when
   * neither is known. Absent when the job failed before any provider answered.
   */
  billedUsd?: number | null;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  /** Epoch ms after which the job is given up (and cancelled at the provider where it can be). */
  deadline: number;
}

/** The shape of a job id; tools check job_id arguments against it too. */
export const JOB_ID_PATTERN = /^job_[0-9a-z]{9}[0-9a-f]{16}$/;

export function newJobId(now = Date.now()): string {
  return `job_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

export function isJobId(id: string): boolean {
  return JOB_ID_PATTERN.test(id);
}

/** The key sent to providers that take one on starts: the same on every attempt of one job. */
export function idempotencyKeyFor(jobId: string): string {
  return `mcp-providers-${jobId}`;
}

/**
 * What a job counts towards the day's spend, in USD; null when that is not known. A finished job
 * counts its cost; one still running counts its estimate (so concurrent calls see each other); a
 * cancelled job whose provider could not be told counts its estimate too (it is still billed there);
 * a failed job counts what the provider billed for an answer it had given (`billedUsd`), nothing
 * when it failed before any answer; a properly cancelled one counts nothing. Every store keeps this
 * figure beside the record.
 */
export function spendOf(job: JobRecord): number | null {
  switch (job.state) {
    case 'succeeded':
      return job.result?.usage?.costUsd ?? null;
    case 'queued':
    case 'running':
      return job.costEstimate ? (job.costEstimate.costUsd ?? null) : 0;
    case 'cancelled':
      return job.providerJob && job.providerCancelled === false ? (job.costEstimate?.costUsd ?? null) : 0;
    case 'failed':
      return job.billedUsd === undefined ? 0 : job.billedUsd;
    default:
      return 0;
  }
}

/** Spend of one provider over a period, and over the recent part of it (today), from the job store. */
export interface SpendRow {
  provider: string;
  /** Over the whole period, the jobs whose cost is known. */
  costUsd: number;
  /** Of that, the jobs created at or after the `recent` time given (today's). */
  recentUsd: number;
  /** Jobs over the period whose cost is not known, left out of the sums. */
  unknownCostCalls: number;
}
