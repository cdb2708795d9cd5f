/**
 * Input files for fal: every fal endpoint takes its images as a URL field (`image_url`,
 * `image_urls`, `tail_image_url`), and a `data:` URI is a URL it accepts. So an https URL is
 * passed as given, and our own artifacts and inline bytes become data URIs; gs:// cannot be
 * read by fal. (`@fal-ai/client` would upload Blobs to fal's storage first; inline data keeps
 * us on the one queue host, at the cost of a larger submit body.)
 */
import type { AdapterEnv, MediaAttachment } from '../base.js';
import { invalidRequest } from '../errors.js';
import { decodeDataUri, mimeTypeFromName, sniffMimeType, toDataUri } from '../../util/media.js';
import { PROVIDER_ID } from './models.js';

/** The attachment as a URL a fal endpoint reads; refuses anything that is not an image. */
export async function imageUrlFor(att: MediaAttachment, env: AdapterEnv, label: string): Promise<string> {
  if ('data' in att) return checkedDataUri(att.data, att.mimeType, label);
  const uri = att.uri;
  if (uri.startsWith('https://')) {
    const type = att.mimeType ?? mimeTypeFromName(uri);
    if (type && !type.startsWith('image/')) throw invalidRequest(`${label} must be an image, not ${type}.`, PROVIDER_ID);
    return uri;
  }
  if (uri.startsWith('data:')) {
    const decoded = decodeDataUri(uri);
    if (!decoded) throw invalidRequest(`${label} is not a valid data: URI.`, PROVIDER_ID);
    return checkedDataUri(decoded.data, att.mimeType ?? decoded.mimeType, label);
  }
  if (uri.startsWith('artifact://')) {
    const found = await env.resolveArtifact(uri);
    return checkedDataUri(found.data, found.mimeType, label);
  }
  throw invalidRequest(`${label}: fal cannot read ${uri.split(':')[0]}: URIs; give an https URL, a data: URI or an artifact:// URI.`, PROVIDER_ID);
}

function checkedDataUri(data: Uint8Array, declared: string | undefined, label: string): string {
  const type = sniffMimeType(data) ?? declared;
  if (!type?.startsWith('image/')) throw invalidRequest(`${label} must be an image${type ? `, not ${type}` : ''}.`, PROVIDER_ID);
  return toDataUri(data, type);
}
