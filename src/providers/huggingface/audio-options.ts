/**
 * `extra` for Hugging Face audio (text-to-audio: music, sound): `provider` and `bill_to`. Any
 * other key goes into the task's `parameters` untouched, e.g. `seconds_total` for Stable Audio
 * on fal-ai or `generation_parameters` for hf-inference models.
 */
import { z } from 'zod';
import { CommonExtraShape, splitExtra } from './options.js';

export const AudioExtraSchema = z.object({ ...CommonExtraShape }).loose();
export type AudioExtra = z.infer<typeof AudioExtraSchema>;

const NAMED = ['provider', 'bill_to'] as const;

export function parseAudioExtra(extra: Record<string, unknown>): { named: AudioExtra; parameters: Record<string, unknown> } {
  const { named, rest } = splitExtra(AudioExtraSchema, extra, NAMED);
  return { named, parameters: rest };
}
