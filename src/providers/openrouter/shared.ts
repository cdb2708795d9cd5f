/** What OpenRouter's services share: one SDK client, the adapter env, and the key to scrub. */
import type OpenAI from 'openai';
import type { AdapterEnv, Capability } from '../base.js';
import { invalidRequest } from '../errors.js';
import { field } from '../../util/field.js';

export interface OpenRouterDeps {
  client: OpenAI;
  env: AdapterEnv;
  /** Values never to appear in an error message (the API key). */
  secrets: readonly string[];
}

export const PROVIDER_ID = 'openrouter';

/**
 * OpenRouter's usage accounting. It now reports `usage.cost` on every response and
 * documents `usage: {include: true}` as deprecated with no effect; we still send it
 * so an older deployment or a proxy in front of it reports cost too.
 */
export const USAGE_ACCOUNTING = { usage: { include: true } } as const;

export function modelFor(env: AdapterEnv, capability: Capability, requested: string | undefined): string {
  const model = requested ?? env.info.defaultModels[capability];
  if (!model) throw invalidRequest(`No ${capability} model given and OpenRouter has no default ${capability} model configured.`, PROVIDER_ID);
  return model;
}

/** OpenRouter-only response fields worth keeping: the upstream provider that served the call. */
export function openRouterMetadata(completion: unknown): Record<string, unknown> {
  const provider = field(completion, 'provider');
  const choices = field(completion, 'choices');
  const native = Array.isArray(choices) ? field(choices[0], 'native_finish_reason') : undefined;
  return {
    ...(typeof provider === 'string' ? { upstreamProvider: provider } : {}),
    ...(typeof native === 'string' ? { nativeFinishReason: native } : {}),
  };
}
