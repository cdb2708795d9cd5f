/** The `tts` tool: text to an audio file. */
import { z } from 'zod';
import type { GenerationToolDefinition } from './generation-tool.js';
import { promptField, type SchemaLimits } from './schemas.js';

/** A letter or digit in any script (CJK included): punctuation, symbols and whitespace alone make no speech. */
const SPEAKABLE = /[\p{L}\p{N}]/u;

const fields = (limits: SchemaLimits) => ({
  text: promptField(limits, 'text to speak')
    // Whitespace-only text already fails promptField's own check; one message is enough.
    .refine((s) => s.trim() === '' || SPEAKABLE.test(s), 'has nothing to speak: give at least one letter or digit (punctuation, symbols and whitespace alone make no speech)')
    .describe("The text to speak. Providers take at most a model's own length (list_providers: offline espeak-ng's max_text_chars)."),
  voice: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Voice name in the provider\'s naming (e.g. "Kore" for Gemini, "en-us" or "en+f3" for espeak-ng; list_providers lists espeak-ng\'s voices).'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en, en-US or fr')
    .optional()
    .describe('Language tag, e.g. en, en-US, fr, de.'),
  speed: z
    .number()
    .min(0.25, 'must be at least 0.25 (a quarter of normal speed)')
    .max(4, 'must be at most 4 (four times normal speed)')
    .optional()
    .describe("Speaking rate as a multiple of normal: 1 is normal, 0.25 to 4. Providers may take less: a model's own range is in list_providers (offline espeak-ng's speed), and a speed outside it is refused."),
  format: z.enum(['wav', 'mp3', 'ogg']).default('wav').describe('Audio format: wav, mp3 or ogg; providers support a subset (offline espeak-ng: wav).'),
});

export const tts: GenerationToolDefinition<'tts', ReturnType<typeof fields>> = {
  name: 'tts',
  title: 'Text to speech',
  description:
    'Speak text aloud into an audio file (Gemini speech, Kokoro on fal, Replicate or Hugging Face, or offline espeak-ng with no API key). ' +
    'Returns the audio as a resource link (artifact:// URI plus a file path).',
  capability: 'tts',
  fields,
  toRequest: (args) => ({
    prompt: { text: args.text, attachments: [] },
    options: { voice: args.voice, language: args.language, speed: args.speed, format: args.format },
  }),
};
