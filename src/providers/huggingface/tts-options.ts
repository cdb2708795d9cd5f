/**
 * `extra` for Hugging Face speech: `provider` and `bill_to`. Any other key goes into the
 * task's `parameters` untouched (e.g. `lang_code` for Kokoro, `generation_parameters` for
 * hf-inference models).
 */
import { z } from 'zod';
import { CommonExtraShape, splitExtra } from './options.js';

export const TtsExtraSchema = z.object({ ...CommonExtraShape }).loose();
export type TtsExtra = z.infer<typeof TtsExtraSchema>;

const NAMED = ['provider', 'bill_to'] as const;

export function parseTtsExtra(extra: Record<string, unknown>): { named: TtsExtra; parameters: Record<string, unknown> } {
  const { named, rest } = splitExtra(TtsExtraSchema, extra, NAMED);
  return { named, parameters: rest };
}
