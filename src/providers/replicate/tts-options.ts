/**
 * `extra` for Replicate speech models: Kokoro takes only text, voice and speed, all common
 * options; `extra.voice` (e.g. "bf_emma") and `extra.speed` are checked by type when given
 * there instead, and anything else goes to the model's input as is.
 */
import { z } from 'zod';

const KokoroExtra = z
  .object({
    voice: z.string().min(1).optional(),
    speed: z.number().min(0.1).max(5).optional(),
  })
  .loose();

export const TTS_EXTRA: Record<string, z.ZodType<Record<string, unknown>>> = {
  'jaaari/kokoro-82m': KokoroExtra,
};
