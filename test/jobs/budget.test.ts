/**
 * The daily budget in the job layer, over real SQLite files: the check and the recorded estimate are
 * one step, so calls at once (in one process, or two on one file) cannot together pass a budget that
 * fits one; a free call does no budget work; on a fallback the estimate that counts is the candidate
 * being tried; a job that failed after its provider answered counts what the answer cost.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import type { ArtifactStore } from '../../src/artifacts/store.js';
import type { JobRecord } from '../../src/jobs/job-record.js';
import type { JobStore } from '../../src/jobs/job-store.js';
import { Jobs, type JobRequest } from '../../src/jobs/jobs.js';
import { lazySqliteJobStore } from '../../src/jobs/sqlite-job-store.js';
import type { GenerationResult, ProviderModule } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import { Pricing } from '../../src/registry/cost.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner } from '../../src/registry/runner.js';
import { createLogger } from '../../src/util/logger.js';
import { info } from '../helpers/fake-provider.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});
const db = () => join(mkdtempSync(join(tmpdir(), 'budget-db-')), 'jobs.sqlite');
const cited = { source: 'https://example.com/pricing', read: '2026-12-01' };
const png = (): GenerationResult['artifacts'][number] => ({ source: { kind: 'bytes', data: new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]) }, mimeType: 'image/png' });

/** Image providers: `generate` is the script of each (gated so calls can be held while others are admitted). */
function providers(scripts: Record<string, (n: number) => Promise<GenerationResult>>, usdPerImage: Record<string, number | 'free'>) {
  const calls: string[] = [];
  const modules = Object.fromEntries(
    Object.entries(scripts).map(([id, script]) => [
      id,
      async (): Promise<ProviderModule> => ({
        id,
        load: async () => ({
          image: {
            generate: async () => {
              calls.push(id);
              return script(calls.filter((c) => c === id).length);
            },
          },
        }),
      }),
    ]),
  );
  const book = Object.fromEntries(
    Object.entries(usdPerImage).map(([id, usd]) => [id, usd === 'free' ? { free: true, models: {} } : { free: false, models: { [`${id}-img`]: { per_image: usd, ...cited } } }]),
  );
  const infos = Object.keys(scripts).map((id, i) => info(id, i + 1, { capabilities: ['image'], defaultModels: { image: `${id}-img` } }));
  return { calls, registry: () => new Registry(infos, modules, {}, {}, () => ({}) as never, new Pricing(book)) };
}

function jobsOn(path: string, registry: Registry, opts: { dailyBudgetUsd?: number; artifacts?: ArtifactStore; wrap?: (s: JobStore) => JobStore } = {}): Jobs {
  const runner = new Runner(registry, { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, cooldownAfterFailures: 100, cooldownMs: 1 });
  const store = lazySqliteJobStore(path);
  const artifacts = opts.artifacts ?? new FsArtifactStore({ dir: join(mkdtempSync(join(tmpdir(), 'budget-art-')), 'a') });
  const jobs = new Jobs({ store: opts.wrap ? opts.wrap(store) : store, runner, artifacts, logger: createLogger('silent'), jobTimeoutMs: 60_000, leaseMs: 2_000, dailyBudgetUsd: opts.dailyBudgetUsd });
  stops.push(async () => {
    await jobs.stop();
    await store.close();
  });
  return jobs;
}

const image = (over: Partial<JobRequest<'image'>['plan']> = {}): JobRequest<'image'> => ({
  tool: 'generate_image',
  capability: 'image',
  prompt: { text: 'a lighthouse', attachments: [] },
  options: { count: 1, extra: {} },
  plan: { fallback: false, ...over },
  arguments: { prompt: 'a lighthouse' },
});

const result = (model: string): GenerationResult => ({ model, artifacts: [png()] });

describe('the daily budget, reserved in one step', () => {
  it('calls at once that each fit alone but not together: exactly one goes ahead (one process, and two on one file)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = providers({ paid: async () => (await gate, result('paid-img')) }, { paid: 0.6 });
    const path = db();
    // Two processes on one jobs.sqlite: two Jobs, each with its own connection and runner.
    const a = jobsOn(path, p.registry(), { dailyBudgetUsd: 1 });
    const b = jobsOn(path, p.registry(), { dailyBudgetUsd: 1 });
    const submitted = await Promise.all([a.submit(image()), a.submit(image()), b.submit(image()), b.submit(image())]);
    // The refused ones end at once; the one admitted waits at the provider.
    const waitFor = async (cond: () => Promise<boolean>) => {
      for (let i = 0; i < 500 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
    };
    const states = async () => Promise.all(submitted.map(async (j) => (await a.get(j.id))!));
    await waitFor(async () => (await states()).filter((j) => j.state === 'failed').length === 3 && p.calls.length === 1);
    const during = await states();
    expect(during.filter((j) => j.state === 'failed').map((j) => j.error?.code)).toEqual(['over_budget', 'over_budget', 'over_budget']);
    expect(during.filter((j) => j.state === 'running')).toHaveLength(1);
    expect(p.calls).toEqual(['paid']);
    expect(during.find((j) => j.state === 'failed')!.error!.message).toMatch(/≈ \$0\.60 would pass the daily budget \$1\.00 \(MCP_PROVIDERS_DAILY_BUDGET_USD\): \$0\.60 spent today \(UTC\), \$0\.40 left/);
    // While it runs, the one admitted counts at its estimate, in either process.
    expect(await b.spentToday()).toBe(0.6);
    release();
    const admitted = during.find((j) => j.state === 'running')!;
    expect((await a.wait(admitted.id, 5_000))?.state).toBe('succeeded');
    expect(p.calls).toEqual(['paid']);
    expect(await a.spentToday()).toBe(0.6);
  });

  it('a free call under a budget does no budget work: no spend read, no write of its own', async () => {
    const counted = (store: JobStore, n: { spentSince: number; reserve: number; update: number }): JobStore => ({
      ...store,
      spentSince: (...args) => (n.spentSince++, store.spentSince(...args)),
      reserve: (...args) => (n.reserve++, store.reserve(...args)),
      update: (...args) => (n.update++, store.update(...args)),
    });
    const run = async (dailyBudgetUsd: number | undefined) => {
      const n = { spentSince: 0, reserve: 0, update: 0 };
      const p = providers({ local: async () => result('local-img') }, { local: 'free' });
      const jobs = jobsOn(db(), p.registry(), { dailyBudgetUsd, wrap: (s) => counted(s, n) });
      const job = await jobs.submit(image());
      const done = (await jobs.wait(job.id, 5_000)) as JobRecord;
      expect(done.state).toBe('succeeded');
      expect(done.costEstimate).toMatchObject({ providerId: 'local', costUsd: 0 });
      return n;
    };
    const withBudget = await run(1);
    const without = await run(undefined);
    expect(withBudget).toMatchObject({ spentSince: 0, reserve: 0 });
    expect(withBudget.update).toBe(without.update);
  });

  it('on a fallback the estimate that counts is the candidate now tried: a failed paid one no longer counts', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = providers(
      {
        paid: async () => {
          throw new ProviderError({ code: 'unavailable', status: 503, providerId: 'paid', message: 'down' });
        },
        local: async () => (await gate, result('local-img')),
      },
      { paid: 0.6, local: 'free' },
    );
    const jobs = jobsOn(db(), p.registry(), { dailyBudgetUsd: 1 });
    const job = await jobs.submit(image({ fallback: true }));
    let running: JobRecord | undefined;
    for (let i = 0; i < 500 && p.calls.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    running = await jobs.get(job.id);
    expect(p.calls).toEqual(['paid', 'local']);
    expect(running).toMatchObject({ state: 'running', provider: 'local', costEstimate: { providerId: 'local', costUsd: 0 } });
    expect(await jobs.spentToday()).toBe(0);
    release();
    expect((await jobs.wait(job.id, 5_000))?.state).toBe('succeeded');
  });
});

describe('a job that failed after its provider answered', () => {
  const failingArtifacts = { put: async () => Promise.reject(new Error('disk full')) } as unknown as ArtifactStore;

  it('counts what the answer cost (the provider billed it); a failure before any answer counts nothing', async () => {
    for (const dailyBudgetUsd of [undefined, 5]) {
      const p = providers({ paid: async () => result('paid-img') }, { paid: 0.6 });
      const jobs = jobsOn(db(), p.registry(), { dailyBudgetUsd, artifacts: failingArtifacts });
      const job = await jobs.submit(image());
      const failed = (await jobs.wait(job.id, 5_000)) as JobRecord;
      expect(failed.state).toBe('failed');
      expect(failed.error?.message).toMatch(/disk full/);
      expect(failed.billedUsd).toBe(0.6);
      expect(await jobs.spentToday()).toBe(0.6);
      expect((await jobs.spend()).providers).toEqual([{ provider: 'paid', todayUsd: 0.6, last30DaysUsd: 0.6, unknownCostCalls: 0 }]);
    }
    const p = providers({ paid: async () => Promise.reject(new ProviderError({ code: 'invalid_request', status: 400, providerId: 'paid', message: 'no' })) }, { paid: 0.6 });
    const jobs = jobsOn(db(), p.registry(), { dailyBudgetUsd: 5 });
    const job = await jobs.submit(image());
    const failed = (await jobs.wait(job.id, 5_000)) as JobRecord;
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'invalid_request' } });
    expect(failed.billedUsd).toBeUndefined();
    expect(await jobs.spentToday()).toBe(0);
  });

  it('an answer whose cost is not known counts as a call of unknown cost', async () => {
    const p = providers({ nopriced: async () => result('nopriced-img') }, {});
    const jobs = jobsOn(db(), p.registry(), { artifacts: failingArtifacts });
    const job = await jobs.submit(image());
    const failed = (await jobs.wait(job.id, 5_000)) as JobRecord;
    expect(failed.state).toBe('failed');
    expect(failed.billedUsd).toBeNull();
    expect((await jobs.spend()).providers).toEqual([{ provider: 'nopriced', todayUsd: 0, last30DaysUsd: 0, unknownCostCalls: 1 }]);
  });
});
