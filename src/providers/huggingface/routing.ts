/**
 * Which inference provider runs a media call, and under which id: the Hub's provider mapping
 * (`GET /api/models/{id}?expand[]=inferenceProviderMapping`), fetched by us through the routed
 * fetch, cached per model, and matched against the task and the providers this adapter can
 * read the answers of. `auto` takes the first live entry that fits, in the Hub's order.
 *
 * The client has the same lookup inside its high-level tasks, but those then fetch follow-ups
 * with the global fetch (see client.ts); media calls hand our mapping entry to the client's
 * `makeRequestOptionsFromResolvedModel`, so the client makes no Hub request of its own.
 */
import { z } from 'zod';
import type { CallContext, Capability } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { HF_HUB_URL, type HfClients } from './client.js';
import { toHfError, type CallTrace } from './errors.js';
import { AUTO, PROVIDER_ID } from './models.js';

/** The client's task names for the media capabilities. */
export type MediaTask = 'text-to-image' | 'text-to-video' | 'text-to-audio' | 'text-to-speech';

export const TASK_FOR: Record<Exclude<Capability, 'text'>, MediaTask> = {
  image: 'text-to-image',
  video: 'text-to-video',
  audio: 'text-to-audio',
  tts: 'text-to-speech',
};

/**
 * Inference providers whose answers this adapter reads, per task: raw bytes (hf-inference),
 * `data[].b64_json` (together, nscale), fal's queue or `{audio: {url}}` (fal-ai), `output`
 * URLs (replicate). Others answer with their own job ids and polling hosts; the client would
 * poll those with the global fetch, so they are refused before anything is paid for.
 */
export const SUPPORTED: Record<MediaTask, readonly string[]> = {
  'text-to-image': ['hf-inference', 'fal-ai', 'replicate', 'together', 'nscale'],
  'text-to-video': ['fal-ai'],
  'text-to-audio': ['hf-inference', 'fal-ai'],
  'text-to-speech': ['hf-inference', 'fal-ai', 'replicate'],
};

const MappingEntrySchema = z
  .object({
    provider: z.string(),
    providerId: z.string(),
    status: z.string().optional(),
    task: z.string(),
    hfModelId: z.string().optional(),
    adapter: z.string().optional(),
    adapterWeightsPath: z.string().optional(),
    type: z.string().optional(),
  })
  .loose();
const MappingObjectEntrySchema = MappingEntrySchema.omit({ provider: true });

/** The Hub answer: the mapping as an array (current) or an object keyed by provider (older). */
const HubModelSchema = z
  .object({
    inferenceProviderMapping: z.union([z.array(MappingEntrySchema), z.record(z.string(), MappingObjectEntrySchema)]).optional(),
  })
  .loose();

export interface MappingEntry {
  provider: string;
  providerId: string;
  hfModelId: string;
  status: 'live' | 'staging';
  task: string;
  adapter?: string;
  adapterWeightsPath?: string;
  type?: 'single-model' | 'tag-filter';
}

export interface Route {
  provider: string;
  entry: MappingEntry;
  warnings: string[];
}

const CACHE_MS = 10 * 60_000;

/** The Hub lookup, cached per model for ten minutes (mappings change rarely; a miss costs one GET). */
export class ProviderRouter {
  private readonly cache = new Map<string, { at: number; entries: Promise<MappingEntry[]> }>();

  constructor(private readonly clients: HfClients) {}

  /** The mapping entry for `model` on `provider` (or the first that fits, for `auto`), or a clear error. */
  async route(model: string, provider: string, task: MediaTask, ctx: CallContext): Promise<Route> {
    const supported = SUPPORTED[task];
    if (provider !== AUTO) {
      if (!(this.clients.sdk.INFERENCE_PROVIDERS as readonly string[]).includes(provider)) {
        throw invalidRequest(`extra.provider "${provider}" is not an inference provider the client knows (${this.clients.sdk.INFERENCE_PROVIDERS.join(', ')}, or auto).`, PROVIDER_ID);
      }
      if (!supported.includes(provider)) {
        throw new ProviderError({
          code: 'unsupported',
          providerId: PROVIDER_ID,
          message: `huggingface: ${task} through inference provider "${provider}" is not supported by this server (it answers with its own job ids and polling hosts); use one of ${supported.join(', ')}.`,
        });
      }
    }
    const entries = (await this.entries(model, ctx)).filter((e) => e.task === task);
    const warnings: string[] = [];
    if (provider === AUTO) {
      const fits = entries.filter((e) => supported.includes(e.provider) && e.status === 'live');
      const chosen = fits[0] ?? entries.find((e) => supported.includes(e.provider));
      if (!chosen) {
        const served = entries.map((e) => e.provider);
        throw new ProviderError({
          code: served.length ? 'unsupported' : 'not_found',
          providerId: PROVIDER_ID,
          message: served.length
            ? `huggingface: ${model} is served for ${task} only by ${served.join(', ')}, none of which this server supports for it (${supported.join(', ')}).`
            : `huggingface: no inference provider serves ${model} for ${task} (the Hub lists none for that task).`,
        });
      }
      if (chosen.status !== 'live') warnings.push(`${model} is in "${chosen.status}" on ${chosen.provider}: meant for testing.`);
      return { provider: chosen.provider, entry: chosen, warnings };
    }
    const entry = entries.find((e) => e.provider === provider);
    if (!entry) {
      const served = entries.map((e) => e.provider);
      throw new ProviderError({
        code: 'not_found',
        providerId: PROVIDER_ID,
        message: `huggingface: inference provider ${provider} does not serve ${model} for ${task}${served.length ? `; it is served by ${served.join(', ')}` : ' (the Hub lists no provider for that task)'}.`,
      });
    }
    if (entry.status !== 'live') warnings.push(`${model} is in "${entry.status}" on ${provider}: meant for testing.`);
    return { provider, entry, warnings };
  }

  private entries(model: string, ctx: CallContext): Promise<MappingEntry[]> {
    const hit = this.cache.get(model);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.entries;
    const entries = this.fetchEntries(model, ctx);
    this.cache.set(model, { at: Date.now(), entries });
    // A failed lookup is not remembered.
    entries.catch(() => this.cache.get(model)?.entries === entries && this.cache.delete(model));
    return entries;
  }

  private async fetchEntries(model: string, ctx: CallContext): Promise<MappingEntry[]> {
    const trace: CallTrace = {};
    const url = `${HF_HUB_URL}/api/models/${model.split('/').map(encodeURIComponent).join('/')}?expand[]=inferenceProviderMapping`;
    let body: unknown;
    try {
      const res = await this.clients.send(url, { method: 'GET', headers: { Authorization: `Bearer ${this.clients.settings.token}` } }, ctx, trace);
      body = await res.json();
    } catch (err) {
      const mapped = toHfError(err, { secrets: this.clients.secrets, trace, signal: ctx.signal });
      if (mapped.status === 404) {
        throw new ProviderError({ code: 'not_found', providerId: PROVIDER_ID, status: 404, requestId: mapped.requestId, message: `huggingface: model ${model} was not found on the Hub (${mapped.message}).`, cause: mapped });
      }
      throw mapped;
    }
    const parsed = HubModelSchema.safeParse(body);
    if (!parsed.success) {
      throw new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, message: `huggingface: the Hub answered for ${model} with a body that is not a model (${parsed.error.issues[0]?.message ?? 'bad shape'}).` });
    }
    const mapping = parsed.data.inferenceProviderMapping ?? [];
    const list = Array.isArray(mapping) ? mapping : Object.entries(mapping).map(([provider, e]) => ({ ...e, provider }));
    return list.map((e) => ({
      provider: e.provider,
      providerId: e.providerId,
      hfModelId: e.hfModelId ?? model,
      status: e.status === 'staging' ? 'staging' : 'live',
      task: e.task,
      ...(e.adapter ? { adapter: e.adapter } : {}),
      ...(e.adapterWeightsPath ? { adapterWeightsPath: e.adapterWeightsPath } : {}),
      ...(e.type === 'single-model' || e.type === 'tag-filter' ? { type: e.type } : {}),
    }));
  }
}
