/**
 * Models as data. Google renames and retires Vertex models every few weeks, so the known
 * models and their limits live in config/providers.yaml (`google-vertex.models`), not in
 * code. This module validates those entries and checks a request against them before any
 * paid call: an option a known model does not support is an `invalid_request`; a model id
 * that is not listed is passed through with a warning (new models appear weekly).
 */
import { z } from 'zod';
import { CAPABILITIES, type Capability, type MediaAttachment } from '../base.js';
import { invalidRequest, parseModelEntry } from '../errors.js';

export const PROVIDER_ID = 'google-vertex';

const Resolution = z.enum(['720p', '1080p', '4k']);

/** One `models:` entry. Strict, so a typo in the YAML is an error rather than a silently ignored limit. */
export const ModelSpecSchema = z
  .object({
    capability: z.enum(CAPABILITIES as [Capability, ...Capability[]]),
    /** Region the model must be called in (some models exist only on `global`). */
    location: z.string().min(1).optional(),
    /** Image models: which API serves it. Otherwise the id decides (imagen-* → Imagen). */
    api: z.enum(['imagen', 'gemini']).optional(),
    /** Most images, videos or clips one call may ask for. */
    max_count: z.number().int().positive().optional(),
    aspect_ratios: z.array(z.string().regex(/^\d+:\d+$/)).optional(),
    /** Allowed lengths in seconds (video: e.g. [4, 6, 8]; Lyria: [30]). */
    durations: z.array(z.number().positive()).optional(),
    resolutions: z.array(Resolution).optional(),
    output_mime_types: z.array(z.string()).optional(),
    /** Whether the model can make a soundtrack (Veo 3) — `generate_audio: true` needs it. */
    audio: z.boolean().optional(),
    /** Whether the model can take a first-frame image (image-to-video) or reference images. */
    image_input: z.boolean().optional(),
    last_frame: z.boolean().optional(),
    negative_prompt: z.boolean().optional(),
    seed: z.boolean().optional(),
    /** TTS: whether two-speaker dialogue is available. */
    multi_speaker: z.boolean().optional(),
    /** Free text for people (status, retirement date). */
    notes: z.string().optional(),
  })
  .strict();

export type ModelSpec = z.infer<typeof ModelSpecSchema>;

export type ModelCatalog = ReadonlyMap<string, ModelSpec>;

/** Parses `info.models`; a malformed entry fails the adapter's load with the YAML path in the message. */
export function parseModelCatalog(models: Record<string, Record<string, unknown>>): ModelCatalog {
  const out = new Map<string, ModelSpec>();
  for (const [id, raw] of Object.entries(models)) out.set(id, parseModelEntry(PROVIDER_ID, id, ModelSpecSchema, raw));
  return out;
}

/** What one request asks of a model; only the fields a capability has are set. */
export interface ModelRequest {
  count?: number;
  aspectRatio?: string;
  durationSeconds?: number;
  resolution?: z.infer<typeof Resolution>;
  generateAudio?: boolean;
  image?: MediaAttachment;
  lastFrame?: MediaAttachment;
  /** Reference images (Gemini image models) — checked like `image`. */
  referenceImages?: number;
  negativePrompt?: string;
  seed?: number;
  outputMimeType?: string;
  speakers?: number;
}

export interface ModelChoice {
  model: string;
  /** Undefined for a model not in the list. */
  spec?: ModelSpec;
  /** Region to call (the model's own, or the configured one). */
  location: string;
  warnings: string[];
}

/**
 * Picks the model (requested or default), then checks the request against its limits.
 * Every violation is reported at once, so the caller fixes them in one go.
 */
export function chooseModel(
  catalog: ModelCatalog,
  capability: Capability,
  requested: string | undefined,
  defaultModel: string | undefined,
  defaultLocation: string,
  req: ModelRequest,
): ModelChoice {
  const model = requested ?? defaultModel;
  if (!model) throw invalidRequest(`No ${capability} model given and google-vertex has no default ${capability} model configured.`, PROVIDER_ID);
  const spec = catalog.get(model);
  if (!spec) {
    return {
      model,
      location: defaultLocation,
      warnings: [
        `Model "${model}" is not in google-vertex's known model list (config/providers.yaml), so its limits were not checked; it was passed to Vertex AI as given.`,
      ],
    };
  }
  if (spec.capability !== capability) {
    throw invalidRequest(`"${model}" is a google-vertex ${spec.capability} model, not a ${capability} model.`, PROVIDER_ID);
  }
  const problems = violations(spec, req);
  if (problems.length) throw invalidRequest(`${model} ${problems.join('; ')}.`, PROVIDER_ID);
  return { model, spec, location: spec.location ?? defaultLocation, warnings: [] };
}

/** A limit the YAML leaves out is not checked: `false` means unsupported, absent means unknown. */
function violations(spec: ModelSpec, req: ModelRequest): string[] {
  const out: string[] = [];
  const list = (xs: readonly (string | number)[]) => xs.join(', ');
  if (req.count !== undefined && spec.max_count !== undefined && req.count > spec.max_count) {
    out.push(`makes at most ${spec.max_count} per call (count ${req.count} asked)`);
  }
  if (req.aspectRatio && spec.aspect_ratios && !spec.aspect_ratios.includes(req.aspectRatio)) {
    out.push(`supports aspect ratios ${list(spec.aspect_ratios)} (not ${req.aspectRatio})`);
  }
  if (req.durationSeconds !== undefined && spec.durations && !spec.durations.includes(req.durationSeconds)) {
    out.push(`supports durations of ${list(spec.durations)} seconds (not ${req.durationSeconds})`);
  }
  if (req.resolution && spec.resolutions && !spec.resolutions.includes(req.resolution)) {
    out.push(`supports resolutions ${list(spec.resolutions)} (not ${req.resolution})`);
  }
  if (req.generateAudio === true && spec.audio === false) out.push('cannot generate audio (generate_audio must be false or unset)');
  if ((req.image || (req.referenceImages ?? 0) > 0) && spec.image_input === false) out.push('takes no input image');
  if (req.lastFrame && spec.last_frame === false) out.push('takes no last_frame');
  if (req.negativePrompt && spec.negative_prompt === false) out.push('does not support a negative prompt');
  if (req.seed !== undefined && spec.seed === false) out.push('does not support a seed');
  if (req.outputMimeType && spec.output_mime_types && !spec.output_mime_types.includes(req.outputMimeType)) {
    out.push(`outputs ${list(spec.output_mime_types)} (not ${req.outputMimeType})`);
  }
  if ((req.speakers ?? 0) > 1 && spec.multi_speaker === false) out.push('speaks with one voice only (no extra.speakers)');
  return out;
}
