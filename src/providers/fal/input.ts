/**
 * What the capability files share while building a fal input: the endpoint to call, the
 * caller's `extra` checked against the capability's loose schema, and the fan-out of one
 * input into `count` requests for endpoints that make one output per request.
 */
import type { z } from 'zod';
import type { AdapterEnv, Capability } from '../base.js';
import { invalidRequest } from '../errors.js';
import { PROVIDER_ID, formatDuration, type FalModelSpec } from './models.js';

export function endpointFor(env: AdapterEnv, capability: Capability, requested: string | undefined): string {
  const model = requested ?? env.info.defaultModels[capability];
  if (!model) throw invalidRequest(`No ${capability} model given and fal has no default ${capability} model configured.`, PROVIDER_ID);
  return model;
}

/** `extra` validated by the capability's schema; unknown keys are kept as they are. */
export function parseExtra(schema: z.ZodType<Record<string, unknown>>, extra: Record<string, unknown>): Record<string, unknown> {
  const parsed = schema.safeParse(extra);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `extra.${i.path.join('.')}: ${i.message}`).join('; ');
  throw invalidRequest(issues, PROVIDER_ID);
}

/**
 * One input per queue request: a single one when the endpoint takes a count field (or only one
 * output is wanted), else `count` copies, each with its own seed so they differ.
 */
export function fanOut(input: Record<string, unknown>, count: number, spec: FalModelSpec, seed: number | undefined): Record<string, unknown>[] {
  if (count <= 1 || spec.countField) return [input];
  return Array.from({ length: count }, (_, i) => (seed !== undefined && spec.seed ? { ...input, seed: seed + i } : { ...input }));
}

/** The listed values, for a message: `"5", "10"`. */
export function listed(values: readonly (string | number)[]): string {
  return values.map((v) => `${v}`).join(', ');
}

export function unsupported(model: string, what: string, hint = ''): never {
  throw invalidRequest(`${model} does not take ${what}${hint ? `; ${hint}` : ''}.`, PROVIDER_ID);
}

/**
 * Duration, negative prompt and seed into an endpoint's input, where it takes them; an option it
 * cannot take is refused here, before anything is submitted (and paid for).
 * `fixedLength` says why an endpoint without a duration field has none, for the message.
 */
export function mapDurationNegativeSeed(
  input: Record<string, unknown>,
  endpoint: string,
  spec: FalModelSpec,
  options: { durationSeconds?: number; negativePrompt?: string; seed?: number },
  fixedLength?: string,
): void {
  const seconds = options.durationSeconds;
  if (seconds !== undefined) {
    const d = spec.duration;
    if (!d) unsupported(endpoint, 'a duration', fixedLength);
    if (d.values && !d.values.includes(seconds)) unsupported(endpoint, `${seconds} s`, `it makes ${listed(d.values)} s`);
    if ((d.min !== undefined && seconds < d.min) || (d.max !== undefined && seconds > d.max)) unsupported(endpoint, `${seconds} s`, `it makes ${d.min ?? 0} to ${d.max ?? '∞'} s`);
    input[d.field] = formatDuration(seconds, d.format);
  }
  if (options.negativePrompt) {
    if (!spec.negativePrompt) unsupported(endpoint, 'a negative prompt');
    input.negative_prompt = options.negativePrompt;
  }
  if (options.seed !== undefined) {
    if (!spec.seed) unsupported(endpoint, 'a seed');
    input.seed = options.seed;
  }
}
