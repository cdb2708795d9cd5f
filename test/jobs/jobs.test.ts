/**
 * The job layer in process, over a real SQLite file: jobs are stored before they run, end in a
 * stored result, are cancelled from another "process" (a second Jobs on the same file), and an
 * orphan is resumed from its stored operation — or failed, when it was a quick call.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import type { JobRecord } from '../../src/jobs/job-record.js';
import { Jobs } from '../../src/jobs/jobs.js';
import { lazySqliteJobStore } from '../../src/jobs/sqlite-job-store.js';
import type { GenerationResult, LongRunningService, ProviderModule } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner } from '../../src/registry/runner.js';
import { createLogger } from '../../src/util/logger.js';
import { info } from '../helpers/fake-provider.js';

const prompt = { text: 'a job', attachments: [] };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** A long video service whose job finishes after `polls` polls; counts what it is asked. */
function videoProvider(polls: number) {
  const seen = { starts: 0, polls: 0, cancels: 0 };
  const svc: LongRunningService<object> = {
    pollIntervalMs: 5,
    async start() {
      seen.starts++;
      return { operation: { v: 1, id: `op-${seen.starts}` } };
    },
    async status() {
      seen.polls++;
      if (seen.polls < polls) return { state: 'pending', progress: 0.5, message: 'rendering' };
      const result: GenerationResult = { model: 'vid-1', artifacts: [{ source: { kind: 'bytes', data: new Uint8Array([0, 0, 0, 8, 102, 116, 121, 112]) }, mimeType: 'video/mp4' }] };
      return { state: 'done', result };
    },
    async cancel() {
      seen.cancels++;
      return true;
    },
  };
  const module = async (): Promise<ProviderModule> => ({ id: 'vid', load: async () => ({ video: svc, text: { generate: async () => ({ model: 'txt', artifacts: [], text: 'quick answer' }) } }) });
  return { seen, module };
}

function jobsOn(dbPath: string, module: () => Promise<ProviderModule>, leaseMs = 300): Jobs {
  const registry = new Registry([info('vid', 1, { capabilities: ['video', 'text'], defaultModels: { video: 'vid-1', text: 'txt' } })], { vid: module }, {}, {}, () => ({}) as never);
  const runner = new Runner(registry, { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10, cooldownAfterFailures: 100, cooldownMs: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'jobs-unit-'));
  const store = lazySqliteJobStore(dbPath);
  const jobs = new Jobs({ store, runner, artifacts: new FsArtifactStore({ dir: join(dir, 'artifacts') }), logger: createLogger('silent'), jobTimeoutMs: 60_000, leaseMs });
  stops.push(async () => {
    await jobs.stop();
    await store.close();
  });
  return jobs;
}

const db = () => join(mkdtempSync(join(tmpdir(), 'jobs-db-')), 'jobs.sqlite');
const video = { tool: 'generate_video', capability: 'video' as const, prompt, options: { count: 1, extra: {} }, plan: { fallback: true }, arguments: { prompt: 'a job' } };

describe('Jobs', () => {
  it('stores the job before running it, and ends it with the stored result and artifact', async () => {
    const { seen, module } = videoProvider(3);
    const jobs = jobsOn(db(), module);
    const job = await jobs.submit(video);
    expect((await jobs.get(job.id))?.state).toMatch(/queued|running/);
    const done = await jobs.wait(job.id, 5_000);
    expect(done).toMatchObject({ state: 'succeeded', provider: 'vid', model: 'vid-1', providerJob: { providerId: 'vid', operation: { v: 1, id: 'op-1' } } });
    expect(done!.result!.artifacts).toHaveLength(1);
    expect(done!.result!.artifacts[0]).toMatchObject({ mimeType: 'video/mp4', size: 8 });
    expect(seen.starts).toBe(1);
  });

  it('keeps inline file data out of the stored arguments', async () => {
    const { module } = videoProvider(1);
    const jobs = jobsOn(db(), module);
    const job = await jobs.submit({ ...video, arguments: { prompt: 'x', image: { data: 'A'.repeat(10_000), mime_type: 'image/png' } } });
    expect(job.arguments).toEqual({ prompt: 'x', image: { data: '<10000 base64 characters>', mime_type: 'image/png' } });
  });

  it('a cancel from another process stops the polling one and reaches the provider once', async () => {
    const { seen, module } = videoProvider(1_000_000);
    const path = db();
    const a = jobsOn(path, module);
    const b = jobsOn(path, module);
    const job = await a.submit(video);
    await a.wait(job.id, 300);
    const cancelled = await b.cancel(job.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', providerCancelled: true });
    const pollsAtCancel = seen.polls;
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.polls - pollsAtCancel).toBeLessThanOrEqual(1);
    expect(seen.cancels).toBe(1);
    expect((await a.get(job.id))?.state).toBe('cancelled');
  });

  it('an orphan with a stored operation is resumed by another process: no second start', async () => {
    const { seen, module } = videoProvider(12);
    const path = db();
    const a = jobsOn(path, module);
    const job = await a.submit(video);
    await a.wait(job.id, 50);
    // The first process stops polling as a killed one would (its lease is let go, nothing recorded).
    await a.stop();
    expect((await a.get(job.id))?.state).toBe('running');
    const b = jobsOn(path, module);
    b.start();
    const done = await b.wait(job.id, 5_000);
    expect(done?.state).toBe('succeeded');
    expect(seen.starts).toBe(1);
  });

  it('a quick call whose process stopped is marked failed, saying so, never left running', async () => {
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const module = async (): Promise<ProviderModule> => ({
      id: 'vid',
      load: async () => ({
        text: {
          generate: async (_p, _o, ctx) => {
            await Promise.race([hang, new Promise((_, rej) => ctx.signal.addEventListener('abort', () => rej(new ProviderError({ code: 'cancelled', message: 'aborted' }))))]);
            return { model: 'txt', artifacts: [], text: 'late' };
          },
        },
      }),
    });
    const jobs = jobsOn(db(), module);
    const job = await jobs.submit({ ...video, tool: 'generate_text', capability: 'text', options: { extra: {} } });
    await jobs.wait(job.id, 50);
    await jobs.stop();
    release();
    const after = (await jobs.get(job.id)) as JobRecord;
    expect(after.state).toBe('failed');
    expect(after.error).toMatchObject({ code: 'unavailable', message: 'The server shut down before the call finished; call again.' });
  });
});
