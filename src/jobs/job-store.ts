/**
 * Where jobs are kept. Several server processes may share one store (each stdio client
 * launches its own server on the same data directory; HTTP replicas share a Redis), so a
 * running job carries a lease: the process holding it polls the provider, renews it while it
 * lives, and any other process takes the job over once the lease has run out.
 */
import type { JobCostEstimate, JobRecord, JobState, SpendRow } from './job-record.js';

export interface Lease {
  /** The process that holds it (see `processOwner`). */
  owner: string;
  /** Epoch ms. */
  until: number;
}

export interface JobStore {
  /** Writes a new job; the write is durable when the promise resolves. */
  create(job: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Reads, changes and writes one job in one atomic step, even against other processes: the
   * change sees the record as stored. Returning the same object writes nothing. Resolves to
   * the record as stored afterwards.
   */
  update(id: string, change: (current: JobRecord) => JobRecord): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(filter: { state?: JobState; limit: number }): Promise<JobRecord[]>;
  /** Takes or renews the lease when it is free, expired, already ours, or its owner is `deadOwner`. True when we hold it. */
  acquireLease(id: string, lease: Lease, opts?: { deadOwner?: (owner: string) => boolean }): Promise<boolean>;
  releaseLease(id: string, owner: string): Promise<void>;
  /** Unfinished jobs whose lease is free, expired, or held by an owner `deadOwner` says is gone. */
  orphans(now: number, deadOwner: (owner: string) => boolean): Promise<JobRecord[]>;
  /**
   * Spend per provider (`spendOf` of each job) of the jobs created at or after `since`, and of those
   * created at or after `recent` (ISO 8601 both), in one read.
   */
  spend(since: string, recent: string): Promise<SpendRow[]>;
  /** The spend of all jobs created at or after `since`, `excludeId` left out (unknown costs count nothing). */
  spentSince(since: string, excludeId?: string): Promise<number>;
  /**
   * The daily budget's one atomic step, even against other processes: sums the spend of the jobs
   * created at or after `since` (job `id` left out) and, only when `fits` says the job's estimate
   * fits beside it, records the estimate on the job (with its provider and model), so that the next
   * call's sum counts it. Nothing is written to a job that has ended. Resolves to that spend and
   * whether the estimate was recorded.
   */
  reserve(id: string, since: string, estimate: JobCostEstimate, fits: (spentUsd: number) => boolean): Promise<{ reserved: boolean; spentUsd: number }>;
  close(): Promise<void>;
}
