/**
 * What a call costs: an upper-bound estimate before anything is sent (from the options and the
 * price table), and the figure afterwards (the provider's own when it gives one, else what was made
 * × the price). Pure functions over plain data, so the runner, the tools and tests share them.
 */
import type { Capability, CostSource, GenerationResult, OptionsByCapability, Prompt } from '../providers/base.js';
import { formatUsd, roundUsd, UNIT_FIELDS, type Price, type PriceBook } from './prices.js';

/**
 * What a request asks for, as far as price goes: plain JSON, kept with an accepted long job so a
 * resumed job is priced like the one started.
 */
export interface CostFacts {
  /** Images, videos or clips asked for. */
  count?: number;
  /** Seconds asked for per video or clip. */
  durationSeconds?: number;
  /** Video: whether a soundtrack was asked for; absent means the model's default. */
  audio?: boolean;
  /** At most this many input tokens (UTF-8 bytes of prompt and system, plus the chat template); absent when attachments make it unknowable. */
  inputTokensAtMost?: number;
  /** Text: max_tokens. */
  maxOutputTokens?: number;
  /** TTS: characters to speak. */
  characters?: number;
}

/** One line of an estimate: quantity × price. */
export interface CostTerm {
  quantity: number;
  unit: string;
  usdPerUnit: number;
  usd: number;
}

export interface CostEstimate {
  providerId: string;
  model: string;
  /** Upper bound in USD; absent when some part cannot be bounded (see `unknown`). */
  costUsd?: number;
  basis: CostTerm[];
  /** What is priced, in words: "8 s of veo-3.1-generate-001 with audio". */
  summary: string;
  /** Why there is no bound, when there is none. */
  unknown?: string;
  source?: string;
  read?: string;
  /** The quantity that scales the cost, to say what would fit under a cap. */
  scale?: { unit: string; usdPerUnit: number; fixedUsd: number };
}

/** Tokens a chat template adds around the prompt, at most (role markers, separators). */
const TEMPLATE_TOKENS = 64;

export function costFacts<C extends Capability>(capability: C, prompt: Prompt, options: OptionsByCapability[C]): CostFacts {
  const o = options as Partial<OptionsByCapability['video'] & OptionsByCapability['text'] & OptionsByCapability['audio']>;
  const inputTokensAtMost = prompt.attachments.length ? undefined : Buffer.byteLength(prompt.text) + Buffer.byteLength(prompt.system ?? '') + TEMPLATE_TOKENS;
  switch (capability) {
    case 'text':
      return { inputTokensAtMost, ...(o.maxTokens !== undefined ? { maxOutputTokens: o.maxTokens } : {}) };
    case 'image':
      return { count: o.count ?? 1, inputTokensAtMost };
    case 'video':
      return { count: o.count ?? 1, ...(o.durationSeconds !== undefined ? { durationSeconds: o.durationSeconds } : {}), ...(o.generateAudio !== undefined ? { audio: o.generateAudio } : {}) };
    case 'audio':
      return { count: o.count ?? 1, ...(o.durationSeconds !== undefined ? { durationSeconds: o.durationSeconds } : {}) };
    default:
      return { characters: [...prompt.text].length };
  }
}

/** What the model's catalog entry (providers.yaml `models:`) says that bounds a cost. */
export interface ModelLimits {
  /** Allowed lengths in seconds. */
  durations?: number[];
  /** Whether the model can make a soundtrack. */
  audio?: boolean;
}

/** The limits a `models:` entry gives (its shape is the adapter's; only these two keys are read). */
export function modelLimits(entry: Record<string, unknown> | undefined): ModelLimits {
  const durations = Array.isArray(entry?.durations) ? entry.durations.filter((d): d is number => typeof d === 'number') : undefined;
  return { ...(durations?.length ? { durations } : {}), ...(typeof entry?.audio === 'boolean' ? { audio: entry.audio } : {}) };
}

const term = (quantity: number, unit: string, usdPerUnit: number): CostTerm => ({ quantity, unit, usdPerUnit, usd: roundUsd(quantity * usdPerUnit) });
const perToken = (perMillion: number) => perMillion / 1e6;

/** Token rates for a prompt of this many input tokens (long-context rates above the threshold). */
function tokenRates(price: Price, inputTokens: number): { input?: number; output?: number } {
  const long = price.long_context && inputTokens > price.long_context.above_input_tokens ? price.long_context : undefined;
  return { input: long?.input_per_million_tokens ?? price.input_per_million_tokens, output: long?.output_per_million_tokens ?? price.output_per_million_tokens };
}

/** Video: the per-second rate for the soundtrack choice (absent: the model's default, priced as with audio when it can make one). */
function videoRate(price: Price, audio: boolean | undefined, limits: ModelLimits): { rate?: number; withAudio: boolean; note?: string } {
  const withAudio = audio ?? (limits.audio !== false && price.per_second_with_audio !== undefined);
  if (withAudio) return { rate: price.per_second_with_audio ?? price.per_second, withAudio: price.per_second_with_audio !== undefined };
  if (price.per_second !== undefined) return { rate: price.per_second, withAudio: false };
  return { rate: price.per_second_with_audio, withAudio: false, note: 'no published price for video without audio; the with-audio price bounds it' };
}

/** Replicate's community models: billed by compute seconds, with no price per thing made. */
function billedByTimeOnly(price: Price): boolean {
  return price.per_compute_second !== undefined && UNIT_FIELDS.every((k) => k === 'per_compute_second' || price[k] === undefined);
}

function longest(facts: CostFacts, price: Price, limits: ModelLimits): number | undefined {
  return facts.durationSeconds ?? (limits.durations?.length ? Math.max(...limits.durations) : price.max_seconds);
}

/**
 * The most a call can cost under this price, from what it asks for. Absent parts (no max_tokens,
 * attachments, a price known only afterwards) leave `costUsd` out and say why in `unknown`.
 */
export function estimateCost(capability: Capability, providerId: string, model: string, facts: CostFacts, price: Price | undefined, limits: ModelLimits = {}, free = false): CostEstimate {
  const base = { providerId, model, basis: [] as CostTerm[] };
  if (free) return { ...base, costUsd: 0, summary: `${model} on ${providerId} (runs locally)` };
  if (!price) return { ...base, summary: `${model} on ${providerId}`, unknown: `no price for ${providerId} ${model} in the price table` };
  const cited = { source: price.source, read: price.read };
  const count = facts.count ?? 1;
  const unknown = (summary: string, why: string): CostEstimate => ({ ...base, ...cited, summary, unknown: why });
  const known = (summary: string, basis: CostTerm[], scale?: CostEstimate['scale']): CostEstimate => ({
    ...base,
    ...cited,
    summary,
    basis,
    costUsd: roundUsd(basis.reduce((a, t) => a + t.usd, 0)),
    ...(scale ? { scale } : {}),
  });
  if (billedByTimeOnly(price)) {
    return unknown(`${model} on ${providerId}`, `${providerId} bills ${model} by compute time, known only afterwards`);
  }
  switch (capability) {
    case 'text': {
      const inTokens = facts.inputTokensAtMost;
      const summary = `${model}${facts.maxOutputTokens !== undefined ? `, up to ${facts.maxOutputTokens} output tokens` : ''}`;
      if (inTokens === undefined) return unknown(summary, 'the tokens of attachments are not known before the call');
      const rates = tokenRates(price, inTokens);
      if (rates.input === undefined || rates.output === undefined) return unknown(summary, `no token prices for ${model}`);
      if (facts.maxOutputTokens === undefined) return unknown(summary, 'no max_tokens, so output tokens are not bounded');
      const input = term(inTokens, 'input token', perToken(rates.input));
      return known(summary, [input, term(facts.maxOutputTokens, 'output token', perToken(rates.output))], { unit: 'output tokens', usdPerUnit: perToken(rates.output), fixedUsd: input.usd });
    }
    case 'image': {
      const summary = `${count} image${count === 1 ? '' : 's'} of ${model}`;
      if (price.per_image !== undefined) return known(summary, [term(count, 'image', price.per_image)], { unit: 'images', usdPerUnit: price.per_image, fixedUsd: 0 });
      if (price.output_per_million_tokens === undefined || !price.output_tokens_per_image) return unknown(summary, `no per-image price for ${model}`);
      if (facts.inputTokensAtMost === undefined && price.input_per_million_tokens) return unknown(summary, 'the tokens of reference images are not known before the call');
      const rates = tokenRates(price, facts.inputTokensAtMost ?? 0);
      const perImage = price.output_tokens_per_image * perToken(rates.output ?? 0) + (facts.inputTokensAtMost ?? 0) * perToken(rates.input ?? 0);
      const basis = [term(count * price.output_tokens_per_image, 'output token', perToken(rates.output ?? 0))];
      if (rates.input) basis.push(term(count * (facts.inputTokensAtMost ?? 0), 'input token', perToken(rates.input)));
      return known(summary, basis, { unit: 'images', usdPerUnit: perImage, fixedUsd: 0 });
    }
    case 'video': {
      const seconds = longest(facts, price, limits);
      const { rate, withAudio, note } = videoRate(price, facts.audio, limits);
      const summary = `${count > 1 ? `${count} × ` : ''}${seconds ?? '?'} s of ${model}${withAudio ? ' with audio' : ''}`;
      if (rate === undefined) return unknown(summary, `no per-second price for ${model}`);
      if (seconds === undefined) return unknown(summary, 'no duration_seconds, and the longest video the model makes is not known');
      const estimate = known(summary, [term(count * seconds, withAudio ? 'second of video with audio' : 'second of video', rate)], { unit: 'seconds', usdPerUnit: count * rate, fixedUsd: 0 });
      return note ? { ...estimate, summary: `${summary} (${note})` } : estimate;
    }
    case 'audio': {
      const summary = `${count} clip${count === 1 ? '' : 's'} of ${model}`;
      if (price.per_clip !== undefined) return known(summary, [term(count, 'clip', price.per_clip)], { unit: 'clips', usdPerUnit: price.per_clip, fixedUsd: 0 });
      const seconds = longest(facts, price, limits);
      if (price.per_second === undefined) return unknown(summary, `no per-clip or per-second price for ${model}`);
      if (seconds === undefined) return unknown(summary, 'no duration_seconds, and the longest clip the model makes is not known');
      return known(`${count > 1 ? `${count} × ` : ''}${seconds} s of ${model}`, [term(count * seconds, 'second of audio', price.per_second)], { unit: 'seconds', usdPerUnit: count * price.per_second, fixedUsd: 0 });
    }
    case 'tts': {
      const chars = facts.characters ?? 0;
      const summary = `${chars} characters spoken by ${model}`;
      if (price.per_thousand_characters === undefined) return unknown(summary, `${model} is billed by audio tokens, which are not known before the call`);
      const perChar = price.per_thousand_characters / 1000;
      return known(summary, [term(chars, 'character', perChar)], { unit: 'characters', usdPerUnit: perChar, fixedUsd: 0 });
    }
  }
}

/** What a finished call cost, and where the figure comes from. */
export interface CostOutcome {
  costUsd?: number;
  costSource: CostSource;
}

/**
 * The cost of a finished call: the provider's own figure when it gives one (OpenRouter's
 * `usage.cost`; Replicate's billed compute seconds × the hardware's price), else what was made ×
 * the price table, else unknown.
 */
export function actualCost(capability: Capability, facts: CostFacts, result: GenerationResult, price: Price | undefined, limits: ModelLimits = {}, free = false): CostOutcome {
  if (free) return { costUsd: 0, costSource: 'price-table' };
  if (result.usage?.costUsd !== undefined) return { costUsd: result.usage.costUsd, costSource: 'provider' };
  const computeSeconds = result.providerMetadata?.predictTimeSeconds;
  if (price?.per_compute_second !== undefined && typeof computeSeconds === 'number') return { costUsd: roundUsd(computeSeconds * price.per_compute_second), costSource: 'provider' };
  const table = price && fromTable(capability, facts, result, price, limits);
  return table === undefined ? { costSource: 'unknown' } : { costUsd: roundUsd(table), costSource: 'price-table' };
}

function fromTable(capability: Capability, facts: CostFacts, result: GenerationResult, price: Price, limits: ModelLimits): number | undefined {
  const usage = result.usage;
  const byTokens = (): number | undefined => {
    if (usage?.inputTokens === undefined || usage.outputTokens === undefined) return undefined;
    const rates = tokenRates(price, usage.inputTokens);
    if (rates.input === undefined || rates.output === undefined) return undefined;
    return usage.inputTokens * perToken(rates.input) + usage.outputTokens * perToken(rates.output);
  };
  const made = (kind: string) => result.artifacts.filter((a) => a.mimeType.startsWith(`${kind}/`));
  const seconds = (kind: string) => {
    const files = made(kind);
    const each = files.map((a) => a.durationSeconds ?? facts.durationSeconds);
    return each.every((s) => s !== undefined) ? (each as number[]).reduce((a, s) => a + s, 0) : undefined;
  };
  switch (capability) {
    case 'text':
      return byTokens();
    case 'image':
      return price.output_per_million_tokens !== undefined && usage?.outputTokens !== undefined ? byTokens() : price.per_image !== undefined ? made('image').length * price.per_image : undefined;
    case 'video': {
      const { rate, note } = videoRate(price, facts.audio, limits);
      const s = seconds('video');
      return rate === undefined || note || s === undefined ? undefined : s * rate;
    }
    case 'audio': {
      if (price.per_clip !== undefined) return made('audio').length * price.per_clip;
      const s = seconds('audio');
      return price.per_second === undefined || s === undefined ? undefined : s * price.per_second;
    }
    case 'tts':
      return price.per_thousand_characters !== undefined && facts.characters !== undefined ? (facts.characters / 1000) * price.per_thousand_characters : byTokens();
  }
}

/** The price table as the runner asks it: one provider's model, with the catalog's limits for it. */
export class Pricing {
  constructor(
    private readonly book: PriceBook = {},
    private readonly catalog: (providerId: string, model: string) => ModelLimits = () => ({}),
  ) {}

  price(providerId: string, model: string): Price | undefined {
    return this.book[providerId]?.models[model];
  }

  isFree(providerId: string): boolean {
    return this.book[providerId]?.free ?? false;
  }

  estimate(capability: Capability, providerId: string, model: string, facts: CostFacts): CostEstimate {
    return estimateCost(capability, providerId, model, facts, this.price(providerId, model), this.catalog(providerId, model), this.isFree(providerId));
  }

  /** The result with `usage.costUsd` (where it can be known) and `usage.costSource`. */
  withCost(capability: Capability, providerId: string, model: string, facts: CostFacts, result: GenerationResult): GenerationResult {
    const priced = this.price(providerId, model) ? model : result.model;
    const cost = actualCost(capability, facts, result, this.price(providerId, priced), this.catalog(providerId, priced), this.isFree(providerId));
    const usage = { ...result.usage, ...(cost.costUsd !== undefined ? { costUsd: cost.costUsd } : {}), costSource: cost.costSource };
    return { ...result, usage };
  }
}

/** "2 s would fit", from what scales the estimate. */
export function whatFits(estimate: CostEstimate, capUsd: number): string {
  const s = estimate.scale;
  if (!s || s.usdPerUnit <= 0) return '';
  const n = Math.floor((capUsd - s.fixedUsd) / s.usdPerUnit + 1e-9);
  if (n < 1) return `; nothing of ${estimate.model} fits under it`;
  if (s.unit === 'output tokens') return `; max_tokens up to ${n} would fit`;
  if (s.unit === 'seconds') return `; ${n} s would fit`;
  return `; ${n} ${n === 1 ? s.unit.replace(/s$/, '') : s.unit} would fit`;
}

/** `8 s of veo-3.1-generate-001 with audio ≈ $3.20`. */
export function describeEstimate(estimate: CostEstimate): string {
  return estimate.costUsd === undefined ? `${estimate.summary}: cost unknown (${estimate.unknown})` : `${estimate.summary} ≈ ${formatUsd(estimate.costUsd)}`;
}
