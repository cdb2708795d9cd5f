/** The `list_providers` tool: every provider, whether it is usable, and its models' declared limits. */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { CAPABILITIES, type Capability, type ProviderInfo } from '../providers/base.js';
import type { ProviderStatus } from '../registry/registry.js';
import type { ToolDeps } from './deps.js';

const CapabilityEnum = z.enum(CAPABILITIES as [Capability, ...Capability[]]);

const ProviderOutputSchema = z.object({
  id: z.string().describe('Provider id, as the provider argument of the generation tools takes it.'),
  displayName: z.string().describe('Human-readable name.'),
  capabilities: z.array(CapabilityEnum).describe('What it can generate.'),
  implemented: z.boolean().describe('Whether this server has an adapter for it yet.'),
  enabled: z.boolean().describe('Whether its feature flag is on (ENABLE_PROVIDER_<ID>, or on because a key is set).'),
  configured: z.boolean().describe('Whether every credential it needs is present.'),
  usable: z.boolean().describe('implemented, enabled and configured: calls can be routed to it.'),
  missing: z.array(z.string()).describe('Environment variables still needed ("A or B" where either works). Names only, never values.'),
  credentialMode: z.string().optional().describe('Which way of authenticating is in use, when configured (e.g. "API key", "Application Default Credentials").'),
  missingByCapability: z.record(z.string(), z.array(z.string())).optional().describe('Variables one capability alone still needs.'),
  defaultModels: z.record(z.string(), z.string()).describe('Model used per capability when none is named.'),
  priority: z.number().describe('Lower is tried first.'),
  featureFlag: z.string().describe('The env var that turns it on or off.'),
  notes: z.string().optional().describe('What it is, or why it is not available yet.'),
  models: z
    .record(z.string(), z.record(z.string(), z.json()))
    .optional()
    .describe(
      'Known models and their limits, keyed by model id, as config/providers.yaml declares them — e.g. local espeak-ng: ' +
        'speed {min, max}, max_text_chars, max_duration_seconds, formats, voices, voice_variants. A request outside a listed limit is refused before it runs.',
    ),
});

type ProviderOutput = z.infer<typeof ProviderOutputSchema>;

export function registerListProviders(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'list_providers',
    {
      title: 'List providers',
      description:
        'List every provider this server knows, what each can generate, and whether it is usable now — with the names of any ' +
        'missing environment variables. Call this first to see what is ready. Never shows secret values.',
      inputSchema: z.object({
        capability: CapabilityEnum.optional().describe('Only providers offering this capability: text, image, video, audio or tts.'),
      }),
      outputSchema: z.object({ providers: z.array(ProviderOutputSchema).describe('Providers in priority order.') }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      const providers = deps.registry.list(args.capability).map((p) => withModels(p, deps.registry.get(p.id)));
      return {
        content: [{ type: 'text', text: providers.map(describe).join('\n') }],
        structuredContent: { providers },
      };
    },
  );
}

/** The status plus the models the YAML declares (limits are data there, so they are shown as they are). */
function withModels(p: ProviderStatus, info: ProviderInfo | undefined): ProviderOutput {
  const models = info?.models ?? {};
  return Object.keys(models).length ? { ...p, models: models as ProviderOutput['models'] } : p;
}

/** `{min, max}` as a range, lists comma-separated, anything else as JSON. */
function limitText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object' && value !== null) {
    const { min, max } = value as { min?: unknown; max?: unknown };
    if (typeof min === 'number' && typeof max === 'number' && Object.keys(value).length === 2) return `${min}–${max}`;
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * A line for each default model with declared limits, e.g. "  tts espeak-ng: speed 0.5–2.5; …": an agent that reads
 * only the text content still sees what the model will refuse (structuredContent has every model).
 */
function defaultModelLines(p: ProviderOutput): string[] {
  return Object.entries(p.defaultModels).flatMap(([capability, id]) => {
    const spec = p.models?.[id];
    if (!spec) return [];
    const limits = Object.entries(spec).filter(([key]) => key !== 'capability' && key !== 'notes');
    return limits.length ? [`  ${capability} ${id}: ${limits.map(([key, value]) => `${key} ${limitText(value)}`).join('; ')}`] : [];
  });
}

/** One line per provider, for agents and people reading the text content, then its default models' limits. */
export function describe(p: ProviderOutput): string {
  const state = p.usable
    ? 'usable'
    : !p.implemented
      ? 'not implemented yet'
      : !p.enabled
        ? p.missing.length
          ? `not set up: needs ${p.missing.join('; or ')}`
          : `turned off by ${p.featureFlag}`
        : `missing ${p.missing.join('; or ')}`;
  const capMissing = Object.entries(p.missingByCapability ?? {}).map(([cap, m]) => `${cap} needs ${m.join(', ')}`);
  const line = `${p.id} (${p.displayName}) — ${state}; capabilities: ${p.capabilities.join(', ')}${capMissing.length ? `; ${capMissing.join('; ')}` : ''}`;
  return [line, ...defaultModelLines(p)].join('\n');
}
