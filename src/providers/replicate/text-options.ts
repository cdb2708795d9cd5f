/**
 * `extra` for Replicate language models: the inputs of the official Llama 3 chat models that
 * have no common option (checked by type), everything else passed to the model's input as is.
 */
import { z } from 'zod';

const Llama3Extra = z
  .object({
    top_k: z.number().int().min(0).optional(),
    min_tokens: z.number().int().min(0).optional(),
    presence_penalty: z.number().optional(),
    frequency_penalty: z.number().optional(),
    /** Comma-separated, e.g. "<end>,<stop>". */
    stop_sequences: z.string().optional(),
    prompt_template: z.string().optional(),
  })
  .loose();

export const TEXT_EXTRA: Record<string, z.ZodType<Record<string, unknown>>> = {
  'meta/meta-llama-3-8b-instruct': Llama3Extra,
  'meta/meta-llama-3-70b-instruct': Llama3Extra,
  'meta/meta-llama-3.1-405b-instruct': Llama3Extra,
};
