/**
 * MediaAttachment → a file input Replicate reads: models take files as HTTP URLs or data:
 * URIs. https:// and data: URIs pass as they are; our artifact:// URIs and inline bytes become
 * data: URIs (Replicate's client caps inline files at 10 MB, and so do we: larger files need a
 * public https URL). gs:// is Google's own and cannot be read by Replicate.
 */
import type { AdapterEnv, MediaAttachment } from '../base.js';
import { invalidRequest } from '../errors.js';
import { sniffMimeType, toDataUri } from '../../util/media.js';
import { PROVIDER_ID } from './models.js';

/** The largest file sent inline as a data: URI (what the `replicate` client itself allows). */
export const MAX_INLINE_BYTES = 10_000_000;

export async function fileInput(att: MediaAttachment, env: Pick<AdapterEnv, 'resolveArtifact'>, label: string): Promise<string> {
  if ('data' in att) return inline(att.data, att.mimeType || sniffMimeType(att.data) || 'application/octet-stream', label);
  const { uri } = att;
  const scheme = uri.slice(0, uri.indexOf(':') + 1).toLowerCase();
  switch (scheme) {
    case 'https:':
    case 'data:':
      return uri;
    case 'artifact:': {
      const found = await env.resolveArtifact(uri);
      return inline(found.data, found.mimeType, label);
    }
    default:
      throw invalidRequest(`${label}: replicate takes https://, data: or artifact:// URIs, or inline bytes; got "${scheme || uri.slice(0, 16)}" (Replicate cannot read gs:// objects).`, PROVIDER_ID);
  }
}

function inline(data: Uint8Array, mimeType: string, label: string): string {
  if (data.byteLength > MAX_INLINE_BYTES) {
    throw invalidRequest(`${label} is ${data.byteLength} bytes, over the ${MAX_INLINE_BYTES}-byte limit for a file sent inline; give a public https:// URL instead.`, PROVIDER_ID);
  }
  return toDataUri(data, mimeType);
}
