import { describe, expect, it } from 'vitest';
import type { CallContext, GenerationResult, LongRunningService, Operation, ProviderModule } from '../../src/providers/base.js';
import { ProviderError, type ErrorCode } from '../../src/providers/errors.js';
import type { RetryPolicy } from '../../src/registry/config.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner, extraFor, isKeyedExtra } from '../../src/registry/runner.js';
import { createLogger } from '../../src/util/logger.js';
import { fakeProvider, info, type Step } from '../helpers/fake-provider.js';

const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 1000, cooldownAfterFailures: 100, cooldownMs: 60_000 };

function ctx(signal = new AbortController().signal, progress: CallContext['progress'] = () => undefined): CallContext {
  return { signal, progress, logger: createLogger('silent'), deadline: Date.now() + 60_000 };
}

function setup(a: Step[], b: Step[], p: Partial<RetryPolicy> = {}) {
  const fa = fakeProvider('a', a);
  const fb = fakeProvider('b', b);
  const waits: number[] = [];
  const registry = new Registry([info('a', 1), info('b', 2)], { a: fa.module, b: fb.module }, {}, {}, () => ({}) as never);
  const runner = new Runner(registry, { ...policy, ...p }, async (ms) => void waits.push(ms));
  return { runner, fa, fb, waits };
}

const prompt = { text: 'hi', attachments: [] };
const opts = { extra: {} };

describe('runner', () => {
  it('retries a 429 once and succeeds, honouring Retry-After', async () => {
    const { runner, fa, fb, waits } = setup([{ fail: 'rate_limited', status: 429, retryAfterMs: 700 }, { ok: 'fine' }], [{ ok: 'b' }]);
    const out = await runner.run('text', prompt, opts, { fallback: true }, ctx());
    expect(out.result.text).toBe('fine');
    expect(out.telemetry).toMatchObject({ providerId: 'a', attempts: 2 });
    expect(out.telemetry.fallbackFrom).toBeUndefined();
    expect(waits).toEqual([700]);
    expect(fa.calls).toHaveLength(2);
    expect(fb.calls).toHaveLength(0);
  });

  it('falls back to the next provider after a persistent 503, with its default model', async () => {
    const { runner, fa, fb, waits } = setup([{ fail: 'unavailable', status: 503 }], [{ ok: 'from b' }]);
    const out = await runner.run('text', prompt, { ...opts, model: 'a-special' }, { provider: 'a', model: 'a-special', fallback: true }, ctx());
    expect(out.result.text).toBe('from b');
    expect(out.telemetry).toMatchObject({ providerId: 'b', model: 'b-default', attempts: 4, fallbackFrom: ['a'] });
    expect(fa.calls.map((c) => c.model)).toEqual(['a-special', 'a-special', 'a-special']);
    expect(fb.calls.map((c) => c.model)).toEqual(['b-default']);
    expect(waits).toHaveLength(2);
    expect(out.result.warnings?.join(' ')).toMatch(/"a-special" belongs to a/);
  });

  it('stops at once on invalid_request and content_filtered: no retry, no other provider', async () => {
    for (const code of ['invalid_request', 'content_filtered'] as const) {
      const { runner, fa, fb } = setup([{ fail: code, status: 400 }], [{ ok: 'b' }]);
      await expect(runner.run('text', prompt, opts, { fallback: true }, ctx())).rejects.toMatchObject({ code, providerId: 'a' });
      expect(fa.calls).toHaveLength(1);
      expect(fb.calls).toHaveLength(0);
    }
  });

  it('does not fall back when fallback is off, and reports every provider when all fail', async () => {
    const off = setup([{ fail: 'unavailable', status: 503 }], [{ ok: 'b' }]);
    await expect(off.runner.run('text', prompt, opts, { fallback: false }, ctx())).rejects.toMatchObject({ code: 'unavailable' });
    expect(off.fb.calls).toHaveLength(0);
    const all = setup([{ fail: 'unavailable', status: 503 }], [{ fail: 'auth', status: 401 }]);
    await expect(all.runner.run('text', prompt, opts, { fallback: true }, ctx())).rejects.toThrow(/a: unavailable \(503\) after 3 attempts.*b: auth \(401\) after 1 attempt/);
  });

  it('backoff grows, is jittered, and is capped', () => {
    const registry = new Registry([], {}, {}, {}, () => ({}) as never);
    const lo = new Runner(registry, { ...policy, baseDelayMs: 100, maxDelayMs: 1000 }, undefined, () => 0);
    const hi = new Runner(registry, { ...policy, baseDelayMs: 100, maxDelayMs: 1000 }, undefined, () => 1);
    expect([1, 2, 3].map((n) => lo.backoff(n))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((n) => hi.backoff(n))).toEqual([100, 200, 400]);
    expect(hi.backoff(10)).toBe(1000);
    expect(lo.backoff(1, 60_000)).toBe(1000);
  });

  it('cools down a failing provider so the next call tries the healthy one first', async () => {
    const { runner, fa, fb } = setup([{ fail: 'unavailable', status: 503 }], [{ ok: 'b' }], { cooldownAfterFailures: 2, maxAttempts: 2 });
    await runner.run('text', prompt, opts, { fallback: true }, ctx());
    expect(fa.calls).toHaveLength(2);
    const second = await runner.run('text', prompt, opts, { fallback: true }, ctx());
    expect(second.telemetry.providerId).toBe('b');
    expect(fa.calls).toHaveLength(2);
    expect(fb.calls).toHaveLength(2);
  });
});

describe('long-running jobs', () => {
  type Poll = 'pending' | 'done' | 'failed' | { throws: ErrorCode; status?: number };
  /** A scripted long job per provider id: each status call takes the next step (the last repeats). */
  function longServices(script: Record<string, Poll[]>) {
    const seen: Record<string, { starts: number; polls: number; cancels: number }> = {};
    const modules: Record<string, () => Promise<ProviderModule>> = {};
    for (const [id, steps] of Object.entries(script)) {
      const counts = (seen[id] = { starts: 0, polls: 0, cancels: 0 });
      const svc: LongRunningService<object> = {
        pollIntervalMs: 5,
        async start() {
          counts.starts++;
          return { operation: { name: `${id}-op` } };
        },
        async status(op: Operation) {
          counts.polls++;
          const step = steps.length > 1 ? steps.shift()! : steps[0];
          if (typeof step === 'object') throw new ProviderError({ code: step.throws, status: step.status, message: 'scripted poll failure', providerId: id });
          if (step === 'pending') return { state: 'pending', progress: Math.min(1, counts.polls / 4) };
          if (step === 'failed') return { state: 'failed', code: 'content_filtered', message: 'the provider filtered it' };
          const result: GenerationResult = { model: 'v', artifacts: [], text: String(op.name) };
          return { state: 'done', result };
        },
        async cancel() {
          counts.cancels++;
          return true;
        },
      };
      modules[id] = async () => ({ id, load: async () => ({ video: svc }) });
    }
    const infos = Object.keys(script).map((id, i) => info(id, i + 1, { capabilities: ['video'], defaultModels: { video: 'v' } }));
    const registry = new Registry(infos, modules, {}, {}, () => ({}) as never);
    return { seen, registry };
  }
  const run = (registry: Registry, c = ctx()) => new Runner(registry, { ...policy, maxDelayMs: 5 }).run('video', prompt, { count: 1, extra: {} }, { fallback: true }, c);

  it('polls until done and reports progress', async () => {
    const { seen, registry } = longServices({ v: ['pending', 'pending', 'pending', 'done'] });
    const progress: (number | undefined)[] = [];
    const out = await run(registry, ctx(undefined, (p) => progress.push(p.fraction)));
    expect(out.result.text).toBe('v-op');
    expect(seen.v).toEqual({ starts: 1, polls: 4, cancels: 0 });
    expect(progress).toEqual([0.25, 0.5, 0.75]);
  });

  it('retries failing polls — 503 five times, then a 400 — as polls: one start, the job succeeds', async () => {
    const { seen, registry } = longServices({
      v: [{ throws: 'unavailable', status: 503 }, { throws: 'unavailable', status: 503 }, { throws: 'unavailable', status: 503 }, { throws: 'unavailable', status: 503 }, { throws: 'unavailable', status: 503 }, { throws: 'invalid_request', status: 400 }, 'done'],
      w: ['done'],
    });
    const out = await run(registry);
    expect(out.providerId).toBe('v');
    expect(seen.v.starts).toBe(1);
    expect(seen.v.polls).toBe(7);
    expect(seen.w.starts).toBe(0);
  });

  it('a job the provider reports failed is a failed call: no second start, no fallback', async () => {
    const { seen, registry } = longServices({ v: ['pending', 'failed'], w: ['done'] });
    await expect(run(registry)).rejects.toMatchObject({ code: 'content_filtered', providerId: 'v', message: 'the provider filtered it' });
    expect(seen.v.starts).toBe(1);
    expect(seen.w.starts).toBe(0);
  });

  it('hands the accepted operation to onStarted before the first poll', async () => {
    const { seen, registry } = longServices({ v: ['done'] });
    const order: string[] = [];
    const runner = new Runner(registry, policy);
    await runner.run('video', prompt, { count: 1, extra: {} }, { fallback: true }, ctx(), {
      onStarted: async (job) => {
        order.push(`started ${JSON.stringify(job.operation)} polls=${seen.v.polls}`);
      },
    });
    expect(order).toEqual(['started {"name":"v-op"} polls=0']);
  });

  it('stops polling when aborted, leaving the cancel at the provider to the job layer', async () => {
    const { seen, registry } = longServices({ v: ['pending'] });
    const ac = new AbortController();
    const out = run(registry, ctx(ac.signal, () => {
      if (seen.v.polls === 3) ac.abort();
    }));
    await expect(out).rejects.toMatchObject({ code: 'cancelled' });
    const pollsAtCancel = seen.v.polls;
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.v.polls).toBe(pollsAtCancel);
    expect(seen.v.cancels).toBe(0);
  });

  it('at the deadline cancels the provider job and fails with timeout', async () => {
    const { seen, registry } = longServices({ v: ['pending'] });
    const c = { ...ctx(), deadline: Date.now() + 80 };
    await expect(run(registry, c)).rejects.toMatchObject({ code: 'timeout' });
    expect(seen.v).toMatchObject({ starts: 1, cancels: 1 });
  });
});

describe('extra by provider', () => {
  const ids = ['fal', 'replicate', 'huggingface'];
  it('gives each provider its own part when keyed by provider id', () => {
    const extra = { fal: { guidance_scale: 3 }, replicate: { go_fast: false } };
    expect(extraFor(extra, 'fal', 'fal', ids)).toEqual({ guidance_scale: 3 });
    expect(extraFor(extra, 'replicate', 'fal', ids)).toEqual({ go_fast: false });
    expect(extraFor(extra, 'huggingface', 'fal', ids)).toEqual({});
  });
  it('gives a flat extra to the first choice only', () => {
    expect(extraFor({ guidance_scale: 3 }, 'fal', 'fal', ids)).toEqual({ guidance_scale: 3 });
    expect(extraFor({ guidance_scale: 3 }, 'replicate', 'fal', ids)).toEqual({});
  });
  it('is flat unless every key names a provider', () => {
    expect(isKeyedExtra({ fal: {}, seed: 1 }, ids)).toBe(false);
    expect(isKeyedExtra({}, ids)).toBe(false);
    expect(isKeyedExtra({ fal: {} }, ids)).toBe(true);
  });
});
