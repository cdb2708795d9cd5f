/**
 * `extra` for Hugging Face images: `provider`, `bill_to`, and `width` / `height` in pixels
 * (which win over `aspect_ratio`). Any other key goes into the task's `parameters` untouched
 * (e.g. `num_inference_steps`, `guidance_scale`; for fal-ai the model's own input fields such
 * as `enable_safety_checker`), which the client places where each inference provider wants them.
 */
import { z } from 'zod';
import { CommonExtraShape, splitExtra } from './options.js';

const Pixels = z.number().int().min(64).max(4096);

export const ImageExtraSchema = z.object({ ...CommonExtraShape, width: Pixels.optional(), height: Pixels.optional() }).loose();
export type ImageExtra = z.infer<typeof ImageExtraSchema>;

const NAMED = ['provider', 'bill_to', 'width', 'height'] as const;

export function parseImageExtra(extra: Record<string, unknown>): { named: ImageExtra; parameters: Record<string, unknown> } {
  const { named, rest } = splitExtra(ImageExtraSchema, extra, NAMED);
  return { named, parameters: rest };
}
