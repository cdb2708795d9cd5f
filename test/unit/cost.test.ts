/**
 * The estimate rules, the cost of a finished call, and the refusal texts, over plain data; the
 * runner refusing before it sends anything, skipping a fallback over the cap and saying so; and,
 * once a provider answered, nothing after it (pricing, hooks) leading to a second paid call.
 */
import { describe, expect, it } from 'vitest';
import type { GenerationResult, ProviderModule } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import { overlayUserConfig, readProvidersDocument } from '../../src/registry/config.js';
import { actualCost, costFacts, estimateCost, Pricing, whatFits } from '../../src/registry/cost.js';
import { costRefusal } from '../../src/registry/cost-guard.js';
import { formatUsd, type Price } from '../../src/registry/prices.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner } from '../../src/registry/runner.js';
import { createLogger } from '../../src/util/logger.js';
import { info } from '../helpers/fake-provider.js';

const cited = { source: 'https://example.com/pricing', read: '2026-12-01' };
const veo: Price = { per_second_with_audio: 0.4, ...cited };
const prompt = (text: string, system?: string) => ({ text, ...(system ? { system } : {}), attachments: [] });

describe('estimates', () => {
  it('video: count × seconds × the rate; absent audio on a model that can make it is priced with audio', () => {
    const facts = costFacts('video', prompt('a fox'), { count: 2, durationSeconds: 8, extra: {} });
    const e = estimateCost('video', 'google-vertex', 'veo-3.1-generate-001', facts, veo, { audio: true });
    expect(e).toMatchObject({ costUsd: 6.4, summary: '2 × 8 s of veo-3.1-generate-001 with audio', basis: [{ quantity: 16, unit: 'second of video with audio', usdPerUnit: 0.4, usd: 6.4 }] });
    expect(whatFits(e, 1)).toBe('; 1 s would fit');
  });

  it('video without duration_seconds: the longest duration the catalog allows, else max_seconds, else unknown', () => {
    const facts = costFacts('video', prompt('a fox'), { count: 1, extra: {} });
    expect(estimateCost('video', 'p', 'm', facts, veo, { durations: [4, 6, 8] }).costUsd).toBe(3.2);
    expect(estimateCost('video', 'p', 'm', facts, { ...veo, max_seconds: 5 }).costUsd).toBe(2);
    expect(estimateCost('video', 'p', 'm', facts, veo)).toMatchObject({ unknown: expect.stringMatching(/no duration_seconds/) });
  });

  it('video without audio on a model priced only with audio: bounded by the with-audio price, and its cost afterwards unknown', () => {
    const facts = costFacts('video', prompt('a fox'), { count: 1, durationSeconds: 4, generateAudio: false, extra: {} });
    expect(estimateCost('video', 'p', 'm', facts, veo).costUsd).toBe(1.6);
    const made: GenerationResult = { model: 'm', artifacts: [{ source: { kind: 'bytes', data: new Uint8Array() }, mimeType: 'video/mp4', durationSeconds: 4 }] };
    expect(actualCost('video', facts, made, veo)).toEqual({ costSource: 'unknown' });
    expect(actualCost('video', facts, made, { ...veo, per_second: 0.2 })).toEqual({ costUsd: 0.8, costSource: 'price-table' });
  });

  it('text: input bounded by the UTF-8 bytes of prompt and system plus 64, output by max_tokens; no max_tokens is unknown', () => {
    const p: Price = { input_per_million_tokens: 1, output_per_million_tokens: 10, ...cited };
    const facts = costFacts('text', prompt('héllo', 'sys'), { maxTokens: 1000, extra: {} });
    expect(facts).toEqual({ inputTokensAtMost: 6 + 3 + 64, maxOutputTokens: 1000 });
    const e = estimateCost('text', 'p', 'm', facts, p);
    expect(e.costUsd).toBeCloseTo((73 * 1 + 1000 * 10) / 1e6, 12);
    expect(whatFits(e, 0.005)).toBe('; max_tokens up to 492 would fit');
    expect(estimateCost('text', 'p', 'm', costFacts('text', prompt('hi'), { extra: {} }), p).unknown).toMatch(/no max_tokens/);
    expect(estimateCost('text', 'p', 'm', costFacts('text', { text: 'hi', attachments: [{ uri: 'https://x/y.png' }] }, { maxTokens: 5, extra: {} }), p).unknown).toMatch(/attachments/);
  });

  it('text: prompts over the long-context threshold use its rates, before and after', () => {
    const p: Price = { input_per_million_tokens: 1.25, output_per_million_tokens: 10, long_context: { above_input_tokens: 200_000, input_per_million_tokens: 2.5, output_per_million_tokens: 15 }, ...cited };
    const long = estimateCost('text', 'p', 'm', { inputTokensAtMost: 300_000, maxOutputTokens: 1000 }, p);
    expect(long.costUsd).toBeCloseTo(0.75 + 0.015, 9);
    const done: GenerationResult = { model: 'm', artifacts: [], usage: { inputTokens: 1000, outputTokens: 100 } };
    expect(actualCost('text', {}, done, p).costUsd).toBeCloseTo(0.00125 + 0.001, 12);
  });

  it('images: count × per_image; token-billed images by their output tokens per image', () => {
    expect(estimateCost('image', 'p', 'm', { count: 3 }, { per_image: 0.04, ...cited })).toMatchObject({ costUsd: 0.12, summary: '3 images of m' });
    const gemini: Price = { input_per_million_tokens: 0.3, output_per_million_tokens: 30, output_tokens_per_image: 1290, ...cited };
    expect(estimateCost('image', 'p', 'm', { count: 2, inputTokensAtMost: 100 }, gemini).costUsd).toBeCloseTo(2 * (1290 * 30 + 100 * 0.3) / 1e6, 12);
  });

  it('tts by characters; audio by clip or second; a model billed by compute time is unknown beforehand', () => {
    expect(estimateCost('tts', 'p', 'm', costFacts('tts', prompt('a'.repeat(1500)), { format: 'wav', extra: {} }), { per_thousand_characters: 0.02, ...cited }).costUsd).toBe(0.03);
    expect(estimateCost('audio', 'p', 'm', { count: 2 }, { per_clip: 0.06, ...cited }).costUsd).toBe(0.12);
    expect(estimateCost('audio', 'p', 'm', { count: 1 }, { per_second: 0.01, ...cited }, { durations: [30] }).costUsd).toBe(0.3);
    expect(estimateCost('audio', 'p', 'm', { count: 1 }, { per_compute_second: 0.0014, ...cited }).unknown).toMatch(/compute time/);
  });

  it('no price: unknown; a free provider: 0', () => {
    expect(estimateCost('image', 'p', 'm', { count: 1 }, undefined)).toMatchObject({ unknown: 'no price for p m in the price table' });
    expect(estimateCost('tts', 'local', 'espeak-ng', { characters: 9 }, undefined, {}, true).costUsd).toBe(0);
  });
});

describe('the cost of a finished call', () => {
  const image = (n: number): GenerationResult => ({ model: 'm', artifacts: Array.from({ length: n }, () => ({ source: { kind: 'bytes' as const, data: new Uint8Array() }, mimeType: 'image/png' })) });

  it("the provider's figure wins; then compute seconds × price; then the table; else unknown", () => {
    expect(actualCost('image', {}, { ...image(1), usage: { costUsd: 0.5 } }, { per_image: 0.04, ...cited })).toEqual({ costUsd: 0.5, costSource: 'provider' });
    expect(actualCost('audio', {}, { model: 'm', artifacts: [], providerMetadata: { predictTimeSeconds: 10 } }, { per_compute_second: 0.0014, ...cited })).toEqual({ costUsd: 0.014, costSource: 'provider' });
    expect(actualCost('image', { count: 4 }, image(3), { per_image: 0.04, ...cited })).toEqual({ costUsd: 0.12, costSource: 'price-table' });
    expect(actualCost('image', {}, image(1), undefined)).toEqual({ costSource: 'unknown' });
  });

  it('Pricing.withCost sets usage.costUsd and usage.costSource, keeping the tokens', () => {
    const pricing = new Pricing({ p: { free: false, models: { m: { input_per_million_tokens: 1, output_per_million_tokens: 2, ...cited } } } });
    const out = pricing.withCost('text', 'p', 'm', {}, { model: 'm-2026', artifacts: [], usage: { inputTokens: 1e6, outputTokens: 1e6 } });
    expect(out.usage).toEqual({ inputTokens: 1e6, outputTokens: 1e6, costUsd: 3, costSource: 'price-table' });
  });
});

describe('refusals', () => {
  const estimate = estimateCost('video', 'google-vertex', 'veo-3.1-generate-001', { count: 1, durationSeconds: 8 }, veo, { audio: true });

  it('over the cap: the estimate, the cap and what would fit, in dollars', () => {
    const r = costRefusal(estimate, 1, undefined)!;
    expect(r).toBeInstanceOf(ProviderError);
    expect(r).toMatchObject({ code: 'over_cap', retryable: false, providerId: 'google-vertex' });
    expect(r.message).toBe('8 s of veo-3.1-generate-001 with audio ≈ $3.20 > cap $1.00; 2 s would fit. Nothing was sent to google-vertex.');
    expect(costRefusal(estimate, 3.2, undefined)).toBeUndefined();
  });

  it('over the budget: what was spent, what is left, and when it starts again; used up refuses even unknown estimates, never free ones', () => {
    expect(costRefusal(estimate, undefined, { limitUsd: 5, spentTodayUsd: 3 })!.message).toBe(
      '8 s of veo-3.1-generate-001 with audio ≈ $3.20 would pass the daily budget $5.00 (MCP_PROVIDERS_DAILY_BUDGET_USD): $3.00 spent today (UTC), $2.00 left; 5 s would fit; it starts again at 00:00 UTC. Nothing was sent to google-vertex.',
    );
    const unknown = estimateCost('image', 'fal', 'x', { count: 1 }, undefined);
    expect(costRefusal(unknown, 1, { limitUsd: 5, spentTodayUsd: 1 })).toBeUndefined();
    expect(costRefusal(unknown, 1, { limitUsd: 5, spentTodayUsd: 5 })).toMatchObject({ code: 'over_budget', message: expect.stringMatching(/is used up: \$5\.00 spent today/) });
    expect(costRefusal(estimateCost('tts', 'local', 'e', {}, undefined, {}, true), 0, { limitUsd: 0, spentTodayUsd: 9 })).toBeUndefined();
  });

  it('formats dollars: cents, and two significant digits under a cent', () => {
    expect([3.2, 1, 0.04, 0.00015, 0.0000071, 0].map(formatUsd)).toEqual(['$3.20', '$1.00', '$0.04', '$0.00015', '$0.0000071', '$0.00']);
  });
});

describe('the runner and the cap', () => {
  function setup() {
    const calls: string[] = [];
    const module = (id: string): (() => Promise<ProviderModule>) => async () => ({
      id,
      load: async () => ({
        video: {
          generate: async (_p: unknown, o: { model?: string }) => {
            calls.push(id);
            return { model: o.model ?? '', artifacts: [{ source: { kind: 'bytes' as const, data: new Uint8Array([1]) }, mimeType: 'video/mp4', durationSeconds: 8 }] };
          },
        },
      }),
    });
    const infos = ['a', 'b', 'c'].map((id, i) => info(id, i, { capabilities: ['video'], defaultModels: { video: `${id}-v` } }));
    const book = { a: { free: false, models: { 'a-v': { per_second: 0.5, ...cited } } }, b: { free: false, models: { 'b-v': { per_second: 0.1, ...cited } } }, c: { free: false, models: {} } };
    const registry = new Registry(infos, { a: module('a'), b: module('b'), c: module('c') }, {}, {}, () => ({}) as never, new Pricing(book));
    const runner = new Runner(registry, { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, cooldownAfterFailures: 9, cooldownMs: 1 });
    const ctx = { signal: new AbortController().signal, progress: () => undefined, logger: createLogger('silent'), deadline: Date.now() + 10_000 };
    return { runner, calls, ctx };
  }
  const video = { count: 1, durationSeconds: 8, extra: {} };

  it('refuses before sending when the only provider is over the cap', async () => {
    const { runner, calls, ctx } = setup();
    await expect(runner.run('video', prompt('x'), video, { provider: 'a', fallback: false, maxCostUsd: 1 }, ctx)).rejects.toMatchObject({ code: 'over_cap', message: expect.stringContaining('≈ $4.00 > cap $1.00') });
    expect(calls).toEqual([]);
  });

  it('skips a provider over the cap for the next one, and the result says so; the cost is in the usage', async () => {
    const { runner, calls, ctx } = setup();
    const out = await runner.run('video', prompt('x'), video, { fallback: true, maxCostUsd: 1 }, ctx);
    expect(calls).toEqual(['b']);
    expect(out.result.usage).toEqual({ costUsd: 0.8, costSource: 'price-table' });
    expect(out.telemetry.costUsd).toBe(0.8);
    expect(out.result.warnings).toEqual([expect.stringMatching(/^Skipped a: 8 s of a-v ≈ \$4\.00 > cap \$1\.00; 2 s would fit/)]);
  });

  it('an unknown estimate under a cap goes ahead, saying the cap could not be checked', async () => {
    const { runner, calls, ctx } = setup();
    const out = await runner.run('video', prompt('x'), video, { provider: 'c', fallback: false, maxCostUsd: 1 }, ctx);
    expect(calls).toEqual(['c']);
    expect(out.result.usage).toEqual({ costSource: 'unknown' });
    expect(out.result.warnings?.[0]).toMatch(/^The cost of c-v on c was not known before the call \(no price for c c-v in the price table\), so the cap \$1\.00 could not be checked\.$/);
  });

  it('estimate() prices every provider the call would try, sending nothing', () => {
    const { runner, calls } = setup();
    expect(runner.estimate('video', prompt('x'), video, { fallback: true }).map((e) => [e.providerId, e.costUsd])).toEqual([['a', 4], ['b', 0.8], ['c', undefined]]);
    expect(calls).toEqual([]);
  });
});

describe('after a paid answer, nothing asks again', () => {
  const video = { count: 1, durationSeconds: 8, extra: {} };
  const clip = (model: string): GenerationResult => ({ model, artifacts: [{ source: { kind: 'bytes', data: new Uint8Array([1]) }, mimeType: 'video/mp4', durationSeconds: 8 }] });
  function setup(kind: 'quick' | 'long', fail: Record<string, ProviderError> = {}) {
    const calls: string[] = [];
    const warnings: unknown[] = [];
    const module = (id: string): (() => Promise<ProviderModule>) => async () => ({
      id,
      load: async () => ({
        video:
          kind === 'quick'
            ? {
                generate: async (_p: unknown, o: { model?: string }) => {
                  calls.push(id);
                  if (fail[id]) throw fail[id];
                  return clip(o.model ?? '');
                },
              }
            : {
                pollIntervalMs: 1,
                start: async () => (calls.push(id), { operation: { id } }),
                status: async () => ({ state: 'done' as const, result: clip(`${id}-v`) }),
                cancel: async () => true,
              },
      }),
    });
    const infos = ['a', 'b'].map((id, i) => info(id, i, { capabilities: ['video'], defaultModels: { video: `${id}-v` } }));
    const book = { a: { free: false, models: { 'a-v': { per_second: 0.5, ...cited } } }, b: { free: false, models: { 'b-v': { per_second: 0.1, ...cited } } } };
    const registry = new Registry(infos, { a: module('a'), b: module('b') }, {}, {}, () => ({}) as never, new Pricing(book));
    const runner = new Runner(registry, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, cooldownAfterFailures: 9, cooldownMs: 1 }, async () => undefined);
    const logger = { ...createLogger('silent'), warn: (o: unknown) => void warnings.push(o) } as ReturnType<typeof createLogger>;
    const ctx = { signal: new AbortController().signal, progress: () => undefined, logger, deadline: Date.now() + 10_000 };
    return { runner, registry, calls, ctx, warnings };
  }
  const throwingPricing = (registry: Registry) => {
    registry.pricing.withCost = () => {
      throw new Error('price table bug');
    };
  };

  it('a quick answer whose pricing throws is returned, cost unknown and logged: one provider call, no retry, no fallback', async () => {
    const { runner, registry, calls, ctx, warnings } = setup('quick');
    throwingPricing(registry);
    const out = await runner.run('video', prompt('x'), video, { fallback: true }, ctx);
    expect(calls).toEqual(['a']);
    expect(out).toMatchObject({ providerId: 'a', result: { model: 'a-v', usage: { costSource: 'unknown' } }, telemetry: { attempts: 1 } });
    expect(out.telemetry.fallbackFrom).toBeUndefined();
    expect(warnings).toEqual([expect.objectContaining({ provider: 'a', err: 'price table bug' })]);
  });

  it('a long job that reported done keeps its output when pricing throws: one start, no fallback', async () => {
    const { runner, registry, calls, ctx, warnings } = setup('long');
    throwingPricing(registry);
    const out = await runner.run('video', prompt('x'), video, { fallback: true }, ctx);
    expect(calls).toEqual(['a']);
    expect(out.result).toMatchObject({ model: 'a-v', usage: { costSource: 'unknown' } });
    expect(out.result.artifacts).toHaveLength(1);
    expect(warnings).toEqual([expect.objectContaining({ provider: 'a', err: 'price table bug' })]);
  });

  it('an onStarted hook that throws at once fails the call, never starting another provider', async () => {
    const { runner, calls, ctx } = setup('long');
    const onStarted = () => {
      throw new Error('store down');
    };
    await expect(runner.run('video', prompt('x'), video, { fallback: true }, ctx, { onStarted: onStarted as never })).rejects.toThrow('store down');
    expect(calls).toEqual(['a']);
  });

  it('a failure after providers skipped on cost says both: the failure, then what was skipped', async () => {
    const down = new ProviderError({ code: 'unavailable', status: 503, providerId: 'b', message: 'b is down.' });
    const { runner, calls, ctx } = setup('quick', { b: down });
    const err = (await runner.run('video', prompt('x'), video, { fallback: true, maxCostUsd: 1 }, ctx).catch((e: unknown) => e)) as ProviderError;
    expect(calls).toEqual(['b', 'b', 'b']);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'unavailable', status: 503, providerId: 'b', retryable: down.retryable, cause: down });
    expect(err.message).toMatch(/^b is down\. Skipped a: 8 s of a-v ≈ \$4\.00 > cap \$1\.00; 2 s would fit\. Nothing was sent to a\.$/);
  });

  it('a budget refusal from reserve moves on to the next candidate, saying why; the cap is checked before reserve is asked', async () => {
    const { runner, calls, ctx } = setup('quick');
    const asked: string[] = [];
    const reserve = async ({ providerId }: { providerId: string }) => (asked.push(providerId), providerId === 'a' ? { limitUsd: 5, spentTodayUsd: 3 } : undefined);
    const out = await runner.run('video', prompt('x'), video, { fallback: true }, ctx, { reserve });
    expect(asked).toEqual(['a', 'b']);
    expect(calls).toEqual(['b']);
    expect(out.result.warnings).toEqual([expect.stringMatching(/^Skipped a: 8 s of a-v ≈ \$4\.00 would pass the daily budget \$5\.00 .*: \$3\.00 spent today \(UTC\), \$2\.00 left; 4 s would fit/)]);
    asked.length = 0;
    await expect(runner.run('video', prompt('x'), video, { provider: 'a', fallback: false, maxCostUsd: 1 }, ctx, { reserve })).rejects.toMatchObject({ code: 'over_cap' });
    expect(asked).toEqual([]);
  });
});

describe('prices in the configuration', () => {
  it('every shipped price names an https source page and the day it was read', () => {
    for (const [id, p] of Object.entries(readProvidersDocument().providers)) {
      for (const [model, price] of Object.entries(p.prices ?? {})) {
        expect(price.source, `${id} ${model}`).toMatch(/^https:\/\//);
        expect(price.read, `${id} ${model}`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });

  it("the user's file changes one price and keeps the rest; a misspelt price key or a price without a source is an error", () => {
    const packaged = readProvidersDocument();
    const doc = overlayUserConfig(packaged, 'providers:\n  google-vertex:\n    prices:\n      veo-3.1-generate-001: { per_second_with_audio: 0.5 }\n', '/u.yaml');
    expect(doc.providers['google-vertex']!.prices!['veo-3.1-generate-001']).toMatchObject({ per_second_with_audio: 0.5, source: packaged.providers['google-vertex']!.prices!['veo-3.1-generate-001']!.source });
    expect(() => overlayUserConfig(packaged, 'providers:\n  fal:\n    prices:\n      fal-ai/veo3: { per_secnd: 1 }\n', '/u.yaml')).toThrow(/\/u\.yaml: providers\.fal\.prices\.fal-ai\/veo3: .*per_secnd/);
    expect(() => overlayUserConfig(packaged, 'providers:\n  fal:\n    prices:\n      fal-ai/new: { per_image: 1 }\n', '/u.yaml')).toThrow(/prices\.fal-ai\/new\.source/);
  });
});
