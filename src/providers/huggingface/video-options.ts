/**
 * `extra` for Hugging Face video: `provider` (only fal-ai serves text-to-video here) and
 * `bill_to`. Any other key goes into the fal model's input untouched (e.g. `num_frames`,
 * `enable_prompt_expansion`, `resolution`).
 */
import { z } from 'zod';
import { CommonExtraShape, splitExtra } from './options.js';

export const VideoExtraSchema = z.object({ ...CommonExtraShape }).loose();
export type VideoExtra = z.infer<typeof VideoExtraSchema>;

const NAMED = ['provider', 'bill_to'] as const;

export function parseVideoExtra(extra: Record<string, unknown>): { named: VideoExtra; parameters: Record<string, unknown> } {
  const { named, rest } = splitExtra(VideoExtraSchema, extra, NAMED);
  return { named, parameters: rest };
}
