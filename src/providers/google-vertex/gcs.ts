/**
 * gs:// outputs (Veo with GOOGLE_VERTEX_OUTPUT_GCS_URI, Imagen with a storageUri): streamed
 * from Cloud Storage into the artifact store with `@google-cloud/storage`, never buffered.
 * The object's metadata is read first so a missing object or a credentials problem fails
 * here, inside the runner's error handling, rather than halfway through storing.
 */
import { Readable } from 'node:stream';
import type { CallContext, GeneratedArtifact } from '../base.js';
import { invalidRequest } from '../errors.js';
import type { VertexDeps } from './deps.js';
import { HttpFailure, toVertexError } from './errors.js';
import { PROVIDER_ID } from './models.js';

export function parseGsUri(uri: string): { bucket: string; object: string } {
  const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw invalidRequest(`"${uri}" is not a gs://bucket/object URI.`, PROVIDER_ID);
  return { bucket: m[1]!, object: m[2]! };
}

export async function gcsArtifact(
  deps: VertexDeps,
  uri: string,
  fallbackMimeType: string,
  ctx: CallContext,
  extra: Pick<GeneratedArtifact, 'durationSeconds' | 'width' | 'height'> = {},
): Promise<GeneratedArtifact> {
  const { bucket, object } = parseGsUri(uri);
  try {
    const storage = await deps.clients.storage();
    const file = storage.bucket(bucket).file(object);
    const [metadata] = await file.getMetadata();
    const nodeStream = file.createReadStream();
    // The store reads the stream after this call returns; a cancel must still stop the download.
    const onAbort = () => nodeStream.destroy(new Error('cancelled'));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    nodeStream.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
    return {
      source: { kind: 'stream', stream: Readable.toWeb(nodeStream) as ReadableStream<Uint8Array> },
      sourceUri: uri,
      mimeType: metadata.contentType || fallbackMimeType,
      ...extra,
    };
  } catch (err) {
    throw toVertexError(asHttpFailure(err) ?? err, { secrets: deps.secrets, signal: ctx.signal });
  }
}

/** `@google-cloud/storage` errors carry the HTTP status as a numeric `code`. */
function asHttpFailure(err: unknown): HttpFailure | undefined {
  const code = (err as { code?: unknown }).code;
  if (!(err instanceof Error) || typeof code !== 'number') return undefined;
  const body = JSON.stringify({ error: { code, message: `Cloud Storage: ${err.message}` } });
  return new HttpFailure(code, body, new Headers());
}
