import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from './deps.js';
import { runGeneration } from './run-generation.js';
import { AttachmentSchema, GenerationOutputSchema, promptField, routingFields, seedField, toAttachment, type SchemaLimits } from './schemas.js';

export function registerGenerateText(server: McpServer, deps: ToolDeps, limits: SchemaLimits): void {
  server.registerTool(
    'generate_text',
    {
      title: 'Generate text',
      description:
        'Generate text with a language model (Gemini, any OpenRouter model, or a local OpenAI-compatible server). ' +
        'Accepts a system prompt and image attachments. Returns the text plus usage, cost and telemetry.',
      inputSchema: {
        prompt: promptField(limits, 'prompt').describe('What to ask the model.'),
        system: z.string().max(limits.maxPromptChars).optional().describe('System instructions that steer the model.'),
        attachments: z.array(AttachmentSchema).max(16).optional().describe('Images (or other files the model accepts) to send with the prompt, at most 16.'),
        max_tokens: z.number().int().min(1).max(1_000_000).optional().describe('Upper bound on output tokens (1 to 1000000).'),
        temperature: z.number().min(0).max(2).optional().describe('Sampling temperature, 0 to 2. Lower is more deterministic.'),
        top_p: z.number().min(0).max(1).optional().describe('Nucleus sampling probability mass, 0 to 1.'),
        response_format: z.enum(['text', 'json']).default('text').describe('"json" asks the model for a JSON object.'),
        seed: seedField.optional(),
        ...routingFields(limits),
      },
      outputSchema: GenerationOutputSchema.shape,
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    (args, extra) =>
      runGeneration(
        deps,
        {
          tool: 'generate_text',
          capability: 'text',
          prompt: { text: args.prompt, system: args.system, attachments: (args.attachments ?? []).map(toAttachment) },
          options: {
            model: args.model,
            seed: args.seed,
            maxTokens: args.max_tokens,
            temperature: args.temperature,
            topP: args.top_p,
            responseFormat: args.response_format,
            extra: args.extra ?? {},
          },
          plan: { provider: args.provider, model: args.model, fallback: args.fallback },
        },
        extra,
      ),
  );
}
