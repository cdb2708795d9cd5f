/**
 * A small Cloud Storage JSON API: object get (metadata, or bytes with `alt=media`) and list.
 *
 * @google-cloud/storage 8 builds `${apiEndpoint}/storage/v1` as its base URL (or takes
 * STORAGE_EMULATOR_HOST verbatim as the base), and File#createReadStream sends
 * `GET {base}/b/{bucket}/o/{encodeURIComponent(name)}?alt=media`. The emulator therefore answers
 * `/storage/v1/b/…`, `/download/storage/v1/b/…` (the object's mediaLink) and `/b/…`.
 * Download answers carry `x-goog-hash` (crc32c + md5) and `x-goog-stored-content-encoding`, so the
 * client's default CRC32C validation really runs. Media downloads take `download` faults (server.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from './auth.js';
import { crc32cBase64, md5Base64 } from '../media.js';
import { sendBody, sendJson } from './http.js';
import type { EmulatorState } from './types.js';

const OBJECT_ROUTE = /^(?:\/download)?(?:\/storage\/v1)?\/b\/([^/]+)\/o(?:\/(.+))?$/;

export function isGcsPath(path: string): boolean {
  return OBJECT_ROUTE.test(path);
}

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  mp4: 'video/mp4',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  json: 'application/json',
  txt: 'text/plain',
};

export function contentTypeFor(name: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** `gs://bucket/a/b` → { bucket, path: 'a/b' } (path without leading/trailing slashes). */
export function parseGsUri(uri: string): { bucket: string; path: string } | undefined {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) return undefined;
  return { bucket: m[1]!, path: m[2]!.replace(/\/+$/, '') };
}

/** Stores an object written by a model call (storageUri outputs); returns its gs:// URI. */
export function putObject(state: EmulatorState, bucket: string, name: string, bytes: Uint8Array): string {
  const key = `${bucket}/${name}`;
  state.gcsObjects.set(key, bytes);
  state.gcsGenerations.set(key, generationNow(state));
  return `gs://${key}`;
}

function generationNow(state: EmulatorState): string {
  return String(Date.now() * 1000 + (state.seq++ % 1000));
}

function gcsError(res: ServerResponse, code: number, message: string, reason: string): void {
  // JSON API error shape: google.rpc-like with the legacy `errors` array.
  sendJson(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } });
}

function objectResource(state: EmulatorState, bucket: string, name: string, bytes: Uint8Array): Record<string, unknown> {
  const key = `${bucket}/${name}`;
  let generation = state.gcsGenerations.get(key);
  if (generation === undefined) {
    generation = generationNow(state);
    state.gcsGenerations.set(key, generation);
  }
  const enc = encodeURIComponent(name);
  const created = new Date(Math.floor(Number(generation) / 1000)).toISOString();
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${generation}`,
    selfLink: `${state.baseUrl}/storage/v1/b/${bucket}/o/${enc}`,
    mediaLink: `${state.baseUrl}/download/storage/v1/b/${bucket}/o/${enc}?generation=${generation}&alt=media`,
    name,
    bucket,
    generation,
    metageneration: '1',
    contentType: contentTypeFor(name),
    storageClass: 'STANDARD',
    size: String(bytes.length),
    md5Hash: md5Base64(bytes),
    crc32c: crc32cBase64(bytes),
    etag: Buffer.from(generation).toString('base64'),
    timeCreated: created,
    updated: created,
    timeStorageClassUpdated: created,
  };
}

export function handleGcs(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: Record<string, string>,
): void {
  // Lenient auth: anonymous is fine (Storage sends no token to a custom apiEndpoint unless
  // useAuthWithCustomEndpoint), but a Bearer token must be one this emulator issued.
  const token = bearerToken(req);
  if (token !== undefined && !state.issuedTokens.includes(token)) {
    return gcsError(res, 401, 'Invalid Credentials', 'authError');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return gcsError(res, 405, 'Method not allowed', 'methodNotAllowed');
  const m = OBJECT_ROUTE.exec(path)!;
  const bucket = decodeURIComponent(m[1]!);
  if (m[2] === undefined) {
    // objects.list
    const prefix = query.prefix ?? '';
    const items: unknown[] = [];
    for (const [key, bytes] of state.gcsObjects) {
      if (!key.startsWith(`${bucket}/`)) continue;
      const name = key.slice(bucket.length + 1);
      if (name.startsWith(prefix)) items.push(objectResource(state, bucket, name, bytes));
    }
    return sendJson(res, 200, { kind: 'storage#objects', ...(items.length > 0 ? { items } : {}) });
  }
  const name = decodeURIComponent(m[2]);
  const bytes = state.gcsObjects.get(`${bucket}/${name}`);
  if (bytes === undefined) return gcsError(res, 404, `No such object: ${bucket}/${name}`, 'notFound');
  const meta = objectResource(state, bucket, name, bytes);
  if (query.alt !== 'media') return sendJson(res, 200, meta);
  // Through sendBody, so a `download` wire fault (truncate, stall, …) breaks this answer.
  sendBody(
    res,
    200,
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    {
      'content-type': String(meta.contentType),
      'x-goog-hash': `crc32c=${String(meta.crc32c)},md5=${String(meta.md5Hash)}`,
      'x-goog-generation': String(meta.generation),
      'x-goog-metageneration': '1',
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(bytes.length),
      'x-goog-storage-class': 'STANDARD',
      etag: String(meta.etag),
    },
    req.method === 'HEAD',
  );
}
