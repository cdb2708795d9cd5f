/**
 * What each kind of fal endpoint returns when a request completes, with real files behind the
 * URLs: PNG/JPEG images (`images[]` of `{url, content_type, width, height}`, the FLUX shape), an
 * MP4 `video`, WAV `audio_file` (Stable Audio), WAV or MP3 `audio` (Lyria, Kokoro, ElevenLabs).
 * Sizes are fal's divided by 16 so every file stays a few KB. Also the input checks a model
 * would make: a missing prompt is a 422 `missing`, a prompt with "forbidden" a 422
 * `content_policy_violation` — both in fal's model-error shape.
 */
import { colour, encodeJpeg, encodeMp4, encodePng, encodeWav, pcmTone } from '../media.js';
import type { JobError } from './types.js';

export type Family = 'image' | 'video' | 'stable-audio' | 'wav-audio' | 'mp3-audio' | 'kokoro';

/** The kind of output an endpoint id makes; undefined for an app the emulator does not host. */
export function familyOf(endpoint: string): Family | undefined {
  if (/kokoro/.test(endpoint)) return 'kokoro';
  if (/elevenlabs/.test(endpoint)) return 'mp3-audio';
  if (/stable-audio/.test(endpoint)) return 'stable-audio';
  if (/lyria|mmaudio|music|audio/.test(endpoint)) return 'wav-audio';
  if (/video|kling|veo|hailuo|wan|ltx|pika|pixverse|seedance/.test(endpoint)) return 'video';
  if (/flux|nano-banana|imagen|recraft|ideogram|seedream|image/.test(endpoint)) return 'image';
  return undefined;
}

export interface MadeFile {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

const PRESETS: Record<string, [number, number]> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};

function promptField(family: Family, endpoint: string): 'prompt' | 'text' {
  return family === 'mp3-audio' || /elevenlabs/.test(endpoint) ? 'text' : 'prompt';
}

/** A model's refusal of its input, or undefined when the input is fine. */
export function validate(family: Family, endpoint: string, input: Record<string, unknown>): JobError | undefined {
  const field = promptField(family, endpoint);
  const text = input[field];
  if (typeof text !== 'string' || !text.trim()) {
    return { status: 422, detail: [{ loc: ['body', field], msg: 'Field required', type: 'missing' }] };
  }
  if (/forbidden/i.test(text)) {
    return {
      status: 422,
      detail: [{ loc: ['body', field], msg: 'The content was flagged by a content checker.', type: 'content_policy_violation', url: 'https://docs.fal.ai/errors#content_policy_violation', input: text }],
    };
  }
  if ((/image-to-video|edit|kontext|image-to-image/.test(endpoint)) && typeof input.image_url !== 'string' && !Array.isArray(input.image_urls)) {
    return { status: 422, detail: [{ loc: ['body', /edit$/.test(endpoint) ? 'image_urls' : 'image_url'], msg: 'Field required', type: 'missing' }] };
  }
  return undefined;
}

function imageSize(input: Record<string, unknown>): [number, number] {
  const size = input.image_size;
  if (typeof size === 'string' && PRESETS[size]) return PRESETS[size]!;
  if (size && typeof size === 'object') {
    const { width, height } = size as { width?: unknown; height?: unknown };
    if (typeof width === 'number' && typeof height === 'number') return [width, height];
  }
  const ratio = typeof input.aspect_ratio === 'string' ? /^(\d+):(\d+)$/.exec(input.aspect_ratio) : null;
  if (ratio) return [1024, Math.round((1024 * Number(ratio[2])) / Number(ratio[1]))];
  return PRESETS.landscape_4_3!;
}

function seconds(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** A short silent MPEG-1 Layer III stream (32 kHz mono, 32 kbit/s) behind an ID3v2.3 title naming the clip. */
export function encodeMp3(index: number, durationSeconds: number): Uint8Array {
  const title = Buffer.from(`\u0000fal-emulator clip #${index}`, 'latin1');
  const frame = Buffer.concat([Buffer.from('TIT2', 'ascii'), u32(title.length), Buffer.from([0, 0]), title]);
  const size = frame.length;
  const syncsafe = Buffer.from([(size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
  const tag = Buffer.concat([Buffer.from('ID3', 'ascii'), Buffer.from([3, 0, 0]), syncsafe, frame]);
  // 144 × bitrate / sample rate = 144 bytes a frame, 1152 samples (36 ms); all-zero side info and main data is silence.
  const frames = Math.max(1, Math.ceil((durationSeconds * 32000) / 1152));
  const one = Buffer.alloc(144);
  one.set([0xff, 0xfb, 0x18, 0xc0]);
  return new Uint8Array(Buffer.concat([tag, ...Array.from({ length: frames }, () => one)]));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

let made = 0;

/** The result body for a completed request and the files its URLs point at (`url(name)` makes a file's URL). */
export function complete(family: Family, endpoint: string, input: Record<string, unknown>, url: (name: string) => string): { body: Record<string, unknown>; files: MadeFile[] } {
  const files: MadeFile[] = [];
  const file = (ext: string, bytes: Uint8Array, contentType: string) => {
    const name = `${(++made).toString(36).padStart(6, '0')}-${Math.random().toString(36).slice(2, 10)}.${ext}`;
    files.push({ name, bytes, contentType });
    return { url: url(name), content_type: contentType, file_name: `output.${ext}`, file_size: bytes.length };
  };
  switch (family) {
    case 'image': {
      const count = typeof input.num_images === 'number' && input.num_images > 0 ? Math.min(8, input.num_images) : 1;
      const [w, h] = imageSize(input);
      const jpeg = input.output_format === 'jpeg';
      const images = Array.from({ length: count }, (_, i) => {
        const rgb = colour(made + i);
        if (jpeg) {
          const width = Math.max(8, Math.ceil(w / 16 / 8) * 8);
          const height = Math.max(8, Math.ceil(h / 16 / 8) * 8);
          return { ...file('jpg', encodeJpeg(width, height, rgb), 'image/jpeg'), width, height };
        }
        const width = Math.max(1, Math.round(w / 16));
        const height = Math.max(1, Math.round(h / 16));
        return { ...file('png', encodePng(width, height, rgb), 'image/png'), width, height };
      });
      const seed = typeof input.seed === 'number' ? input.seed : 424242;
      return { body: { images, timings: { inference: 0.05 }, seed, has_nsfw_concepts: images.map(() => false), prompt: input.prompt }, files };
    }
    case 'video': {
      const video = file('mp4', encodeMp4(made, seconds(input.duration, 5)), 'video/mp4');
      return { body: { video }, files };
    }
    case 'stable-audio': {
      const s = seconds(input.seconds_total, 30);
      const wav = encodeWav(pcmTone({ sampleRate: 4000, channels: 1, seconds: s, frequency: 440 }), 4000, 1);
      return { body: { audio_file: file('wav', wav, 'audio/wav') }, files };
    }
    case 'wav-audio': {
      const s = seconds(input.duration, 8);
      const wav = encodeWav(pcmTone({ sampleRate: 4000, channels: 1, seconds: s, frequency: 330 }), 4000, 1);
      return { body: { audio: file('wav', wav, 'audio/wav') }, files };
    }
    case 'mp3-audio': {
      const text = String(input.text ?? '');
      const mp3 = encodeMp3(made, seconds(input.duration_seconds, Math.max(0.5, text.length * 0.06)));
      return { body: { audio: file('mp3', mp3, 'audio/mpeg') }, files };
    }
    case 'kokoro': {
      const text = String(input.prompt ?? '');
      const speed = typeof input.speed === 'number' && input.speed > 0 ? input.speed : 1;
      const wav = encodeWav(pcmTone({ sampleRate: 24000, channels: 1, seconds: Math.max(0.2, (text.length * 0.06) / speed), frequency: 220 }), 24000, 1);
      return { body: { audio: file('wav', wav, 'audio/wav') }, files };
    }
  }
}
