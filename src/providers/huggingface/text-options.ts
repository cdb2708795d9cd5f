/**
 * `extra` for Hugging Face text: `provider` (inference provider; default: the router's own
 * `auto` choice, or the model's YAML `provider`) and `bill_to`. Any other key is merged into
 * the chat-completion body untouched (e.g. `stop`, `frequency_penalty`, `reasoning_effort`).
 */
import { z } from 'zod';
import { CommonExtraShape, splitExtra } from './options.js';

export const TextExtraSchema = z.object({ ...CommonExtraShape }).loose();
export type TextExtra = z.infer<typeof TextExtraSchema>;

const NAMED = ['provider', 'bill_to'] as const;

/** Keys that would change the response shape or the target: never taken from `extra`. */
const RESERVED = ['stream', 'model', 'messages'];

export function parseTextExtra(extra: Record<string, unknown>): { named: TextExtra; body: Record<string, unknown> } {
  const { named, rest } = splitExtra(TextExtraSchema, extra, NAMED);
  for (const key of RESERVED) delete rest[key];
  return { named, body: rest };
}
