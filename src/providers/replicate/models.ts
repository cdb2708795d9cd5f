/**
 * The Replicate models this adapter knows, and how our common options map onto each one's
 * inputs. Every Replicate model has its own input schema (the "API" tab of its page), so
 * the names differ from model to model — `num_outputs` or nothing, `first_frame_image` or
 * `image` — and guessing wrong costs a paid run that ignores the option. Each entry here
 * was checked against the model's published schema.
 *
 * A request a known model cannot serve fails before any paid call, every problem named at
 * once. Any other model id is still accepted: it is sent with Replicate's conventional
 * input names (prompt, seed, aspect_ratio, …) and a warning saying so; `extra` reaches the
 * model's input untouched for everything else.
 *
 * Model ids: `owner/name` runs an official model (`POST /v1/models/{owner}/{name}/predictions`),
 * `owner/name:<version>` or a bare 64-hex version id runs that version (`POST /v1/predictions`).
 * Community models need a version; the known ones below carry a pinned one, so their plain
 * `owner/name` works too.
 */
import type { Capability, TtsOptions } from '../base.js';
import { invalidRequest } from '../errors.js';

export const PROVIDER_ID = 'replicate';

export type Resolution = '720p' | '1080p' | '4k';
export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

/** How the common options land in one model's input. An absent key: the model has no such input. */
export interface InputMap {
  /** The text: `prompt` for most, `text` for speech models. */
  prompt: string;
  system?: string;
  maxTokens?: string;
  temperature?: string;
  topP?: string;
  seed?: string;
  /** Outputs per prediction (`num_outputs`); without it, one prediction per output. */
  count?: { input: string; max: number };
  aspectRatio?: { input: string; values?: readonly string[] };
  negativePrompt?: string;
  /**
   * Length in seconds; `values` lists the lengths the model accepts; `integer`: whole seconds only;
   * `longerAt`: lengths above `seconds` are made at that resolution only.
   */
  duration?: { input: string; values?: readonly number[]; integer?: boolean; longerAt?: { seconds: number; resolution: Resolution } };
  resolution?: { input: string; values: Partial<Record<Resolution, string>> };
  /** First frame (image-to-video) and last frame, as URLs or data URIs. */
  image?: string;
  lastFrame?: string;
  outputFormat?: { input: string; values: Partial<Record<ImageMime, string>> };
  voice?: string;
  speed?: { input: string; min: number; max: number };
}

export interface ModelProfile {
  /** `owner/name`. */
  id: string;
  capability: Capability;
  /** Official models run by name; the others need `version`. */
  official: boolean;
  /** Pinned version (64 hex digits) for a model that is not official. */
  version?: string;
  inputs: InputMap;
  /** What its files are when the URL does not say. */
  mimeType: string;
  /** TTS: the formats it writes. */
  formats?: readonly TtsOptions['format'][];
  /** True only for the stand-in used for models we do not know. */
  generic?: boolean;
}

const FLUX_ASPECT_RATIOS = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'] as const;

const LLAMA_3: InputMap = { prompt: 'prompt', system: 'system_prompt', maxTokens: 'max_tokens', temperature: 'temperature', topP: 'top_p' };

const llama = (id: string): ModelProfile => ({ id, capability: 'text', official: true, inputs: LLAMA_3, mimeType: 'text/plain' });

/** Known models by `owner/name`. */
export const KNOWN_MODELS: ReadonlyMap<string, ModelProfile> = new Map(
  (
    [
      // Text: official Llama 3 chat models (prompt, system_prompt, max_tokens, temperature, top_p; no seed).
      llama('meta/meta-llama-3-8b-instruct'),
      llama('meta/meta-llama-3-70b-instruct'),
      llama('meta/meta-llama-3.1-405b-instruct'),
      {
        // Official. Up to 4 images per prediction; webp unless output_format says otherwise; no negative prompt.
        id: 'black-forest-labs/flux-schnell',
        capability: 'image',
        official: true,
        inputs: {
          prompt: 'prompt',
          seed: 'seed',
          count: { input: 'num_outputs', max: 4 },
          aspectRatio: { input: 'aspect_ratio', values: FLUX_ASPECT_RATIOS },
          outputFormat: { input: 'output_format', values: { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } },
        },
        mimeType: 'image/webp',
      },
      {
        // Official. 6 s (or 10 s at 768p); 512p, 768p or 1080p (the default); first and last frame; no aspect ratio, seed or negative prompt.
        id: 'minimax/hailuo-02',
        capability: 'video',
        official: true,
        inputs: {
          prompt: 'prompt',
          duration: { input: 'duration', values: [6, 10], integer: true, longerAt: { seconds: 6, resolution: '720p' } },
          resolution: { input: 'resolution', values: { '720p': '768p', '1080p': '1080p' } },
          image: 'first_frame_image',
          lastFrame: 'last_frame_image',
        },
        mimeType: 'video/mp4',
      },
      {
        // Official. 6 s (or 10 s at 768p); 768p (the default) or 1080p; first frame only.
        id: 'minimax/hailuo-2.3',
        capability: 'video',
        official: true,
        inputs: {
          prompt: 'prompt',
          duration: { input: 'duration', values: [6, 10], integer: true, longerAt: { seconds: 6, resolution: '720p' } },
          resolution: { input: 'resolution', values: { '720p': '768p', '1080p': '1080p' } },
          image: 'first_frame_image',
        },
        mimeType: 'video/mp4',
      },
      {
        // Community model: runs by version. Whole seconds; wav (default) or mp3 via extra.output_format; no negative prompt.
        id: 'meta/musicgen',
        capability: 'audio',
        official: false,
        version: '671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb',
        inputs: { prompt: 'prompt', duration: { input: 'duration', integer: true }, seed: 'seed' },
        mimeType: 'audio/wav',
      },
      {
        // Official. 30-second clips whose length cannot be chosen; negative prompt and seed.
        id: 'google/lyria-2',
        capability: 'audio',
        official: true,
        inputs: { prompt: 'prompt', negativePrompt: 'negative_prompt', seed: 'seed' },
        mimeType: 'audio/wav',
      },
      {
        // Community model: runs by version. Voices such as af_bella, bf_emma (the prefix is the accent); speed 0.1 to 5; WAV.
        id: 'jaaari/kokoro-82m',
        capability: 'tts',
        official: false,
        version: 'f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13',
        inputs: { prompt: 'text', voice: 'voice', speed: { input: 'speed', min: 0.1, max: 5 } },
        mimeType: 'audio/wav',
        formats: ['wav'],
      },
    ] satisfies ModelProfile[]
  ).map((m) => [m.id, m]),
);

/** Replicate's conventional input names, for a model not listed above. */
const GENERIC_INPUTS: Record<Capability, InputMap> = {
  text: { prompt: 'prompt', system: 'system_prompt', maxTokens: 'max_tokens', temperature: 'temperature', topP: 'top_p', seed: 'seed' },
  image: { prompt: 'prompt', seed: 'seed', aspectRatio: { input: 'aspect_ratio' }, negativePrompt: 'negative_prompt' },
  video: {
    prompt: 'prompt',
    seed: 'seed',
    aspectRatio: { input: 'aspect_ratio' },
    negativePrompt: 'negative_prompt',
    duration: { input: 'duration' },
    resolution: { input: 'resolution', values: { '720p': '720p', '1080p': '1080p', '4k': '4k' } },
  },
  audio: { prompt: 'prompt', seed: 'seed', negativePrompt: 'negative_prompt', duration: { input: 'duration' } },
  tts: { prompt: 'text', voice: 'voice', speed: { input: 'speed', min: 0, max: Number.POSITIVE_INFINITY } },
};

const DEFAULT_MIME: Record<Capability, string> = { text: 'text/plain', image: 'image/png', video: 'video/mp4', audio: 'audio/wav', tts: 'audio/wav' };

/** Where a prediction is created: an official model by name, or a version. */
export type ModelRef = { kind: 'official'; owner: string; name: string } | { kind: 'version'; version: string };

export interface ModelChoice {
  /** The id as the caller (or the YAML) gave it. */
  model: string;
  profile: ModelProfile;
  ref: ModelRef;
  warnings: string[];
}

const VERSION_ID = /^[0-9a-f]{64}$/;
const OWNER_NAME = /^([a-z0-9][a-z0-9_.-]*)\/([a-z0-9][a-z0-9_.-]*)$/i;

/** Picks the model (requested or default), its profile, and how to call it. */
export function chooseModel(capability: Capability, requested: string | undefined, defaultModel: string | undefined): ModelChoice {
  const model = (requested ?? defaultModel)?.trim();
  if (!model) throw invalidRequest(`No ${capability} model given and replicate has no default ${capability} model configured.`, PROVIDER_ID);

  if (VERSION_ID.test(model)) {
    return { model, profile: generic(capability, model), ref: { kind: 'version', version: model }, warnings: [genericWarning(model, capability)] };
  }
  const [name, version, ...rest] = model.split(':');
  const parts = OWNER_NAME.exec(name ?? '');
  if (!parts || rest.length || (version !== undefined && !VERSION_ID.test(version))) {
    throw invalidRequest(
      `"${model}" is not a Replicate model id: use owner/name for an official model, owner/name:<64-hex version> for any other, or a bare version id.`,
      PROVIDER_ID,
    );
  }
  const known = KNOWN_MODELS.get(name!.toLowerCase());
  if (known && known.capability !== capability) {
    throw invalidRequest(`"${name}" is a replicate ${known.capability} model, not a ${capability} model.`, PROVIDER_ID);
  }
  const profile = known ?? generic(capability, name!);
  const warnings = known ? [] : [genericWarning(name!, capability)];
  if (version) return { model, profile, ref: { kind: 'version', version }, warnings };
  if (known?.version) return { model, profile, ref: { kind: 'version', version: known.version }, warnings };
  return { model, profile, ref: { kind: 'official', owner: parts[1]!, name: parts[2]! }, warnings };
}

function generic(capability: Capability, id: string): ModelProfile {
  return { id, capability, official: false, inputs: GENERIC_INPUTS[capability], mimeType: DEFAULT_MIME[capability], generic: true };
}

function genericWarning(model: string, capability: Capability): string {
  const names = Object.values(GENERIC_INPUTS[capability])
    .map((v) => (typeof v === 'string' ? v : v.input))
    .join(', ');
  return (
    `Model "${model}" is not in replicate's known model list, so its limits were not checked and the common options were sent ` +
    `under Replicate's usual input names (${names}); pass anything else under the model's own input names in extra.`
  );
}

/** What one request asks of a model; only the fields its capability has are set. */
export interface ModelRequest {
  aspectRatio?: string;
  negativePrompt?: string;
  seed?: number;
  durationSeconds?: number;
  resolution?: Resolution;
  generateAudio?: boolean;
  image?: boolean;
  lastFrame?: boolean;
  attachments?: number;
  outputMimeType?: string;
  voice?: string;
  speed?: number;
  format?: TtsOptions['format'];
  system?: boolean;
}

/** Throws one invalid_request naming everything a known model cannot do; an unknown model passes. */
export function checkRequest(choice: ModelChoice, req: ModelRequest): void {
  if (choice.profile.generic) return;
  const problems = violations(choice.profile, req);
  if (problems.length) throw invalidRequest(`${choice.profile.id} ${problems.join('; ')}.`, PROVIDER_ID);
}

function violations(p: ModelProfile, req: ModelRequest): string[] {
  const out: string[] = [];
  const i = p.inputs;
  const list = (xs: readonly (string | number)[]) => xs.join(', ');
  if (req.aspectRatio) {
    if (!i.aspectRatio) out.push('takes no aspect ratio');
    else if (i.aspectRatio.values && !i.aspectRatio.values.includes(req.aspectRatio)) out.push(`supports aspect ratios ${list(i.aspectRatio.values)} (not ${req.aspectRatio})`);
  }
  if (req.negativePrompt && !i.negativePrompt) out.push('does not support a negative prompt');
  if (req.seed !== undefined && !i.seed) out.push('does not support a seed');
  if (req.durationSeconds !== undefined) {
    if (!i.duration) out.push('makes clips of one fixed length (no duration_seconds)');
    else if (i.duration.values && !i.duration.values.includes(req.durationSeconds)) out.push(`supports durations of ${list(i.duration.values)} seconds (not ${req.durationSeconds})`);
    else if (i.duration.integer && !Number.isInteger(req.durationSeconds)) out.push(`takes whole seconds only (not ${req.durationSeconds})`);
  }
  if (req.resolution) {
    if (!i.resolution) out.push('takes no resolution');
    else if (!i.resolution.values[req.resolution]) out.push(`supports resolutions ${list(Object.keys(i.resolution.values))} (not ${req.resolution})`);
  }
  if (req.generateAudio === true) out.push('cannot generate audio (generate_audio must be false or unset)');
  if (req.image && !i.image) out.push('takes no first-frame image');
  if (req.lastFrame && !i.lastFrame) out.push('takes no last_frame');
  if (req.attachments && !i.image) out.push('takes no attachments');
  if (req.outputMimeType && i.outputFormat && !i.outputFormat.values[req.outputMimeType as ImageMime]) {
    out.push(`outputs ${list(Object.keys(i.outputFormat.values))} (not ${req.outputMimeType})`);
  } else if (req.outputMimeType && !i.outputFormat && req.outputMimeType !== p.mimeType) {
    out.push(`outputs ${p.mimeType} only (not ${req.outputMimeType})`);
  }
  if (req.voice && !i.voice) out.push('has one voice (no voice)');
  if (req.speed !== undefined) {
    if (!i.speed) out.push('takes no speed');
    else if (req.speed < i.speed.min || req.speed > i.speed.max) out.push(`takes a speed from ${i.speed.min} to ${i.speed.max} (not ${req.speed})`);
  }
  if (req.format && p.formats && !p.formats.includes(req.format)) out.push(`speaks ${list(p.formats)} only; ask for format "${p.formats[0]}" (not ${req.format})`);
  if (req.system && !i.system) out.push('takes no system prompt');
  const longer = i.duration?.longerAt;
  if (longer && req.durationSeconds !== undefined && req.durationSeconds > longer.seconds && req.resolution && req.resolution !== longer.resolution) {
    out.push(`makes clips longer than ${longer.seconds} s at resolution ${longer.resolution} only (not ${req.resolution})`);
  }
  return out;
}

/** The resolution input value for a request (720p means the model's nearest HD tier, e.g. 768p). */
export function resolutionInput(profile: ModelProfile, resolution: Resolution | undefined, durationSeconds: number | undefined, warnings: string[]): string | undefined {
  const map = profile.inputs.resolution;
  if (!map) return resolution;
  if (!resolution) {
    // A long clip at the model's default resolution would fail after being queued (and billed): ask for the one that makes it.
    const longer = profile.inputs.duration?.longerAt;
    const needed = longer && durationSeconds !== undefined && durationSeconds > longer.seconds ? map.values[longer.resolution] : undefined;
    if (needed) warnings.push(`${profile.id} makes clips longer than ${longer!.seconds} s at ${needed} only, so resolution ${needed} was sent.`);
    return needed;
  }
  const value = map.values[resolution];
  if (value && value !== resolution) warnings.push(`${profile.id} has no ${resolution}; its ${value} tier was used.`);
  return value;
}
