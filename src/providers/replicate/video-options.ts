/**
 * `extra` for Replicate video models: MiniMax Hailuo's inputs beyond the common options, checked
 * by type (`resolution` here may name 512p, which the common option cannot); anything else goes
 * to the model's input as is.
 */
import { z } from 'zod';

const HailuoExtra = z
  .object({
    prompt_optimizer: z.boolean().optional(),
    resolution: z.enum(['512p', '768p', '1080p']).optional(),
    duration: z.number().int().optional(),
    first_frame_image: z.string().optional(),
    last_frame_image: z.string().optional(),
  })
  .loose();

export const VIDEO_EXTRA: Record<string, z.ZodType<Record<string, unknown>>> = {
  'minimax/hailuo-02': HailuoExtra,
  'minimax/hailuo-2.3': HailuoExtra.extend({ resolution: z.enum(['768p', '1080p']).optional() }),
};
