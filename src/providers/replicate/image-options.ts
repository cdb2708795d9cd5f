/**
 * `extra` for Replicate image models: FLUX schnell's inputs beyond the common options, checked
 * by type; anything else goes to the model's input as is (and `aspect_ratio` or `output_format`
 * given here win over the common options, for values such as 4:5 the common enum lacks).
 */
import { z } from 'zod';

const FluxSchnellExtra = z
  .object({
    go_fast: z.boolean().optional(),
    megapixels: z.string().optional(),
    num_inference_steps: z.number().int().min(1).optional(),
    output_quality: z.number().int().min(0).max(100).optional(),
    disable_safety_checker: z.boolean().optional(),
    aspect_ratio: z.string().optional(),
    output_format: z.enum(['webp', 'jpg', 'png']).optional(),
  })
  .loose();

export const IMAGE_EXTRA: Record<string, z.ZodType<Record<string, unknown>>> = {
  'black-forest-labs/flux-schnell': FluxSchnellExtra,
};
