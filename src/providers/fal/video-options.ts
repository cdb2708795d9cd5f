/**
 * `extra` for fal videos: the endpoint's own input fields (Kling's `cfg_scale`, MiniMax's
 * `prompt_optimizer`, Veo's `enhance_prompt`…), merged over the input we map. Loose: other keys
 * pass through unchecked; the ones named here are checked before a paid call.
 */
import { z } from 'zod';

export const FalVideoExtraSchema = z.looseObject({
  duration: z.union([z.string(), z.number()]).optional(),
  aspect_ratio: z.string().optional(),
  resolution: z.string().optional(),
  negative_prompt: z.string().optional(),
  cfg_scale: z.number().min(0).max(1).optional(),
  generate_audio: z.boolean().optional(),
  prompt_optimizer: z.boolean().optional(),
  enhance_prompt: z.boolean().optional(),
  seed: z.number().int().min(0).optional(),
  image_url: z.string().optional(),
  tail_image_url: z.string().optional(),
});
