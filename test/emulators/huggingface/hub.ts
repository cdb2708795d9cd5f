/**
 * The Hub's provider mapping as the emulator serves it: `GET /api/models/{org}/{name}?expand[]=inferenceProviderMapping`
 * → `{_id, id, inferenceProviderMapping: [{provider, providerId, status, task, hfModelId}]}` (the array
 * form the Hub answers with today; the client also reads the older object form).
 */
import type { MappingEntry } from './types.js';

/** The models the tests use, with mappings in the shape (and, where known, the ids) the Hub lists. */
export const DEFAULT_MAPPINGS: Record<string, MappingEntry[]> = {
  'meta-llama/Llama-3.1-8B-Instruct': [
    { provider: 'together', providerId: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', task: 'conversational' },
    { provider: 'hf-inference', providerId: 'meta-llama/Llama-3.1-8B-Instruct', task: 'conversational' },
  ],
  'black-forest-labs/FLUX.1-schnell': [
    { provider: 'hf-inference', providerId: 'black-forest-labs/FLUX.1-schnell', task: 'text-to-image' },
    { provider: 'fal-ai', providerId: 'fal-ai/flux/schnell', task: 'text-to-image' },
    { provider: 'together', providerId: 'black-forest-labs/FLUX.1-schnell', task: 'text-to-image' },
    { provider: 'replicate', providerId: 'black-forest-labs/flux-schnell', task: 'text-to-image' },
  ],
  // wavespeed first: `auto` must skip a provider this server cannot read and take fal-ai.
  'Wan-AI/Wan2.1-T2V-14B': [
    { provider: 'wavespeed', providerId: 'wavespeed-ai/wan-2.1/t2v-480p', task: 'text-to-video' },
    { provider: 'fal-ai', providerId: 'fal-ai/wan-t2v', task: 'text-to-video' },
  ],
  'stabilityai/stable-audio-open-1.0': [{ provider: 'fal-ai', providerId: 'fal-ai/stable-audio', task: 'text-to-audio' }],
  'facebook/musicgen-small': [{ provider: 'hf-inference', providerId: 'facebook/musicgen-small', task: 'text-to-audio' }],
  'hexgrad/Kokoro-82M': [
    { provider: 'fal-ai', providerId: 'fal-ai/kokoro/american-english', task: 'text-to-speech' },
    { provider: 'replicate', providerId: 'jaaari/kokoro-82m', task: 'text-to-speech' },
  ],
  'facebook/mms-tts-eng': [{ provider: 'hf-inference', providerId: 'facebook/mms-tts-eng', task: 'text-to-speech' }],
};

/** The Hub's answer for one model. */
export function hubModel(id: string, entries: MappingEntry[]): Record<string, unknown> {
  return {
    _id: `emu${Buffer.from(id).toString('hex').slice(0, 21)}`,
    id,
    inferenceProviderMapping: entries.map((e) => ({ provider: e.provider, providerId: e.providerId, status: e.status ?? 'live', task: e.task, hfModelId: id })),
  };
}
