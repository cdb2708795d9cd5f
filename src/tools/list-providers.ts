/** The `list_providers` tool: every provider, whether it is usable, and its models' declared limits. */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { SpendReport } from '../jobs/jobs.js';
import { CAPABILITIES, type Capability, type ProviderInfo } from '../providers/base.js';
import type { ServerConfig } from '../registry/config.js';
import { formatUsd } from '../registry/prices.js';
import type { ProviderStatus } from '../registry/registry.js';
import type { ToolDeps } from './deps.js';

const CapabilityEnum = z.enum(CAPABILITIES as [Capability, ...Capability[]]);

const SpendSchema = z.object({
  todayUsd: z.number().describe('Spent today (UTC day), US dollars: finished calls at their cost, running ones at their estimate.'),
  last30DaysUsd: z.number().describe('Spent over the last 30 days, today included.'),
  unknownCostCalls: z.number().int().describe('Calls over the last 30 days whose cost is not known (no price), not counted in the sums.'),
});

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
  spend: SpendSchema.optional().describe('What calls to this provider have cost, from the job store (absent when the store could not be read).'),
});

type ProviderOutput = z.infer<typeof ProviderOutputSchema>;

export function registerListProviders(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'list_providers',
    {
      title: 'List providers',
      description:
        'List every provider this server knows, what each can generate, and whether it is usable now — with the names of any ' +
        'missing environment variables, and what calls to each have cost today and over 30 days. Call this first to see what is ready. Never shows secret values.',
      inputSchema: z.object({
        capability: CapabilityEnum.optional().describe('Only providers offering this capability: text, image, video, audio or tts.'),
      }),
      outputSchema: z.object({
        providers: z.array(ProviderOutputSchema).describe('Providers in priority order.'),
        spend: SpendSchema.omit({ unknownCostCalls: true })
          .extend({
            dailyBudgetUsd: z.number().optional().describe('MCP_PROVIDERS_DAILY_BUDGET_USD, when set.'),
            maxCostUsd: z.number().optional().describe('MCP_PROVIDERS_MAX_COST_USD, the default cap per call, when set.'),
          })
          .optional()
          .describe('All providers together (absent when the job store could not be read).'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      // Spend is extra: a job store that cannot be read (locked, damaged) leaves it out, never fails the listing.
      const report = await deps.jobs.spend().catch((err: unknown) => {
        deps.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'list_providers: the job store could not be read; spend left out');
        return undefined;
      });
      const providers = deps.registry.list(args.capability).map((p) => ({ ...withModels(p, deps.registry.get(p.id)), ...(report ? { spend: providerSpend(report, p.id) } : {}) }));
      const spend = report && spendSummary(report, deps.config);
      return {
        content: [{ type: 'text', text: [...providers.map(describe), spend ? spendLine(spend) : 'Spend: not known (the job store could not be read).'].join('\n') }],
        structuredContent: { providers, ...(spend ? { spend } : {}) },
      };
    },
  );
}

/** The status plus the models the YAML declares (limits are data there, so they are shown as they are). */
function withModels(p: ProviderStatus, info: ProviderInfo | undefined): Omit<ProviderOutput, 'spend'> {
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
function defaultModelLines(p: Pick<ProviderOutput, 'defaultModels' | 'models'>): string[] {
  return Object.entries(p.defaultModels).flatMap(([capability, id]) => {
    const spec = p.models?.[id];
    if (!spec) return [];
    const limits = Object.entries(spec).filter(([key]) => key !== 'capability' && key !== 'notes');
    return limits.length ? [`  ${capability} ${id}: ${limits.map(([key, value]) => `${key} ${limitText(value)}`).join('; ')}`] : [];
  });
}

type ProviderSpendSummary = z.infer<typeof SpendSchema>;

/** All providers together, with the limits that apply: the `spend` of list_providers and of doctor. */
export interface SpendSummary {
  todayUsd: number;
  last30DaysUsd: number;
  dailyBudgetUsd?: number;
  maxCostUsd?: number;
}

export function spendSummary(report: SpendReport, config: Pick<ServerConfig, 'dailyBudgetUsd' | 'maxCostUsd'>): SpendSummary {
  const { dailyBudgetUsd, maxCostUsd } = config;
  return { todayUsd: report.todayUsd, last30DaysUsd: report.last30DaysUsd, ...(dailyBudgetUsd !== undefined ? { dailyBudgetUsd } : {}), ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) };
}

/** One provider's spend from the report. */
export function providerSpend(report: SpendReport, id: string): ProviderSpendSummary {
  const row = report.providers.find((r) => r.provider === id);
  return { todayUsd: row?.todayUsd ?? 0, last30DaysUsd: row?.last30DaysUsd ?? 0, unknownCostCalls: row?.unknownCostCalls ?? 0 };
}

/** Whether a provider's spend is worth a mention: anything over 30 days, or calls of unknown cost. */
export function hasSpend(s: ProviderSpendSummary): boolean {
  return s.last30DaysUsd > 0 || s.unknownCostCalls > 0;
}

/** "today $0.12, last 30 days $3.40, 2 calls of unknown cost": one provider's spend in words. */
export function providerSpendText(s: ProviderSpendSummary): string {
  const unknown = s.unknownCostCalls ? `, ${s.unknownCostCalls} call${s.unknownCostCalls === 1 ? '' : 's'} of unknown cost` : '';
  return `today ${formatUsd(s.todayUsd)}, last 30 days ${formatUsd(s.last30DaysUsd)}${unknown}`;
}

/** "Spend (UTC): today $0.12 of a $5.00 budget; last 30 days $3.40; cap per call $1.00." */
export function spendLine(s: SpendSummary): string {
  const budget = s.dailyBudgetUsd !== undefined ? ` of a ${formatUsd(s.dailyBudgetUsd)} daily budget` : '';
  const cap = s.maxCostUsd !== undefined ? `; cap per call ${formatUsd(s.maxCostUsd)}` : '';
  return `Spend (UTC): today ${formatUsd(s.todayUsd)}${budget}; last 30 days ${formatUsd(s.last30DaysUsd)}${cap}.`;
}

/** One line per provider, for agents and people reading the text content, then its default models' limits. */
export function describe(p: Omit<ProviderOutput, 'spend'> & { spend?: ProviderOutput['spend'] }): string {
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
  const spent = p.spend && hasSpend(p.spend) ? `; spent ${providerSpendText(p.spend)}` : '';
  const line = `${p.id} (${p.displayName}) — ${state}; capabilities: ${p.capabilities.join(', ')}${capMissing.length ? `; ${capMissing.join('; ')}` : ''}${spent}`;
  return [line, ...defaultModelLines(p)].join('\n');
}
