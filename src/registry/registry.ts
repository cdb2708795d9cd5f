/**
 * Provider registry: who is usable and why not, which providers a call should try
 * (`plan`), and lazy creation of adapters.
 */
import type { AdapterEnv, Capability, ProviderAdapter, ProviderInfo, ProviderModule, Requirement } from '../providers/base.js';
import { invalidRequest, ProviderError } from '../providers/errors.js';
import type { DefaultChoice, Env } from './config.js';
import { Pricing } from './cost.js';
import { anyVariableSet, credentialStatus, unmet } from './credentials.js';

/** What `list_providers` and `doctor` show for one provider. Never holds a secret value. */
export interface ProviderStatus {
  id: string;
  displayName: string;
  capabilities: Capability[];
  implemented: boolean;
  enabled: boolean;
  /** Every credential entry has at least one variable set. */
  configured: boolean;
  usable: boolean;
  /** Names of the variables still needed (alternatives joined with " or "; one line per way to authenticate). */
  missing: string[];
  /** The way of authenticating that is met, when configured. */
  credentialMode?: string;
  /** Capabilities that need more than the provider as a whole, and what they miss. */
  missingByCapability?: Partial<Record<Capability, string[]>>;
  defaultModels: Partial<Record<Capability, string>>;
  priority: number;
  featureFlag: string;
  notes?: string;
}

export interface PlanRequest {
  provider?: string;
  model?: string;
  /** Try the next usable provider when one fails with a retryable error. */
  fallback: boolean;
  /** The cap on this call's estimated cost in USD (max_cost_usd, else MCP_PROVIDERS_MAX_COST_USD); undefined: none. */
  maxCostUsd?: number;
}

/** One provider the runner will try, with the model it should use. */
export interface Candidate {
  info: ProviderInfo;
  /** Model to request; the caller's model only belongs to the provider it was named for. */
  model: string;
  modelSource: 'caller' | 'config' | 'provider-default';
}

export type ModuleLoader = Record<string, () => Promise<ProviderModule>>;

export class Registry {
  private readonly adapters = new Map<string, Promise<ProviderAdapter>>();

  constructor(
    readonly infos: ProviderInfo[],
    private readonly modules: ModuleLoader,
    private readonly env: Env,
    private readonly defaults: Partial<Record<Capability, DefaultChoice>>,
    private readonly adapterEnv: (info: ProviderInfo) => AdapterEnv,
    /** The price table (config/providers.yaml `prices:`); empty: every cost unknown. */
    readonly pricing: Pricing = new Pricing(),
  ) {}

  get(id: string): ProviderInfo | undefined {
    return this.infos.find((p) => p.id === id);
  }

  ids(): string[] {
    return this.infos.map((p) => p.id);
  }

  status(info: ProviderInfo): ProviderStatus {
    const { mode, missing } = credentialStatus(info.credentialModes, this.env);
    const flag = this.env[info.featureFlag]?.trim().toLowerCase();
    const anyKeySet = anyVariableSet(info.credentialModes, this.env);
    const enabled =
      flag === 'true' || flag === '1' ? true : flag === 'false' || flag === '0' ? false : info.enabledByDefault || anyKeySet;
    const missingByCapability: Partial<Record<Capability, string[]>> = {};
    for (const [cap, keys] of Object.entries(info.capabilityKeys) as [Capability, Requirement[]][]) {
      const m = unmet(keys, this.env);
      if (m.length) missingByCapability[cap] = m;
    }
    const configured = missing.length === 0;
    return {
      id: info.id,
      displayName: info.displayName,
      capabilities: info.capabilities,
      // Built means registered: one line in src/providers/index.ts.
      implemented: info.id in this.modules,
      enabled,
      configured,
      usable: enabled && configured && info.id in this.modules,
      missing,
      ...(mode ? { credentialMode: mode } : {}),
      ...(Object.keys(missingByCapability).length ? { missingByCapability } : {}),
      defaultModels: info.defaultModels,
      priority: info.priority,
      featureFlag: info.featureFlag,
      notes: info.notes,
    };
  }

  list(capability?: Capability): ProviderStatus[] {
    return this.infos.filter((p) => !capability || p.capabilities.includes(capability)).map((p) => this.status(p));
  }

  /** Whether a provider can serve this capability right now, and if not, why. */
  why(info: ProviderInfo, capability: Capability): string | undefined {
    const s = this.status(info);
    if (!info.capabilities.includes(capability)) return `${info.id} does not offer ${capability}`;
    if (!s.implemented) return `${info.id} is not implemented yet`;
    if (!s.configured) return `${info.id} is missing ${s.missing.join(' — or ')}`;
    if (!s.enabled) return `${info.id} is turned off by ${info.featureFlag}`;
    const capMissing = s.missingByCapability?.[capability];
    if (capMissing) return `${info.id} ${capability} needs ${capMissing.join(', ')}`;
    return undefined;
  }

  /**
   * The one thing a person can do to make a provider serve this capability, or undefined when
   * it already can (or never will: it does not offer it). A missing key comes first, since
   * setting the key also turns a third-party provider on; alternatives read "— or".
   */
  action(info: ProviderInfo, capability: Capability): string | undefined {
    if (!info.capabilities.includes(capability)) return undefined;
    const s = this.status(info);
    if (!s.implemented) return 'not built yet';
    if (!s.configured) return `set ${s.missing.join(' — or ')}`;
    if (!s.enabled) return `set ${info.featureFlag}=true (it is turned off)`;
    const capMissing = s.missingByCapability?.[capability];
    if (capMissing) return `set ${capMissing.join(' and ')}`;
    return undefined;
  }

  /**
   * Providers to try for one call, best first. A provider the caller names must be
   * able to serve the call or the call fails with a message that says why; with
   * fallback on, the other usable providers follow it in priority order.
   */
  plan(capability: Capability, req: PlanRequest): Candidate[] {
    const usable = this.infos.filter((p) => this.why(p, capability) === undefined);
    const configured = this.defaults[capability];
    let first: ProviderInfo | undefined;
    let firstModel: Candidate['modelSource'] | undefined;
    let model = req.model;

    if (req.provider) {
      const info = this.get(req.provider);
      if (!info) throw invalidRequest(`provider: unknown provider "${req.provider}"; known: ${this.ids().join(', ')}`);
      const reason = this.why(info, capability);
      if (reason) {
        const alternatives = usable.map((p) => p.id);
        throw invalidRequest(
          `provider: ${reason}. Providers that can do ${capability} now: ${alternatives.length ? alternatives.join(', ') : 'none'}`,
          info.id,
        );
      }
      first = info;
      firstModel = model ? 'caller' : 'provider-default';
    } else if (configured && usable.some((p) => p.id === configured.provider)) {
      first = this.get(configured.provider);
      if (!model && configured.model) {
        model = configured.model;
        firstModel = 'config';
      } else firstModel = model ? 'caller' : 'provider-default';
    } else if (usable.length) {
      first = usable[0];
      firstModel = model ? 'caller' : 'provider-default';
    }

    if (!first) {
      const lines = this.infos.flatMap((p) => {
        const action = this.action(p, capability);
        return action ? [`- ${p.id}: ${action}`] : [];
      });
      throw new ProviderError({
        code: 'unsupported',
        message: `No provider can do ${capability} right now. Any one of these makes one usable:\n${lines.join('\n')}\nlist_providers shows every provider's state.`,
      });
    }

    const candidates: Candidate[] = [
      { info: first, model: model ?? defaultModel(first, capability), modelSource: firstModel ?? 'provider-default' },
    ];
    if (req.fallback) {
      for (const p of usable) {
        if (p.id !== first.id) candidates.push({ info: p, model: defaultModel(p, capability), modelSource: 'provider-default' });
      }
    }
    return candidates;
  }

  /** The adapter for a provider, created on first use (this is when its SDK loads). */
  adapter(info: ProviderInfo): Promise<ProviderAdapter> {
    let a = this.adapters.get(info.id);
    if (!a) {
      const load = this.modules[info.id];
      if (!load) return Promise.reject(new ProviderError({ code: 'unsupported', message: `${info.id} is not implemented yet`, providerId: info.id }));
      a = load().then((m) => m.load(this.adapterEnv(info)));
      // A failed load (bad config) should be retried on the next call, not cached.
      a.catch(() => this.adapters.delete(info.id));
      this.adapters.set(info.id, a);
    }
    return a;
  }
}

function defaultModel(info: ProviderInfo, capability: Capability): string {
  const m = info.defaultModels[capability];
  if (!m) throw new ProviderError({ code: 'internal', message: `${info.id} has no default model for ${capability} in config/providers.yaml`, providerId: info.id });
  return m;
}
