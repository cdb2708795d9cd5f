/**
 * Hugging Face models as data. Known ids live in config/providers.yaml (`huggingface.models`),
 * each with the capability it serves and, optionally, the inference provider (`hf-inference`,
 * `fal-ai`, `replicate`, `together`, …) to run it on. Any other Hub id is accepted as given:
 * the Hub's provider mapping says who serves it. This module validates those entries and
 * answers "which inference provider, unless the caller said".
 */
import { z } from 'zod';
import { CAPABILITIES, type AdapterEnv, type Capability } from '../base.js';
import { invalidRequest, parseModelEntry } from '../errors.js';

export const PROVIDER_ID = 'huggingface';

/** `auto`: the router (text) or the Hub mapping (media) picks the inference provider. */
export const AUTO = 'auto';

/** An inference provider name as the client spells them (`fal-ai`, `hf-inference`), or `auto`. */
export const InferenceProviderName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be an inference provider name such as hf-inference, fal-ai, replicate, together or auto');

/** One `models:` entry. Strict, so a typo in the YAML is an error rather than a silently ignored setting. */
export const ModelSpecSchema = z
  .object({
    capability: z.enum(CAPABILITIES as [Capability, ...Capability[]]),
    /** Inference provider to run the model on when the call names none (default: auto). */
    provider: InferenceProviderName.optional(),
    notes: z.string().optional(),
  })
  .strict();

export type ModelSpec = z.infer<typeof ModelSpecSchema>;
export type ModelCatalog = ReadonlyMap<string, ModelSpec>;

/** Validates `huggingface.models` from the YAML; a bad entry fails `load()`, naming the model. */
export function parseModelCatalog(models: Record<string, Record<string, unknown>>): ModelCatalog {
  const out = new Map<string, ModelSpec>();
  for (const [id, raw] of Object.entries(models)) out.set(id, parseModelEntry(PROVIDER_ID, id, ModelSpecSchema, raw));
  return out;
}

/** The model for one call: the caller's, else the configured default for the capability. */
export function modelFor(env: AdapterEnv, capability: Capability, requested: string | undefined): string {
  const model = requested ?? env.info.defaultModels[capability];
  if (!model) throw invalidRequest(`No ${capability} model given and huggingface has no default ${capability} model configured.`, PROVIDER_ID);
  return model;
}

/**
 * Inference provider for one call: `extra.provider`, else the model's YAML `provider`, else
 * `auto`. A listed model asked for another capability gets a warning, not an error: the Hub
 * mapping has the last word on what a model can do.
 */
export function inferenceProviderFor(
  catalog: ModelCatalog,
  capability: Capability,
  model: string,
  requested: string | undefined,
): { provider: string; warnings: string[] } {
  const spec = catalog.get(model);
  const warnings: string[] = [];
  if (spec && spec.capability !== capability) {
    warnings.push(`${model} is listed in config/providers.yaml as a ${spec.capability} model, not ${capability}; sent as asked.`);
  }
  return { provider: requested ?? spec?.provider ?? AUTO, warnings };
}
