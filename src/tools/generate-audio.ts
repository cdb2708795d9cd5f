import { z } from 'zod';
import type { GenerationToolDefinition } from './generation-tool.js';
import { negativePromptField, promptField, seedField, type SchemaLimits } from './schemas.js';

const fields = (limits: SchemaLimits) => ({
  prompt: promptField(limits, 'prompt').describe('Description of the music or sound.'),
  negative_prompt: negativePromptField.optional(),
  count: z.number().int().min(1, 'must be at least 1').max(4, 'must be at most 4').default(1).describe('How many clips, 1 to 4.'),
  duration_seconds: z.number().min(1).max(300).optional().describe('Length in seconds, 1 to 300, where the model lets you choose.'),
  seed: seedField.optional(),
});

export const generateAudio: GenerationToolDefinition<'audio', ReturnType<typeof fields>> = {
  name: 'generate_audio',
  title: 'Generate music or sound',
  description:
    'Generate music or sound effects from a text description (Lyria, Stable Audio, MusicGen and others). ' +
    'For speech from text use the tts tool. Audio files are returned as resource links.',
  capability: 'audio',
  fields,
  toRequest: (args) => ({
    prompt: { text: args.prompt, attachments: [] },
    options: { seed: args.seed, count: args.count, durationSeconds: args.duration_seconds, negativePrompt: args.negative_prompt },
  }),
};
