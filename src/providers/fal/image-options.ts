/**
 * `extra` for fal images: the endpoint's own input fields, merged over the input we map from
 * the common options (so `extra` wins). Loose: any other key passes through to the endpoint
 * unchecked; the fields named here are checked before a paid call, because a wrong type there
 * would only come back as a 422 from fal.
 */
import { z } from 'zod';

const ImageSize = z.union([
  z.enum(['square_hd', 'square', 'portrait_4_3', 'portrait_16_9', 'landscape_4_3', 'landscape_16_9']),
  z.strictObject({ width: z.number().int().positive(), height: z.number().int().positive() }),
]);

export const FalImageExtraSchema = z.looseObject({
  image_size: ImageSize.optional(),
  aspect_ratio: z.string().optional(),
  num_images: z.number().int().min(1).optional(),
  num_inference_steps: z.number().int().min(1).optional(),
  guidance_scale: z.number().optional(),
  strength: z.number().min(0).max(1).optional(),
  enable_safety_checker: z.boolean().optional(),
  safety_tolerance: z.union([z.string(), z.number()]).optional(),
  sync_mode: z.boolean().optional(),
  output_format: z.enum(['jpeg', 'png', 'webp']).optional(),
  acceleration: z.enum(['none', 'regular', 'high']).optional(),
  seed: z.number().int().min(0).optional(),
  image_url: z.string().optional(),
  image_urls: z.array(z.string()).optional(),
});
