import { z } from 'zod';
import type { GenerationToolDefinition } from './generation-tool.js';
import { AttachmentSchema, promptField, seedField, toAttachment, type SchemaLimits } from './schemas.js';

const fields = (limits: SchemaLimits) => ({
  prompt: promptField(limits, 'prompt').describe('What to ask the model.'),
  system: z.string().max(limits.maxPromptChars).optional().describe('System instructions that steer the model.'),
  attachments: z.array(AttachmentSchema).max(16).optional().describe('Images (or other files the model accepts) to send with the prompt, at most 16.'),
  max_tokens: z.number().int().min(1).max(1_000_000).optional().describe('Upper bound on output tokens (1 to 1000000).'),
  temperature: z.number().min(0).max(2).optional().describe('Sampling temperature, 0 to 2. Lower is more deterministic.'),
  top_p: z.number().min(0).max(1).optional().describe('Nucleus sampling probability mass, 0 to 1.'),
  response_format: z.enum(['text', 'json']).default('text').describe('"json" asks the model for a JSON object.'),
  seed: seedField.optional(),
});

export const generateText: GenerationToolDefinition<'text', ReturnType<typeof fields>> = {
  name: 'generate_text',
  title: 'Generate text',
  description:
    'Generate text with a language model (Gemini, any OpenRouter model, Llama and other models on Replicate or Hugging Face, or a local OpenAI-compatible server). ' +
    'Accepts a system prompt and image attachments. Returns the text plus usage, cost and telemetry.',
  capability: 'text',
  fields,
  toRequest: (args) => ({
    prompt: { text: args.prompt, system: args.system, attachments: (args.attachments ?? []).map(toAttachment) },
    options: {
      seed: args.seed,
      maxTokens: args.max_tokens,
      temperature: args.temperature,
      topP: args.top_p,
      responseFormat: args.response_format,
    },
  }),
};
