/**
 * OTEL_TRACES_EXPORTER naming an exporter this server lacks (zipkin): warned about once on the
 * logger, and, with no otlp or console beside it, tracing stays off and the SDK is not loaded.
 * A file of its own: tracing's state is per process (per worker), and this one must start fresh.
 */
import { describe, expect, it, vi } from 'vitest';
import { startTracing, tracingReady, tracingRequested } from '../../src/telemetry/tracing.js';
import type { Logger } from '../../src/util/logger.js';

const imported = vi.hoisted(() => ({ sdk: false }));
vi.mock('../../src/telemetry/sdk.js', () => {
  imported.sdk = true;
  return { startSdk: () => Promise.reject(new Error('the SDK should not load')) };
});

function recordingLogger() {
  const warnings: { obj: unknown; msg: string }[] = [];
  const logger = { warn: (obj: unknown, msg: string) => void warnings.push({ obj, msg }) } as unknown as Logger;
  return { logger, warnings };
}

describe('an exporter this server does not have', () => {
  it('is warned about once and loads nothing', async () => {
    const { logger, warnings } = recordingLogger();
    const env = { OTEL_TRACES_EXPORTER: 'zipkin,zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/' };
    expect(await startTracing(env, { logger, serviceVersion: 'test' })).toBe(false);
    expect(await startTracing(env, { logger, serviceVersion: 'test' })).toBe(false);
    expect(warnings).toEqual([{ obj: { exporter: 'zipkin' }, msg: expect.stringMatching(/^OTEL_TRACES_EXPORTER names an exporter this server does not have \(it has otlp and console\)/) }]);
    expect(tracingRequested()).toBe(false);
    expect(await tracingReady()).toBe(false);
    expect(imported.sdk).toBe(false);
  });
});
