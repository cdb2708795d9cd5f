import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from './deps.js';
import { runGeneration } from './run-generation.js';
import { GenerationOutputSchema, negativePromptField, promptField, routingFields, seedField, type SchemaLimits } from './schemas.js';

export function registerGenerateAudio(server: McpServer, deps: ToolDeps, limits: SchemaLimits): void {
  server.registerTool(
    'generate_audio',
    {
      title: 'Generate music or sound',
      description:
        'Generate music or sound effects from a text description (Lyria, Stable Audio, MusicGen and others). ' +
        'For speech from text use the tts tool. Audio files are returned as resource links.',
      inputSchema: {
        prompt: promptField(limits, 'prompt').describe('Description of the music or sound.'),
        negative_prompt: negativePromptField.optional(),
        count: z.number().int().min(1, 'must be at least 1').max(4, 'must be at most 4').default(1).describe('How many clips, 1 to 4.'),
        duration_seconds: z.number().min(1).max(300).optional().describe('Length in seconds, 1 to 300, where the model lets you choose.'),
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
          tool: 'generate_audio',
          capability: 'audio',
          prompt: { text: args.prompt, attachments: [] },
          options: {
            model: args.model,
            seed: args.seed,
            count: args.count,
            durationSeconds: args.duration_seconds,
            negativePrompt: args.negative_prompt,
            extra: args.extra ?? {},
          },
          plan: { provider: args.provider, model: args.model, fallback: args.fallback },
        },
        extra,
      ),
  );
}
