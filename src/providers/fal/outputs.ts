/**
 * Files in a finished fal job's output. Endpoints shape their output differently: images in
 * `images[]` (or one `image`), a video in `video` (or `videos[]`), audio in `audio`,
 * `audio_file` or `audio_url` — each a fal File `{url, content_type?, file_name?, width?,
 * height?}`, sometimes a bare URL string. URLs are handed to the artifact layer to download
 * (https, or the configured queue host's own origin in tests); `data:` URIs (`sync_mode`) are
 * decoded here.
 */
import type { Capability, GeneratedArtifact } from '../base.js';
import { field } from '../../util/field.js';
import { decodeDataUri, imageSize, mimeTypeFromName, sniffMimeType } from '../../util/media.js';

/** Output fields that hold files, per capability, in the order they are read. */
const FILE_FIELDS: Record<Exclude<Capability, 'text'>, readonly string[]> = {
  image: ['images', 'image'],
  video: ['videos', 'video'],
  audio: ['audio_file', 'audio', 'audio_url'],
  tts: ['audio', 'audio_file', 'audio_url'],
};

const DEFAULT_TYPE: Record<Exclude<Capability, 'text'>, string> = {
  image: 'image/png',
  video: 'video/mp4',
  audio: 'audio/wav',
  tts: 'audio/wav',
};

export interface FoundFiles {
  artifacts: GeneratedArtifact[];
  /** Entries that were not usable files (no URL, an unsupported scheme), for a warning. */
  skipped: number;
}

export function filesIn(
  body: unknown,
  capability: Exclude<Capability, 'text'>,
  opts: { audioMimeType?: string; durationSeconds?: number } = {},
): FoundFiles {
  const out: FoundFiles = { artifacts: [], skipped: 0 };
  for (const key of FILE_FIELDS[capability]) {
    const value = field(body, key);
    if (value === undefined || value === null) continue;
    for (const file of Array.isArray(value) ? value : [value]) {
      const artifact = toArtifact(file, capability, opts);
      if (artifact) out.artifacts.push(artifact);
      else out.skipped++;
    }
    // The first field that has files is the output; `image` beside `images` would be the same picture.
    if (out.artifacts.length) break;
  }
  return out;
}

function toArtifact(file: unknown, capability: Exclude<Capability, 'text'>, opts: { audioMimeType?: string; durationSeconds?: number }): GeneratedArtifact | undefined {
  const url = typeof file === 'string' ? file : field(file, 'url');
  if (typeof url !== 'string') return undefined;
  const declared = stringField(file, 'content_type');
  const fallback = (capability === 'audio' || capability === 'tts') && opts.audioMimeType ? opts.audioMimeType : DEFAULT_TYPE[capability];
  const duration = opts.durationSeconds !== undefined && capability !== 'image' ? { durationSeconds: opts.durationSeconds } : {};
  if (url.startsWith('data:')) {
    const decoded = decodeDataUri(url);
    if (!decoded) return undefined;
    const mimeType = sniffMimeType(decoded.data) ?? declared ?? decoded.mimeType ?? fallback;
    return { source: { kind: 'bytes', data: decoded.data }, mimeType, ...(capability === 'image' ? imageSize(decoded.data) : {}), ...duration };
  }
  if (!/^https?:\/\//i.test(url)) return undefined;
  const mimeType = declared ?? mimeTypeFromName(stringField(file, 'file_name') ?? url) ?? fallback;
  const width = numberField(file, 'width');
  const height = numberField(file, 'height');
  return {
    source: { kind: 'url', url },
    sourceUri: url,
    mimeType: mimeType.split(';')[0]!.trim(),
    ...(width !== undefined && height !== undefined ? { width, height } : {}),
    ...duration,
  };
}

function stringField(obj: unknown, key: string): string | undefined {
  const v = field(obj, key);
  return typeof v === 'string' && v ? v : undefined;
}

function numberField(obj: unknown, key: string): number | undefined {
  const v = field(obj, key);
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
