/**
 * Tracing in process: when the OTEL_* variables turn it on, the attribute names against the
 * semantic-conventions package, the scrubber for exporter logs, and the runner's spans for a
 * long-running job (polls as events, a failed poll, the job id, a resumed job) exported over
 * OTLP http/json to the stand-in collector.
 */
import * as semconv from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext, GenerationResult, LongRunningService, Operation } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import { Registry } from '../../src/registry/registry.js';
import { Runner } from '../../src/registry/runner.js';
import * as A from '../../src/telemetry/attributes.js';
import { scrubberFor } from '../../src/telemetry/sdk.js';
import { inServerSpan, shutdownTracing, startTracing, tracingConfigured, withJob } from '../../src/telemetry/tracing.js';
import { createLogger } from '../../src/util/logger.js';
import { info } from '../helpers/fake-provider.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

describe('tracingConfigured', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp,console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'console' }, false],
    [{ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, false],
    [{ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_TRACES_EXPORTER: 'zipkin, console' }, true],
  ])('%j → %s', (env, on) => {
    expect(tracingConfigured(env)).toBe(on);
  });
});

describe('attribute names', () => {
  it('are the semantic conventions’ own (copied from the incubating entry, which may change between releases)', () => {
    const values: unknown[] = [...Object.values(semconv), ...Object.values(incubating)];
    const known = new Set(values.filter((v) => typeof v === 'string'));
    const ours = Object.entries(A).filter(([name]) => !name.startsWith('EVENT_'));
    const conventional = ours.filter(([, value]) => !value.startsWith('mcp_providers.'));
    expect(conventional.length).toBeGreaterThan(25);
    for (const [name, value] of conventional) expect(known.has(value), `${name} = ${value}`).toBe(true);
  });
});

describe('scrubberFor', () => {
  it('removes OTLP header values (raw and URL-decoded), environment secrets and URL credentials', () => {
    const scrub = scrubberFor({
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20tok-123456,x-team=team-secret',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=trace-key-987',
      OPENROUTER_API_KEY: 'sk-or-abcdef',
      PATH: '/usr/bin',
    });
    const out = scrub('sent Bearer tok-123456 / Bearer%20tok-123456 team-secret trace-key-987 sk-or-abcdef to https://user:pw@collector/v1/traces via /usr/bin');
    for (const secret of ['tok-123456', 'team-secret', 'trace-key-987', 'sk-or-abcdef', 'user:pw']) expect(out).not.toContain(secret);
    expect(out).toContain('/usr/bin');
  });
});

describe('runner spans, exported', () => {
  let receiver: OtlpReceiver;
  const saved = { ...process.env };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The SDK reads its own variables from process.env (this file runs in a worker of its own).
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '10' });
    expect(await startTracing(process.env, { logger: createLogger('silent'), serviceVersion: 'test' })).toBe(true);
  });
  afterAll(async () => {
    await shutdownTracing();
    await receiver.close();
    process.env = saved;
  });

  function longService(steps: ('pending' | 'done' | 'poll503')[]): LongRunningService<object> {
    return {
      pollIntervalMs: 1,
      start: async () => ({ operation: { name: 'op-1' } }),
      async status(_op: Operation) {
        const step = steps.length > 1 ? steps.shift()! : steps[0];
        if (step === 'poll503') throw new ProviderError({ code: 'unavailable', status: 503, message: 'busy', providerId: 'vid' });
        if (step === 'pending') return { state: 'pending', progress: 0.5 };
        const result: GenerationResult = { model: 'veo-x', artifacts: [], usage: { costUsd: 0.25 } };
        return { state: 'done', result };
      },
      cancel: async () => true,
    };
  }
  const ctx = (): CallContext => ({ signal: new AbortController().signal, progress: () => undefined, logger: createLogger('silent'), deadline: Date.now() + 30_000 });

  it('a long job: one span from start to done under the tool call, polls as events, the job id and cost on it; a resumed job is a span of its own', async () => {
    // After its script the service keeps answering done: the resumed job's first poll finishes it.
    const service = longService(['pending', 'poll503', 'done']);
    const registry = new Registry(
      [info('vid', 1, { capabilities: ['video'], defaultModels: { video: 'veo' } })],
      { vid: async () => ({ id: 'vid', load: async () => ({ video: service }) }) },
      {},
      {},
      () => ({}) as never,
    );
    const runner = new Runner(registry, { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, cooldownAfterFailures: 10, cooldownMs: 1000 });
    const prompt = { text: 'PROMPT-SECRET a drone shot', attachments: [] };
    await inServerSpan(
      { name: 'tools/call generate_video', attributes: { [A.MCP_METHOD_NAME]: 'tools/call' }, carrier: {} },
      () => withJob('job_one', () => runner.run('video', prompt, { count: 1, extra: {} }, { fallback: true }, ctx())),
      () => ({}),
      () => ({ errorType: '_OTHER' }),
    );
    await withJob('job_two', () => runner.resume('video', { providerId: 'vid', model: 'veo', operation: { name: 'op-2' }, startedAt: Date.now(), attempts: 1 }, ctx()));

    const tool = await receiver.waitForSpan((s) => s.name === 'tools/call generate_video');
    const attempt = await receiver.waitForSpan((s) => s.parentSpanId === tool.spanId);
    expect(attempt.name).toBe('generate_content veo');
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'vid',
      'gen_ai.output.type': 'video',
      'gen_ai.response.model': 'veo-x',
      'mcp_providers.job.id': 'job_one',
      'mcp_providers.usage.cost_usd': 0.25,
    });
    expect(attempt.events.map((e) => e.name)).toEqual(['mcp_providers.poll', 'mcp_providers.poll_failed', 'mcp_providers.poll']);
    expect(attempt.events[0].attributes).toEqual({ 'mcp_providers.job.state': 'pending', 'mcp_providers.job.progress': 0.5 });
    expect(attempt.events[1].attributes).toEqual({ 'error.type': 'unavailable', 'http.response.status_code': 503 });
    const again = await receiver.waitForSpan((s) => s.attributes['mcp_providers.job.id'] === 'job_two');
    expect(again.parentSpanId).toBeUndefined();
    expect(again.attributes).toMatchObject({ 'mcp_providers.job.resumed': true, 'gen_ai.request.model': 'veo' });
    expect(receiver.requests.map((r) => r.body).join('\n')).not.toContain('PROMPT-SECRET');
  });
});
