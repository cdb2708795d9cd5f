/**
 * Artifact store contract. Every generated file is written once, streamed, with a
 * metadata sidecar; it is then addressed by an opaque id (`artifact://<id>`) that
 * never comes from user input unchecked.
 */
import type { ArtifactSource, ProviderTelemetry } from '../providers/base.js';

export const ARTIFACT_SCHEME = 'artifact:';
export const ARTIFACT_URI_TEMPLATE = 'artifact://{id}';

/** Time-sortable and unguessable: 9 base-36 digits of ms since epoch + 12 random hex digits. */
const ID_PATTERN = /^[0-9a-z]{9}[0-9a-f]{12}$/;

export function isArtifactId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function artifactUri(id: string): string {
  return `artifact://${id}`;
}

/** The id in an `artifact://<id>` URI, or undefined when it is not one of ours. */
export function parseArtifactUri(uri: string): string | undefined {
  const m = /^artifact:\/\/([^/?#]+)$/.exec(uri);
  return m && isArtifactId(m[1]) ? m[1] : undefined;
}

/** What the caller of `put` knows about a file. */
export interface ArtifactMeta {
  mimeType: string;
  provider: string;
  model: string;
  capability: string;
  /** The prompt, cut to a readable length. */
  prompt: string;
  width?: number;
  height?: number;
  durationSeconds?: number;
  /** Where the provider left it (gs:// or https), kept for agents that can use it directly. */
  sourceUri?: string;
  telemetry?: ProviderTelemetry;
}

export interface ArtifactRecord extends ArtifactMeta {
  id: string;
  uri: string;
  size: number;
  sha256: string;
  createdAt: string;
  /** File on this machine (local store). */
  path?: string;
  /** Where it can be downloaded (signed URL, or the HTTP server's download route). */
  url?: string;
}

/** What a person sees as the artifact's name: its file name where it has one, else its id. */
export function artifactName(record: ArtifactRecord): string {
  return record.path ? record.path.slice(record.path.lastIndexOf('/') + 1) : record.id;
}

export interface ArtifactPage {
  records: ArtifactRecord[];
  nextCursor?: string;
}

export interface ArtifactStore {
  /** Streams the source into the store; the file appears only once complete. */
  put(source: ArtifactSource, meta: ArtifactMeta, signal?: AbortSignal): Promise<ArtifactRecord>;
  /** Undefined for an unknown id and for one whose metadata is missing or unreadable. */
  get(id: string): Promise<ArtifactRecord | undefined>;
  /** Like get, and also undefined when the file itself is gone or not the recorded size. */
  read(id: string): Promise<{ record: ArtifactRecord; data: Buffer } | undefined>;
  stream(id: string): Promise<{ record: ArtifactRecord; stream: NodeJS.ReadableStream } | undefined>;
  /** Newest first; complete artifacts only. A broken record is left out, never an error for the whole page. */
  list(opts: { cursor?: string; limit: number }): Promise<ArtifactPage>;
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'audio/flac': 'flac',
  'text/plain': 'txt',
  'application/json': 'json',
};

export function extensionFor(mimeType: string): string {
  return EXTENSIONS[mimeType.split(';')[0].trim().toLowerCase()] ?? 'bin';
}
