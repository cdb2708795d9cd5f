/**
 * What the Replicate services share: the adapter env, one tamed client, and the parsing of
 * `extra` — the model's own input fields, passed through untouched once the few this adapter
 * knows the type of have been checked (a wrong type fails here, before a paid prediction).
 */
import type { z } from 'zod';
import type { AdapterEnv } from '../base.js';
import { invalidRequest } from '../errors.js';
import type { ReplicateClient } from './client.js';
import { PROVIDER_ID } from './models.js';

export interface ReplicateDeps {
  env: AdapterEnv;
  client: ReplicateClient;
  /** First poll of a quick call that outlived its sync wait, ms (MCP_PROVIDERS_POLL_MS, as the runner's polls; 500 by default). */
  quickPollMs: number;
}

/** `extra` checked against a model's schema (loose: unknown keys pass through to its input). */
export function parseExtra(schema: z.ZodType<Record<string, unknown>> | undefined, extra: Record<string, unknown>, model: string): Record<string, unknown> {
  if (!schema) return { ...extra };
  const parsed = schema.safeParse(extra);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `extra.${i.path.join('.')}: ${i.message}`).join('; ');
    throw invalidRequest(`${issues} (${model} input).`, PROVIDER_ID);
  }
  return parsed.data;
}

/** Sets `input[name] = value` when both are defined. */
export function put(input: Record<string, unknown>, name: string | undefined, value: unknown): void {
  if (name !== undefined && value !== undefined) input[name] = value;
}
