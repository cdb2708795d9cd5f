/** A scripted in-memory provider for registry and runner tests: each call takes the next step. */
import type { GenerationResult, ProviderAdapter, ProviderInfo, ProviderModule } from '../../src/providers/base.js';
import { ProviderError, type ErrorCode } from '../../src/providers/errors.js';

export type Step = { ok: string } | { fail: ErrorCode; status?: number; retryAfterMs?: number };

export interface FakeProvider {
  module: () => Promise<ProviderModule>;
  calls: { model?: string; prompt: string }[];
}

export function fakeProvider(id: string, steps: Step[]): FakeProvider {
  const calls: FakeProvider['calls'] = [];
  const generate = async (prompt: { text: string }, options: { model?: string }): Promise<GenerationResult> => {
    calls.push({ model: options.model, prompt: prompt.text });
    const step = steps.length > 1 ? steps.shift()! : steps[0];
    if ('fail' in step) {
      throw new ProviderError({ code: step.fail, status: step.status, retryAfterMs: step.retryAfterMs, message: `scripted ${step.fail}`, providerId: id });
    }
    return { model: options.model ?? 'm', artifacts: [], text: step.ok, usage: { inputTokens: 1, outputTokens: 2 } };
  };
  const adapter: ProviderAdapter = { text: { generate } };
  return { calls, module: async () => ({ id, load: async () => adapter }) };
}

export function info(id: string, priority: number, over: Partial<ProviderInfo> = {}): ProviderInfo {
  return {
    id,
    displayName: id,
    capabilities: ['text'],
    defaultModels: { text: `${id}-default` },
    credentialModes: [],
    capabilityKeys: {}, models: {},
    priority,
    featureFlag: `ENABLE_PROVIDER_${id.toUpperCase()}`,
    enabledByDefault: true,
    baseUrlEnv: `${id.toUpperCase()}_BASE_URL`,
    ...over,
  };
}
