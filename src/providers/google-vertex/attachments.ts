/**
 * MediaAttachment → what Vertex takes: inline bytes, or a URI the service reads itself.
 * Gemini reads gs:// and public https URIs (`fileData`); Veo and Imagen take only bytes
 * or gs://, so https is downloaded for them. data: URIs and our own artifact:// URIs
 * always become bytes.
 */
import type { Image, Part } from '@google/genai';
import type { AdapterEnv, MediaAttachment } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
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

export async function resolveMedia(att: MediaAttachment, env: Pick<AdapterEnv, 'resolveArtifact'>, opts: ResolveOptions): Promise<Media> {
  const media = await resolve(att, env, opts);
  if (opts.imagesOnly && !media.mimeType.startsWith('image/')) {
    throw invalidRequest(`${opts.label} must be an image (PNG, JPEG or WebP); got ${media.mimeType}.`, PROVIDER_ID);
  }
  return media;
}

async function resolve(att: MediaAttachment, env: Pick<AdapterEnv, 'resolveArtifact'>, opts: ResolveOptions): Promise<Media> {
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
      return download(uri, mimeType, opts);
    }
    default:
      throw invalidRequest(`${opts.label}: google-vertex takes artifact://, gs://, https:// or data: URIs, or inline bytes; got "${scheme || uri.slice(0, 16)}".`, PROVIDER_ID);
  }
}

async function download(uri: string, declared: string | undefined, opts: ResolveOptions): Promise<Media> {
  let res: Response;
  try {
    res = await fetch(uri, { signal: opts.signal, redirect: 'follow' });
  } catch (err) {
    if (opts.signal.aborted) throw new ProviderError({ code: 'cancelled', providerId: PROVIDER_ID, message: 'google-vertex: the call was cancelled.', cause: err });
    throw invalidRequest(`${opts.label}: could not download ${uri}: ${err instanceof Error ? err.message : String(err)}`, PROVIDER_ID);
  }
  if (!res.ok) throw invalidRequest(`${opts.label}: downloading ${uri} failed with HTTP ${res.status}.`, PROVIDER_ID);
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_DOWNLOAD_BYTES) throw invalidRequest(`${opts.label}: ${uri} is ${length} bytes, over the ${MAX_DOWNLOAD_BYTES}-byte limit for inline media; use a gs:// URI.`, PROVIDER_ID);
  const data = new Uint8Array(await res.arrayBuffer());
  if (data.byteLength > MAX_DOWNLOAD_BYTES) throw invalidRequest(`${opts.label}: ${uri} is over the ${MAX_DOWNLOAD_BYTES}-byte limit for inline media; use a gs:// URI.`, PROVIDER_ID);
  const header = res.headers.get('content-type')?.split(';')[0]?.trim();
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
