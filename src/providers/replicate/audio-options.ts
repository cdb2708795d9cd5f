/**
 * `extra` for Replicate music models: MusicGen's inputs beyond the common options (checkpoint,
 * output format, sampling, melody continuation), checked by type; anything else goes to the
 * model's input as is. `output_format: "mp3"` makes MP3s (WAV otherwise).
 */
import { z } from 'zod';

const MusicGenExtra = z
  .object({
    model_version: z.string().optional(),
    output_format: z.enum(['wav', 'mp3']).optional(),
    normalization_strategy: z.enum(['loudness', 'clip', 'peak', 'rms']).optional(),
    top_k: z.number().int().min(0).optional(),
    top_p: z.number().min(0).max(1).optional(),
    temperature: z.number().min(0).optional(),
    classifier_free_guidance: z.number().int().optional(),
    input_audio: z.string().optional(),
    continuation: z.boolean().optional(),
    continuation_start: z.number().int().min(0).optional(),
    continuation_end: z.number().int().optional(),
    multi_band_diffusion: z.boolean().optional(),
  })
  .loose();

export const AUDIO_EXTRA: Record<string, z.ZodType<Record<string, unknown>>> = {
  'meta/musicgen': MusicGenExtra,
};
