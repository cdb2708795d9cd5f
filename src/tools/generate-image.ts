import { z } from 'zod';
import type { GenerationToolDefinition } from './generation-tool.js';
import { aspectRatioField, AttachmentSchema, negativePromptField, promptField, seedField, toAttachment, type SchemaLimits } from './schemas.js';

const FORMATS = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

const fields = (limits: SchemaLimits) => ({
  prompt: promptField(limits, 'prompt').describe('Description of the image to make.'),
  negative_prompt: negativePromptField.optional(),
  count: z.number().int().min(1, 'must be at least 1').max(8, 'must be at most 8').default(1).describe('How many images, 1 to 8.'),
  aspect_ratio: aspectRatioField.optional(),
  output_format: z.enum(['png', 'jpeg', 'webp']).optional().describe('Image format, where the model lets you choose: png, jpeg or webp.'),
  attachments: z.array(AttachmentSchema).max(16).optional().describe('Reference images for editing or style, at most 16.'),
  seed: seedField.optional(),
});

export const generateImage: GenerationToolDefinition<'image', ReturnType<typeof fields>> = {
  name: 'generate_image',
  title: 'Generate image',
  description:
    'Generate images from a text prompt (Imagen, Gemini image models, FLUX and others). Reference images can be attached. ' +
    'Each image is stored and returned as a resource link (artifact:// URI, plus a file path) to the full-size file.',
  capability: 'image',
  fields,
  toRequest: (args) => ({
    prompt: { text: args.prompt, attachments: (args.attachments ?? []).map(toAttachment) },
    options: {
      seed: args.seed,
      count: args.count,
      aspectRatio: args.aspect_ratio,
      negativePrompt: args.negative_prompt,
      outputMimeType: args.output_format ? FORMATS[args.output_format] : undefined,
    },
  }),
};
