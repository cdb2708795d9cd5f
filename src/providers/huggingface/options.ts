/**
 * The `extra` keys every Hugging Face capability names (each capability's `*-options.ts` adds
 * its own): `provider` picks the inference provider, `bill_to` an organisation to bill. Every
 * key not named passes through untouched into the provider's input (`parameters` for media,
 * the chat body for text). Loose on purpose: new model parameters work before we name them.
 */
import { z } from 'zod';
import { invalidRequest } from '../errors.js';
import { InferenceProviderName, PROVIDER_ID } from './models.js';

export const CommonExtraShape = {
  /** Inference provider: hf-inference, fal-ai, replicate, together, … or auto. */
  provider: InferenceProviderName.optional(),
  /** Organisation to bill (X-HF-Bill-To); it must have Inference Providers billing. */
  bill_to: z.string().min(1).optional(),
};

/** Parses `extra` with a capability's schema: the named keys checked, the rest returned as-is. */
export function splitExtra<S extends z.ZodObject>(schema: S, extra: Record<string, unknown>, names: readonly (keyof z.infer<S> & string)[]): { named: z.infer<S>; rest: Record<string, unknown> } {
  const parsed = schema.safeParse(extra);
  if (!parsed.success) {
    throw invalidRequest(`extra: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`, PROVIDER_ID);
  }
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) if (!(names as readonly string[]).includes(key)) rest[key] = value;
  return { named: parsed.data, rest };
}
