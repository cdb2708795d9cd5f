import { z } from 'zod';
import type { GenerationToolDefinition } from './generation-tool.js';
import { aspectRatioField, AttachmentSchema, negativePromptField, promptField, seedField, toAttachment, type SchemaLimits } from './schemas.js';

const fields = (limits: SchemaLimits) => ({
  prompt: promptField(limits, 'prompt').describe('Description of the video.'),
  negative_prompt: negativePromptField.optional(),
  count: z.number().int().min(1, 'must be at least 1').max(4, 'must be at most 4').default(1).describe('How many videos, 1 to 4.'),
  aspect_ratio: aspectRatioField.optional(),
  duration_seconds: z.number().int().min(1).max(60).optional().describe('Length in seconds, 1 to 60; models support a subset (Veo: 4, 6 or 8).'),
  resolution: z.enum(['720p', '1080p', '4k']).optional().describe('Output resolution: 720p, 1080p or 4k, where the model supports it.'),
  generate_audio: z.boolean().optional().describe('Generate a soundtrack with the video, where the model can.'),
  image: AttachmentSchema.optional().describe('First frame (image-to-video): an artifact:// URI, https, gs:// or data: URI.'),
  last_frame: AttachmentSchema.optional().describe('Last frame, for models that interpolate between two frames.'),
  seed: seedField.optional(),
});

export const generateVideo: GenerationToolDefinition<'video', ReturnType<typeof fields>> = {
  name: 'generate_video',
  title: 'Generate video',
  description:
    'Generate video from text, or from a first frame image (Veo, Kling and others). A long job: the server sends progress ' +
    'notifications while it waits and cancels the provider job if you cancel. Videos are returned as resource links with a file path.',
  capability: 'video',
  fields,
  toRequest: (args) => ({
    prompt: { text: args.prompt, attachments: [] },
    options: {
      seed: args.seed,
      count: args.count,
      aspectRatio: args.aspect_ratio,
      durationSeconds: args.duration_seconds,
      resolution: args.resolution,
      generateAudio: args.generate_audio,
      negativePrompt: args.negative_prompt,
      image: args.image ? toAttachment(args.image) : undefined,
      lastFrame: args.last_frame ? toAttachment(args.last_frame) : undefined,
    },
  }),
};
