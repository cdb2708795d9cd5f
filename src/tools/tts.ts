import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from './deps.js';
import { runGeneration } from './run-generation.js';
import { GenerationOutputSchema, promptField, routingFields, type SchemaLimits } from './schemas.js';

export function registerTts(server: McpServer, deps: ToolDeps, limits: SchemaLimits): void {
  server.registerTool(
    'tts',
    {
      title: 'Text to speech',
      description:
        'Speak text aloud into an audio file (Gemini speech, or offline espeak-ng with no API key). ' +
        'Returns the audio as a resource link (artifact:// URI plus a file path).',
      inputSchema: {
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
        ...routingFields(limits),
      },
      outputSchema: GenerationOutputSchema.shape,
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    (args, extra) =>
      runGeneration(
        deps,
        {
          tool: 'tts',
          capability: 'tts',
          prompt: { text: args.text, attachments: [] },
          options: { model: args.model, voice: args.voice, language: args.language, speed: args.speed, format: args.format, extra: args.extra ?? {} },
          plan: { provider: args.provider, model: args.model, fallback: args.fallback },
        },
        extra,
      ),
  );
}
