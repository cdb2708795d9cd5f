import { z } from 'zod';
import type { GenerationToolDefinition } from './generation-tool.js';
import { promptField, type SchemaLimits } from './schemas.js';

const fields = (limits: SchemaLimits) => ({
  text: promptField(limits, 'text to speak').describe('The text to speak.'),
  voice: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Voice name in the provider\'s naming (e.g. "Kore" for Gemini, "en-us" or "en+f3" for espeak-ng).'),
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
    .describe('Speaking rate as a multiple of normal: 1 is normal, 0.25 to 4.'),
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
