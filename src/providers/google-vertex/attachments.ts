/**
 * MediaAttachment → what Vertex takes: inline bytes, or a URI the service reads itself.
 * Gemini reads gs:// and public https URIs (`fileData`); Veo and Imagen take only bytes
 * or gs://, so https is downloaded for them. data: URIs and our own artifact:// URIs
 * always become bytes.
 */
import type { Image, Part } from '@google/genai';
import type { AdapterEnv, MediaAttachment } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { fetchPolicy, guardedFetch } from '../../util/guarded-fetch.js';
import { decodeDataUri, mimeTypeFromName, sniffMimeType, toBase64 } from '../../util/media.js';
import { PROVIDER_ID } from './models.js';

export type Media = { kind: 'bytes'; data: Uint8Array; mimeType: string } | { kind: 'uri'; uri: string; mimeType: string };

export interface ResolveOptions {
  /** https URIs: let the model fetch them (Gemini), or download them here (Veo, Imagen). */
  https: 'pass' | 'download';
  /** Only images make sense here (video frames, reference images). */
  imagesOnly?: boolean;
  /** How the attachment is named in messages ("image", "attachments[1]"). */
  label: string;
  signal: AbortSignal;
}

/** Largest file we download to inline (Vertex caps a request at about 20 MB of inline data). */
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** Time for one attachment download, body included. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * What resolving needs from the adapter's environment: artifacts, and (for https downloads) the
 * environment and this provider's info, from which the fetch policy is built. Without `env`, only
 * public https hosts are fetched.
 */
export type MediaEnv = Pick<AdapterEnv, 'resolveArtifact'> & Partial<Pick<AdapterEnv, 'env' | 'info'>>;

export async function resolveMedia(att: MediaAttachment, env: MediaEnv, opts: ResolveOptions): Promise<Media> {
  const media = await resolve(att, env, opts);
  if (opts.imagesOnly && !media.mimeType.startsWith('image/')) {
    throw invalidRequest(`${opts.label} must be an image (PNG, JPEG or WebP); got ${media.mimeType}.`, PROVIDER_ID);
  }
  return media;
}

async function resolve(att: MediaAttachment, env: MediaEnv, opts: ResolveOptions): Promise<Media> {
  if ('data' in att) return { kind: 'bytes', data: att.data, mimeType: att.mimeType || sniffMimeType(att.data) || 'application/octet-stream' };
  const { uri } = att;
  const scheme = uri.slice(0, uri.indexOf(':') + 1).toLowerCase();
  switch (scheme) {
    case 'data:': {
      const decoded = decodeDataUri(uri);
      if (!decoded) throw invalidRequest(`${opts.label}: the data: URI is malformed or empty.`, PROVIDER_ID);
      const named = decoded.mimeType && decoded.mimeType !== 'application/octet-stream' ? decoded.mimeType : undefined;
      const mimeType = named ?? att.mimeType ?? sniffMimeType(decoded.data) ?? 'application/octet-stream';
      return { kind: 'bytes', data: decoded.data, mimeType };
    }
    case 'artifact:': {
      const found = await env.resolveArtifact(uri);
      return { kind: 'bytes', data: found.data, mimeType: found.mimeType };
    }
    case 'gs:': {
      const mimeType = att.mimeType ?? mimeTypeFromName(uri);
      if (!mimeType) throw invalidRequest(`${opts.label}: give mime_type for ${uri}; its type cannot be told from the name.`, PROVIDER_ID);
      return { kind: 'uri', uri, mimeType };
    }
    case 'https:': {
      const mimeType = att.mimeType ?? mimeTypeFromName(uri);
      // Gemini needs the type of a URI it fetches; when we cannot tell it, fetch it ourselves.
      if (opts.https === 'pass' && mimeType) return { kind: 'uri', uri, mimeType };
      return download(uri, mimeType, env, opts);
    }
    default:
      throw invalidRequest(`${opts.label}: google-vertex takes artifact://, gs://, https:// or data: URIs, or inline bytes; got "${scheme || uri.slice(0, 16)}".`, PROVIDER_ID);
  }
}

/**
 * Downloads a caller's https URL through the guarded fetch: public addresses only (or
 * MCP_PROVIDERS_FETCH_ALLOW_HOSTS), every redirect re-checked, no credentials, at most
 * {@link MAX_DOWNLOAD_BYTES}. A caller's URL is trusted no more than any other: the only trusted
 * origin is this provider's own configured base URL. A refused URL, or one that answers 4xx, is
 * the caller's to fix (`invalid_request`); a network failure or 5xx stays retryable.
 */
async function download(uri: string, declared: string | undefined, env: MediaEnv, opts: ResolveOptions): Promise<Media> {
  let data: Uint8Array;
  let header: string | undefined;
  try {
    const res = await guardedFetch(uri, {
      policy: fetchPolicy(env.env ?? {}, [env.info?.baseUrl]),
      purpose: opts.label,
      providerId: PROVIDER_ID,
      signal: opts.signal,
      maxBytes: MAX_DOWNLOAD_BYTES,
      timeoutMs: DOWNLOAD_TIMEOUT_MS,
    });
    header = res.headers.get('content-type')?.split(';')[0]?.trim();
    data = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    if (opts.signal.aborted) throw new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'google-vertex: the call was cancelled.', cause: err });
    if (!(err instanceof ProviderError)) throw invalidRequest(`${opts.label}: could not download ${uri.split('?')[0]}: ${err instanceof Error ? err.message : String(err)}`, PROVIDER_ID);
    if (err.code === 'invalid_request' && /limit/.test(err.message)) {
      throw new ProviderError({ code: 'invalid_request', providerId: PROVIDER_ID, message: `${err.message}; inline media is capped, use a gs:// URI`, cause: err });
    }
    if (err.code === 'not_found' || err.code === 'auth' || err.code === 'internal') {
      throw new ProviderError({ code: 'invalid_request', providerId: PROVIDER_ID, status: err.status, message: err.message, cause: err });
    }
    throw err;
  }
  const mimeType = declared ?? (header && header !== 'application/octet-stream' ? header : undefined) ?? sniffMimeType(data) ?? 'application/octet-stream';
  return { kind: 'bytes', data, mimeType };
}

/** A Gemini content part. */
export function toPart(media: Media): Part {
  return media.kind === 'bytes'
    ? { inlineData: { data: toBase64(media.data), mimeType: media.mimeType } }
    : { fileData: { fileUri: media.uri, mimeType: media.mimeType } };
}

/** An image for Veo (first or last frame): bytes or a gs:// object. */
export function toImage(media: Media): Image {
  if (media.kind === 'bytes') return { imageBytes: toBase64(media.data), mimeType: media.mimeType };
  if (!media.uri.startsWith('gs://')) throw invalidRequest(`Vertex takes frame images as bytes or gs:// URIs, not ${media.uri}.`, PROVIDER_ID);
  return { gcsUri: media.uri, mimeType: media.mimeType };
}
