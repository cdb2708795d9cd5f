/**
 * The models the Replicate emulator hosts: which are official (run by name) and which by version,
 * the input checks Replicate makes before queueing (422 with `invalid_fields`), and the outputs
 * each family makes — token arrays for language models, URLs of real PNG/JPEG/WebP, MP4 and WAV
 * files for the rest (served by the emulator itself).
 */
import { colour, encodeJpeg, encodeMp4, encodePng, encodeWav, pcmTone } from '../media.js';

export type Family = 'text' | 'image' | 'video' | 'music' | 'speech';

export interface HostedModel {
  name: string;
  family: Family;
  official: boolean;
  version: string;
  /** The text input: `prompt`, or `text` for speech. */
  textInput: string;
}

const v = (c: string) => c.repeat(64).slice(0, 64);

export const HOSTED: HostedModel[] = [
  { name: 'meta/meta-llama-3-8b-instruct', family: 'text', official: true, version: v('1'), textInput: 'prompt' },
  { name: 'meta/meta-llama-3-70b-instruct', family: 'text', official: true, version: v('2'), textInput: 'prompt' },
  { name: 'black-forest-labs/flux-schnell', family: 'image', official: true, version: v('3'), textInput: 'prompt' },
  { name: 'minimax/hailuo-02', family: 'video', official: true, version: v('4'), textInput: 'prompt' },
  { name: 'google/lyria-2', family: 'music', official: true, version: v('5'), textInput: 'prompt' },
  { name: 'meta/musicgen', family: 'music', official: false, version: '671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb', textInput: 'prompt' },
  { name: 'jaaari/kokoro-82m', family: 'speech', official: false, version: 'f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13', textInput: 'text' },
  // A community image model the adapter does not know (conventional input names).
  { name: 'acme/sketch', family: 'image', official: false, version: v('a'), textInput: 'prompt' },
];

export const TTS_SAMPLE_RATE = 24_000;
export const MUSIC_SAMPLE_RATE = 32_000;
export const IMAGE_SIDE = 8;

/** A 1×1 lossless WebP (RIFF/WEBP/VP8L): FLUX's default output format. */
export const WEBP_1X1 = Uint8Array.from(Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'));

const FLUX_RATIOS = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'];

export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

/** What Replicate's input validation would say about this input (empty: valid). */
export function validate(model: HostedModel, input: Record<string, unknown>): InvalidField[] {
  const out: InvalidField[] = [];
  const text = input[model.textInput];
  if (typeof text !== 'string' || !text) out.push({ type: 'required', field: 'input', description: `${model.textInput} is required` });
  const enumOf = (key: string, values: readonly unknown[]) => {
    if (input[key] !== undefined && !values.includes(input[key])) out.push({ type: 'enum', field: `input.${key}`, description: `${key} must be one of the following: ${values.map((x) => JSON.stringify(x)).join(', ')}` });
  };
  if (model.name === 'black-forest-labs/flux-schnell') {
    const n = input.num_outputs;
    if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 4)) out.push({ type: 'number_lte', field: 'input.num_outputs', description: 'Must be less than or equal to 4' });
    enumOf('aspect_ratio', FLUX_RATIOS);
    enumOf('output_format', ['webp', 'jpg', 'png']);
  }
  if (model.name === 'minimax/hailuo-02') {
    enumOf('duration', [6, 10]);
    enumOf('resolution', ['512p', '768p', '1080p']);
    if (input.duration === 10 && (input.resolution ?? '1080p') === '1080p') out.push({ type: 'invalid', field: 'input.duration', description: '10 seconds is only available for 768p resolution' });
  }
  if (model.name === 'jaaari/kokoro-82m' && input.speed !== undefined && (typeof input.speed !== 'number' || input.speed < 0.1 || input.speed > 5)) {
    out.push({ type: 'number_range', field: 'input.speed', description: 'Must be between 0.1 and 5' });
  }
  if (model.name === 'meta/musicgen') enumOf('output_format', ['wav', 'mp3']);
  return out;
}

export interface MadeFile {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

/** What a prediction of this model makes: its `output` (URLs filled in by the caller) and files. */
export function makeOutput(model: HostedModel, input: Record<string, unknown>, seq: number): { tokens?: string[]; files: MadeFile[]; many: boolean } {
  switch (model.family) {
    case 'text': {
      const words = `echo: ${String(input.prompt)}`.split(/\s+/).filter(Boolean);
      return { tokens: words.map((w, i) => (i === 0 ? w : ` ${w}`)), files: [], many: false };
    }
    case 'image': {
      const n = typeof input.num_outputs === 'number' ? input.num_outputs : 1;
      const format = typeof input.output_format === 'string' ? input.output_format : model.name === 'acme/sketch' ? 'png' : 'webp';
      const files = Array.from({ length: n }, (_, i): MadeFile => {
        const rgb = colour(seq + i);
        if (format === 'png') return { name: `out-${i}.png`, bytes: encodePng(IMAGE_SIDE, IMAGE_SIDE, rgb), contentType: 'image/png' };
        if (format === 'jpg') return { name: `out-${i}.jpg`, bytes: encodeJpeg(IMAGE_SIDE, IMAGE_SIDE, rgb), contentType: 'image/jpeg' };
        return { name: `out-${i}.webp`, bytes: WEBP_1X1, contentType: 'image/webp' };
      });
      return { files, many: true };
    }
    case 'video': {
      const seconds = typeof input.duration === 'number' ? input.duration : 6;
      return { files: [{ name: 'output.mp4', bytes: encodeMp4(seq, seconds), contentType: 'video/mp4' }], many: false };
    }
    case 'music': {
      if (input.output_format === 'mp3') {
        return { files: [{ name: 'out.mp3', bytes: Uint8Array.from(Buffer.from(`ID3\u0003\u0000\u0000\u0000\u0000\u0000\u0000replicate-emulator mp3 #${seq}`, 'latin1')), contentType: 'audio/mpeg' }], many: false };
      }
      const wav = encodeWav(pcmTone({ sampleRate: MUSIC_SAMPLE_RATE, channels: 2, seconds: 0.25, frequency: 220 + seq * 10 }), MUSIC_SAMPLE_RATE, 2);
      return { files: [{ name: 'out.wav', bytes: wav, contentType: 'audio/wav' }], many: false };
    }
    case 'speech': {
      const wav = encodeWav(pcmTone({ sampleRate: TTS_SAMPLE_RATE, channels: 1, seconds: 0.2, frequency: 440 + seq }), TTS_SAMPLE_RATE, 1);
      return { files: [{ name: 'output.wav', bytes: wav, contentType: 'audio/wav' }], many: false };
    }
  }
}
