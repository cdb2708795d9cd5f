/**
 * `extra` for fal music and sound: the endpoint's own input fields (Stable Audio's `steps` and
 * `seconds_start`, MMAudio's `num_steps`, ElevenLabs' `prompt_influence`…), merged over the
 * input we map. Loose: other keys pass through unchecked; the ones named here are checked.
 */
import { z } from 'zod';

export const FalAudioExtraSchema = z.looseObject({
  seconds_total: z.number().positive().optional(),
  seconds_start: z.number().min(0).optional(),
  steps: z.number().int().min(1).optional(),
  duration: z.number().positive().optional(),
  duration_seconds: z.number().positive().optional(),
  num_steps: z.number().int().min(1).optional(),
  cfg_strength: z.number().optional(),
  prompt_influence: z.number().min(0).max(1).optional(),
  negative_prompt: z.string().optional(),
  seed: z.number().int().min(0).optional(),
});
