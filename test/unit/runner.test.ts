import { describe, expect, it } from 'vitest';
import type { CallContext, GenerationResult, LongRunningService, Operation } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import type { RetryPolicy } from '../../src/registry/config.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner } from '../../src/registry/runner.js';
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
  function longService(pollsUntilDone: number) {
    const seen = { starts: 0, polls: 0, cancels: 0 };
    const svc: LongRunningService<object> = {
      pollIntervalMs: 5,
      async start() {
        seen.starts++;
        return { operation: { name: 'op-1' } };
      },
      async status(op: Operation) {
        seen.polls++;
        if (seen.polls < pollsUntilDone) return { state: 'pending', progress: seen.polls / pollsUntilDone };
        const result: GenerationResult = { model: 'v', artifacts: [], text: String(op.name) };
        return { state: 'done', result };
      },
      async cancel() {
        seen.cancels++;
      },
    };
    const registry = new Registry(
      [info('v', 1, { capabilities: ['video'], defaultModels: { video: 'v' } })],
      { v: async () => ({ id: 'v', load: async () => ({ video: svc }) }) },
      {},
      {},
      () => ({}) as never,
    );
    return { seen, registry };
  }

  it('polls until done and reports progress', async () => {
    const { seen, registry } = longService(4);
    const progress: (number | undefined)[] = [];
    const runner = new Runner(registry, policy);
    const out = await runner.run('video', prompt, { count: 1, extra: {} }, { fallback: true }, ctx(undefined, (p) => progress.push(p.fraction)));
    expect(out.result.text).toBe('op-1');
    expect(seen).toEqual({ starts: 1, polls: 4, cancels: 0 });
    expect(progress).toEqual([0.25, 0.5, 0.75]);
  });

  it('cancels the provider job when the client cancels, and stops polling', async () => {
    const { seen, registry } = longService(1_000_000);
    const ac = new AbortController();
    const runner = new Runner(registry, policy);
    const run = runner.run('video', prompt, { count: 1, extra: {} }, { fallback: true }, ctx(ac.signal, () => {
      if (seen.polls === 3) ac.abort();
    }));
    await expect(run).rejects.toBeInstanceOf(ProviderError);
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    const pollsAtCancel = seen.polls;
    expect(seen.cancels).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.polls).toBe(pollsAtCancel);
  });
});
