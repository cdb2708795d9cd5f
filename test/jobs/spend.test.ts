/**
 * Spend in the job store: what each job counts (`spendOf`), sums per provider and period, a job
 * database made before cost tracking upgraded in place, and a resumed long job priced like the one
 * started.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import { newJobId, spendOf, type JobRecord } from '../../src/jobs/job-record.js';
import { Jobs } from '../../src/jobs/jobs.js';
import { lazySqliteJobStore, SqliteJobStore } from '../../src/jobs/sqlite-job-store.js';
import type { LongRunningService, ProviderModule } from '../../src/providers/base.js';
import { Pricing } from '../../src/registry/cost.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner } from '../../src/registry/runner.js';
import { createLogger } from '../../src/util/logger.js';
import { info } from '../helpers/fake-provider.js';

const sqlite = process.getBuiltinModule('node:sqlite');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
const db = () => join(mkdtempSync(join(tmpdir(), 'spend-db-')), 'jobs.sqlite');

function job(over: Partial<JobRecord>, at = new Date()): JobRecord {
  return { id: newJobId(at.getTime()), tool: 'generate_image', capability: 'image', arguments: {}, state: 'succeeded', createdAt: at.toISOString(), updatedAt: at.toISOString(), deadline: at.getTime() + 1000, ...over };
}
const telemetry = { providerId: 'p', model: 'm', latencyMs: 1, attempts: 1 };
const done = (costUsd?: number) => ({ artifacts: [], usage: costUsd === undefined ? { costSource: 'unknown' as const } : { costUsd, costSource: 'price-table' as const }, telemetry });
const estimate = (costUsd?: number) => ({ providerId: 'p', model: 'm', summary: 's', ...(costUsd !== undefined ? { costUsd } : {}) });

describe('spendOf', () => {
  it('finished: the cost; running: the estimate; cancelled but still billed: the estimate; failed before an answer: nothing', () => {
    expect(spendOf(job({ result: done(0.5) }))).toBe(0.5);
    expect(spendOf(job({ result: done() }))).toBeNull();
    expect(spendOf(job({ state: 'running', costEstimate: estimate(3.2) }))).toBe(3.2);
    expect(spendOf(job({ state: 'running', costEstimate: estimate() }))).toBeNull();
    expect(spendOf(job({ state: 'queued' }))).toBe(0);
    const providerJob = { providerId: 'p', model: 'm', operation: {}, attempts: 1 };
    expect(spendOf(job({ state: 'cancelled', providerJob, providerCancelled: false, costEstimate: estimate(3.2) }))).toBe(3.2);
    expect(spendOf(job({ state: 'cancelled', providerJob, providerCancelled: true, costEstimate: estimate(3.2) }))).toBe(0);
    expect(spendOf(job({ state: 'failed', costEstimate: estimate(3.2) }))).toBe(0);
  });

  it('failed after the provider answered (and billed): what it billed, unknown when that is', () => {
    expect(spendOf(job({ state: 'failed', costEstimate: estimate(3.2), billedUsd: 2.5 }))).toBe(2.5);
    expect(spendOf(job({ state: 'failed', billedUsd: null }))).toBeNull();
    expect(spendOf(job({ state: 'failed', billedUsd: 0 }))).toBe(0);
  });
});

describe('SqliteJobStore.spend', () => {
  it('sums per provider since a time and since a recent one in one read, counts calls of unknown cost; the total leaves one job out on request', async () => {
    const store = new SqliteJobStore(db());
    closers.push(() => store.close());
    const old = job({ provider: 'a', result: done(10) }, new Date(Date.now() - 3 * 86_400_000));
    const a1 = job({ provider: 'a', result: done(0.25) });
    const a2 = job({ provider: 'a', result: done() });
    const b = job({ provider: 'b', state: 'running', costEstimate: estimate(1) });
    for (const j of [old, a1, a2, b]) await store.create(j);
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const week = new Date(Date.now() - 7 * 86_400_000).toISOString();
    expect(await store.spend(since, since)).toEqual([
      { provider: 'a', costUsd: 0.25, recentUsd: 0.25, unknownCostCalls: 1 },
      { provider: 'b', costUsd: 1, recentUsd: 1, unknownCostCalls: 0 },
    ]);
    expect(await store.spend(week, since)).toEqual([
      { provider: 'a', costUsd: 10.25, recentUsd: 0.25, unknownCostCalls: 1 },
      { provider: 'b', costUsd: 1, recentUsd: 1, unknownCostCalls: 0 },
    ]);
    expect(await store.spentSince(since)).toBe(1.25);
    expect(await store.spentSince(since, b.id)).toBe(0.25);
    // The figure follows the record: the running job finishes at its real cost.
    await store.update(b.id, (cur) => ({ ...cur, state: 'succeeded', result: done(0.4) }));
    expect((await store.spend(since, since)).find((r) => r.provider === 'b')?.costUsd).toBe(0.4);
  });

  it('a new file has the spend columns and the index from CREATE TABLE, no upgrade', async () => {
    const path = db();
    const store = new SqliteJobStore(path);
    closers.push(() => store.close());
    const raw = new sqlite.DatabaseSync(path, { readOnly: true });
    const { sql } = raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get() as { sql: string };
    const indexes = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'").all() as { name: string }[]).map((r) => r.name);
    raw.close();
    expect(sql).toMatch(/provider TEXT,\s*spend_usd REAL\s*\) STRICT$/);
    expect(indexes).toEqual(expect.arrayContaining(['jobs_by_state', 'jobs_by_created']));
  });

  it('the lazy store reads no spend, and creates no file, before one exists', async () => {
    const path = db();
    const store = lazySqliteJobStore(path);
    closers.push(() => store.close());
    expect(await store.spend(new Date(0).toISOString(), new Date(0).toISOString())).toEqual([]);
    expect(await store.spentSince(new Date(0).toISOString())).toBe(0);
    expect(existsSync(path)).toBe(false);
    await store.create(job({ provider: 'a', result: done(0.5) }));
    expect(await store.spentSince(new Date(0).toISOString())).toBe(0.5);
  });

  it('a job database from before cost tracking gets the columns, filled from its records', async () => {
    const path = db();
    const legacy = new sqlite.DatabaseSync(path);
    legacy.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at TEXT NOT NULL, lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL) STRICT`);
    const paid = job({ provider: 'openrouter', result: done(0.002) });
    legacy.prepare('INSERT INTO jobs (id, state, created_at, record) VALUES (?, ?, ?, ?)').run(paid.id, paid.state, paid.createdAt, JSON.stringify(paid));
    legacy.close();
    const store = new SqliteJobStore(path);
    closers.push(() => store.close());
    const epoch = new Date(0).toISOString();
    expect(await store.spend(epoch, epoch)).toEqual([{ provider: 'openrouter', costUsd: 0.002, recentUsd: 0.002, unknownCostCalls: 0 }]);
    // Opening it again (another process) changes nothing.
    const again = new SqliteJobStore(path);
    closers.push(() => again.close());
    expect(await again.spend(epoch, epoch)).toHaveLength(1);
    const raw = new sqlite.DatabaseSync(path, { readOnly: true });
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'jobs_by_created'").get()).toBeDefined();
    raw.close();
  });
});

describe('a long job resumed after a restart', () => {
  it('is priced from the facts stored with its operation, and the day’s spend reads it back', async () => {
    const path = db();
    let finish = false;
    const svc: LongRunningService<object> = {
      pollIntervalMs: 5,
      start: async () => ({ operation: { v: 1 } }),
      status: async () => (!finish ? { state: 'pending' } : { state: 'done', result: { model: 'v', artifacts: [{ source: { kind: 'bytes', data: new Uint8Array([0, 0, 0, 8, 102, 116, 121, 112]) }, mimeType: 'video/mp4' }] } }),
      cancel: async () => true,
    };
    const module = async (): Promise<ProviderModule> => ({ id: 'p', load: async () => ({ video: svc }) });
    const pricing = new Pricing({ p: { free: false, models: { v: { per_second: 0.5, source: 'https://example.com', read: '2026-12-01' } } } });
    const make = () => {
      const registry = new Registry([info('p', 1, { capabilities: ['video'], defaultModels: { video: 'v' } })], { p: module }, {}, {}, () => ({}) as never, pricing);
      const runner = new Runner(registry, { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, cooldownAfterFailures: 9, cooldownMs: 1 });
      const store = new SqliteJobStore(path);
      const jobs = new Jobs({ store, runner, artifacts: new FsArtifactStore({ dir: join(mkdtempSync(join(tmpdir(), 'spend-art-')), 'a') }), logger: createLogger('silent'), jobTimeoutMs: 60_000, leaseMs: 300, dailyBudgetUsd: 100 });
      closers.push(async () => {
        await jobs.stop();
        await store.close();
      });
      return jobs;
    };
    const first = make();
    const submitted = await first.submit({ tool: 'generate_video', capability: 'video', prompt: { text: 'x', attachments: [] }, options: { count: 1, durationSeconds: 6, extra: {} }, plan: { fallback: false }, arguments: {} });
    let started: JobRecord | undefined;
    for (let i = 0; i < 200 && !started?.providerJob; i++) {
      await new Promise((r) => setTimeout(r, 10));
      started = await first.get(submitted.id);
    }
    expect(started?.costEstimate).toEqual({ providerId: 'p', model: 'v', costUsd: 3, summary: '6 s of v' });
    expect(started?.providerJob?.costFacts).toEqual({ count: 1, durationSeconds: 6 });
    // While it runs, today's spend counts its estimate.
    expect(await first.spentToday()).toBe(3);
    await first.stop();
    finish = true;
    const second = make();
    second.start();
    const done = await second.wait(submitted.id, 5_000);
    expect(done?.state).toBe('succeeded');
    expect(done?.result?.usage).toEqual({ costUsd: 3, costSource: 'price-table' });
    expect(await second.spentToday()).toBe(3);
    expect(await second.spend()).toEqual({ providers: [{ provider: 'p', todayUsd: 3, last30DaysUsd: 3, unknownCostCalls: 0 }], todayUsd: 3, last30DaysUsd: 3 });
  });
});
