/**
 * Limits of local text-to-speech as data. What `local` accepts (speed range, text length, length
 * of speech, formats, voices) is declared in config/providers.yaml (`local.models.espeak-ng`), so
 * list_providers can show it and a user's MCP_PROVIDERS_CONFIG can narrow it; this module
 * validates that entry. What espeak-ng itself can do (its words-per-minute range) stays in code
 * and bounds what the YAML may declare.
 */
import { z } from 'zod';
import { ProviderError, parseModelEntry } from '../errors.js';

const PROVIDER_ID = 'local';
export const ESPEAK_MODEL = 'espeak-ng';

/** espeak-ng's normal rate, words per minute; a speed multiplies it. */
export const BASE_WPM = 175;
/** What espeak-ng's `-s` takes; outside it espeak clamps silently, so the YAML may not declare more. */
const ENGINE_WPM = { min: 80, max: 450 } as const;

const TtsModelSchema = z
  .object({
    capability: z.literal('tts'),
    /** Accepted speed multipliers (1 is normal); a request outside is refused rather than clamped. */
    speed: z
      .object({ min: z.number().positive(), max: z.number().positive() })
      .strict()
      .refine((s) => s.min <= s.max, 'min must not be above max')
      .refine(
        (s) => s.min * BASE_WPM >= ENGINE_WPM.min && s.max * BASE_WPM <= ENGINE_WPM.max,
        `espeak-ng speaks ${ENGINE_WPM.min}–${ENGINE_WPM.max} words a minute, i.e. speeds from ${(ENGINE_WPM.min / BASE_WPM).toFixed(3)} to ${(ENGINE_WPM.max / BASE_WPM).toFixed(3)}`,
      ),
    /** Longest text, in characters as the tool counts them (UTF-16 code units). */
    max_text_chars: z.number().int().positive(),
    /** Longest speech one call may produce; text that would speak longer is refused, not cut. */
    max_duration_seconds: z.number().positive(),
    /** Audio formats produced (espeak-ng writes WAV, and nothing here converts it). */
    formats: z.array(z.literal('wav')).min(1),
    /** Names `voice` and `language` accept: espeak-ng voices and the language codes they answer to. */
    voices: z.array(z.string().min(1)).min(1),
    /** Variants, given as voice+variant (en+f3) or alone as the voice. */
    voice_variants: z.array(z.string().min(1)),
    notes: z.string().optional(),
  })
  .strict();

/** Local text models are whatever the caller's OpenAI-compatible server has; an entry only documents one. */
const TextModelSchema = z.object({ capability: z.literal('text'), notes: z.string().optional() }).strict();

export type LocalTtsModel = z.infer<typeof TtsModelSchema>;

/**
 * The espeak-ng entry of `info.models`, validated. Every entry is checked (a typo is an error,
 * not a silently ignored limit); a missing espeak-ng entry is one too, since without it local
 * would have no declared limits to check or show.
 */
export function parseLocalTtsModel(models: Record<string, Record<string, unknown>>): LocalTtsModel {
  let tts: LocalTtsModel | undefined;
  for (const [id, raw] of Object.entries(models)) {
    const entry = parseModelEntry(PROVIDER_ID, id, raw.capability === 'tts' ? TtsModelSchema : TextModelSchema, raw);
    if (id === ESPEAK_MODEL && entry.capability === 'tts') tts = entry;
  }
  if (!tts) {
    throw new ProviderError({
      code: 'internal',
      providerId: PROVIDER_ID,
      message: `config/providers.yaml has no local.models.${ESPEAK_MODEL} entry with capability tts: it declares what local text-to-speech accepts (speed, max_text_chars, max_duration_seconds, formats, voices).`,
    });
  }
  return tts;
}
