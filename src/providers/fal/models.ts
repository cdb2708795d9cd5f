/**
 * fal endpoints we know, and how our common options map onto each one's input. fal has
 * hundreds of endpoints, each with its own input schema, so this is a table of the ones
 * worth naming (the input shapes are those of @fal-ai/client's generated endpoint types):
 * a known endpoint gets exactly its fields, and an option it cannot take fails before any
 * paid call. Any other endpoint id is still accepted: it gets fal's common field names
 * (`FALLBACK_SPECS`), and `extra` can set or override any field.
 */
import type { AspectRatio, Capability } from '../base.js';

export const PROVIDER_ID = 'fal';

/** How seconds are written in a model's duration field. */
export type DurationFormat = 'number' | 'string' | 'seconds-suffix';

export interface FalModelSpec {
  capability: Capability;
  /** The input field that carries the prompt or the text to speak. */
  promptField: 'prompt' | 'text';
  /** A field that asks for several outputs in one request; without it, `count` requests are queued. */
  countField?: 'num_images';
  /**
   * How an aspect ratio is sent: FLUX's `image_size` (a preset name, or `{width, height}`), an
   * `aspect_ratio` from a fixed list, both (unknown image models: each model reads the one it has),
   * or not at all (false: the model has no such field).
   */
  aspect: { field: 'image_size' } | { field: 'aspect_ratio'; values?: readonly AspectRatio[] } | { field: 'both' } | false;
  duration?: { field: string; format: DurationFormat; values?: readonly number[]; min?: number; max?: number };
  negativePrompt: boolean;
  seed: boolean;
  /** `output_format` values the model takes (images). */
  outputFormats?: readonly ('png' | 'jpeg' | 'webp')[];
  /** Input image(s): one URL field, a list field, or either by count (unknown models). */
  imageInput?: { field: 'image_url' | 'image_urls' | 'auto'; required?: boolean; max?: number };
  /** Text-to-video endpoints: the sibling that takes a first frame, used when an image is given. */
  imageVariant?: string;
  lastFrameField?: string;
  resolutions?: readonly string[];
  generateAudio?: boolean;
  voice?: { field: string; values?: readonly string[] };
  speed?: { field: string; min: number; max: number };
  languageField?: string;
  /** MIME type of the audio the model returns, when fal does not say. */
  audioMimeType?: string;
  /** A first poll interval that suits the model (ms). */
  pollIntervalMs?: number;
}

const FLUX_SIZES: FalModelSpec['aspect'] = { field: 'image_size' };
const KONTEXT_RATIOS: readonly AspectRatio[] = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'];
const NANO_BANANA_RATIOS: readonly AspectRatio[] = ['21:9', '16:9', '3:2', '4:3', '1:1', '3:4', '2:3', '9:16'];

const flux = (over: Partial<FalModelSpec> = {}): FalModelSpec => ({
  capability: 'image',
  promptField: 'prompt',
  countField: 'num_images',
  aspect: FLUX_SIZES,
  negativePrompt: false,
  seed: true,
  outputFormats: ['jpeg', 'png'],
  pollIntervalMs: 1000,
  ...over,
});

const kling = (over: Partial<FalModelSpec> = {}): FalModelSpec => ({
  capability: 'video',
  promptField: 'prompt',
  aspect: { field: 'aspect_ratio', values: ['16:9', '9:16', '1:1'] },
  duration: { field: 'duration', format: 'string', values: [5, 10] },
  negativePrompt: true,
  seed: false,
  pollIntervalMs: 5000,
  ...over,
});

const klingImageToVideo = (over: Partial<FalModelSpec> = {}): FalModelSpec =>
  kling({ aspect: false, imageInput: { field: 'image_url', required: true }, ...over });

const veo3: FalModelSpec = {
  capability: 'video',
  promptField: 'prompt',
  aspect: { field: 'aspect_ratio', values: ['16:9', '9:16'] },
  duration: { field: 'duration', format: 'seconds-suffix', values: [4, 6, 8] },
  negativePrompt: true,
  seed: true,
  resolutions: ['720p', '1080p'],
  generateAudio: true,
  pollIntervalMs: 5000,
};

const KOKORO_US_VOICES = [
  'af_heart', 'af_alloy', 'af_aoede', 'af_bella', 'af_jessica', 'af_kore', 'af_nicole', 'af_nova', 'af_river', 'af_sarah',
  'af_sky', 'am_adam', 'am_echo', 'am_eric', 'am_fenrir', 'am_liam', 'am_michael', 'am_onyx', 'am_puck', 'am_santa',
] as const;

const kokoro = (voices?: readonly string[]): FalModelSpec => ({
  capability: 'tts',
  promptField: 'prompt',
  aspect: false,
  negativePrompt: false,
  seed: false,
  voice: { field: 'voice', ...(voices ? { values: voices } : {}) },
  speed: { field: 'speed', min: 0.1, max: 5 },
  audioMimeType: 'audio/wav',
  pollIntervalMs: 1000,
});

const elevenLabsTts: FalModelSpec = {
  capability: 'tts',
  promptField: 'text',
  aspect: false,
  negativePrompt: false,
  seed: false,
  voice: { field: 'voice' },
  speed: { field: 'speed', min: 0.7, max: 1.2 },
  languageField: 'language_code',
  audioMimeType: 'audio/mpeg',
  pollIntervalMs: 1000,
};

/** Known endpoints, by endpoint id. */
export const KNOWN_MODELS: Readonly<Record<string, FalModelSpec>> = {
  'fal-ai/flux/schnell': flux(),
  'fal-ai/flux/dev': flux(),
  'fal-ai/flux/dev/image-to-image': flux({ imageInput: { field: 'image_url', required: true } }),
  'fal-ai/flux-pro/v1.1-ultra': flux({ aspect: { field: 'aspect_ratio', values: KONTEXT_RATIOS }, imageInput: { field: 'image_url' } }),
  'fal-ai/flux-pro/kontext': flux({ aspect: { field: 'aspect_ratio', values: KONTEXT_RATIOS }, imageInput: { field: 'image_url', required: true } }),
  'fal-ai/nano-banana': flux({ aspect: { field: 'aspect_ratio', values: NANO_BANANA_RATIOS }, outputFormats: ['jpeg', 'png', 'webp'] }),
  'fal-ai/nano-banana/edit': flux({
    aspect: { field: 'aspect_ratio', values: NANO_BANANA_RATIOS },
    outputFormats: ['jpeg', 'png', 'webp'],
    imageInput: { field: 'image_urls', required: true },
  }),
  'fal-ai/imagen4/preview': flux({ aspect: { field: 'aspect_ratio', values: ['1:1', '16:9', '9:16', '4:3', '3:4'] }, outputFormats: ['jpeg', 'png', 'webp'] }),

  'fal-ai/kling-video/v2.5-turbo/pro/text-to-video': kling({ imageVariant: 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video' }),
  'fal-ai/kling-video/v2.5-turbo/pro/image-to-video': klingImageToVideo({ lastFrameField: 'tail_image_url' }),
  'fal-ai/kling-video/v2.1/master/text-to-video': kling({ imageVariant: 'fal-ai/kling-video/v2.1/master/image-to-video' }),
  'fal-ai/kling-video/v2.1/master/image-to-video': klingImageToVideo(),
  'fal-ai/kling-video/v2.1/standard/image-to-video': klingImageToVideo(),
  'fal-ai/minimax/hailuo-02/standard/text-to-video': {
    capability: 'video',
    promptField: 'prompt',
    aspect: false,
    duration: { field: 'duration', format: 'string', values: [6, 10] },
    negativePrompt: false,
    seed: false,
    pollIntervalMs: 5000,
  },
  'fal-ai/veo3': veo3,
  'fal-ai/veo3/fast': veo3,

  'fal-ai/stable-audio': {
    capability: 'audio',
    promptField: 'prompt',
    aspect: false,
    duration: { field: 'seconds_total', format: 'number', min: 1 },
    negativePrompt: false,
    seed: false,
    audioMimeType: 'audio/wav',
    pollIntervalMs: 2000,
  },
  'fal-ai/lyria2': { capability: 'audio', promptField: 'prompt', aspect: false, negativePrompt: true, seed: true, audioMimeType: 'audio/wav', pollIntervalMs: 2000 },
  'fal-ai/mmaudio-v2/text-to-audio': {
    capability: 'audio',
    promptField: 'prompt',
    aspect: false,
    duration: { field: 'duration', format: 'number', min: 1 },
    negativePrompt: true,
    seed: true,
    pollIntervalMs: 2000,
  },
  'fal-ai/elevenlabs/sound-effects/v2': {
    capability: 'audio',
    promptField: 'text',
    aspect: false,
    duration: { field: 'duration_seconds', format: 'number', min: 0.5, max: 22 },
    negativePrompt: false,
    seed: false,
    audioMimeType: 'audio/mpeg',
    pollIntervalMs: 2000,
  },

  'fal-ai/kokoro/american-english': kokoro(KOKORO_US_VOICES),
  'fal-ai/elevenlabs/tts/multilingual-v2': elevenLabsTts,
  'fal-ai/elevenlabs/tts/turbo-v2.5': elevenLabsTts,
};

/** What an endpoint we do not know gets: fal's most common field names for the capability. */
export const FALLBACK_SPECS: Readonly<Record<Exclude<Capability, 'text'>, FalModelSpec>> = {
  image: {
    capability: 'image',
    promptField: 'prompt',
    countField: 'num_images',
    aspect: { field: 'both' },
    negativePrompt: true,
    seed: true,
    outputFormats: ['jpeg', 'png', 'webp'],
    imageInput: { field: 'auto' },
    pollIntervalMs: 1000,
  },
  video: {
    capability: 'video',
    promptField: 'prompt',
    aspect: { field: 'aspect_ratio' },
    duration: { field: 'duration', format: 'number' },
    negativePrompt: true,
    seed: true,
    imageInput: { field: 'image_url' },
    resolutions: ['720p', '1080p', '4k'],
    generateAudio: true,
    pollIntervalMs: 5000,
  },
  audio: {
    capability: 'audio',
    promptField: 'prompt',
    aspect: false,
    duration: { field: 'duration', format: 'number' },
    negativePrompt: true,
    seed: true,
    pollIntervalMs: 2000,
  },
  tts: {
    capability: 'tts',
    promptField: 'text',
    aspect: false,
    negativePrompt: false,
    seed: false,
    voice: { field: 'voice' },
    speed: { field: 'speed', min: 0.25, max: 4 },
    pollIntervalMs: 1000,
  },
};

/**
 * The spec for an endpoint: its own when known (the other Kokoro languages share the
 * American one's fields, with their own voices), else the fallback for the capability.
 */
export function specFor(model: string, capability: Exclude<Capability, 'text'>): { spec: FalModelSpec; known: boolean } {
  const own = KNOWN_MODELS[model];
  if (own && own.capability === capability) return { spec: own, known: true };
  if (capability === 'tts' && model.startsWith('fal-ai/kokoro/')) return { spec: kokoro(), known: true };
  return { spec: FALLBACK_SPECS[capability], known: false };
}

/** FLUX `image_size` presets for the ratios that have one; the others get an explicit size of about a megapixel. */
const IMAGE_SIZE_PRESETS: Partial<Record<AspectRatio, string>> = {
  '1:1': 'square_hd',
  '4:3': 'landscape_4_3',
  '3:4': 'portrait_4_3',
  '16:9': 'landscape_16_9',
  '9:16': 'portrait_16_9',
};

export function imageSizeFor(ratio: AspectRatio): string | { width: number; height: number } {
  const preset = IMAGE_SIZE_PRESETS[ratio];
  if (preset) return preset;
  const [w, h] = ratio.split(':').map(Number) as [number, number];
  // About 1024×1024 pixels in all, each side a multiple of 16 (what FLUX works in).
  const width = Math.round(Math.sqrt((1024 * 1024 * w) / h) / 16) * 16;
  const height = Math.round((width * h) / w / 16) * 16;
  return { width, height };
}

/** Seconds as the model's duration field wants them: 5, "5" or "5s". */
export function formatDuration(seconds: number, format: DurationFormat): number | string {
  if (format === 'string') return String(seconds);
  if (format === 'seconds-suffix') return `${seconds}s`;
  return seconds;
}
