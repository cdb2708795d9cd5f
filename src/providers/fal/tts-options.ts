/**
 * `extra` for fal speech: the endpoint's own input fields (ElevenLabs' `stability`,
 * `similarity_boost`, `style`…), merged over the input we map. Loose: other keys pass through
 * unchecked; the ones named here are checked before a paid call.
 */
import { z } from 'zod';

export const FalTtsExtraSchema = z.looseObject({
  voice: z.string().min(1).optional(),
  speed: z.number().positive().optional(),
  language_code: z.string().optional(),
  stability: z.number().min(0).max(1).optional(),
  similarity_boost: z.number().min(0).max(1).optional(),
  style: z.number().min(0).max(1).optional(),
  apply_text_normalization: z.enum(['auto', 'on', 'off']).optional(),
});
