/** Decoding the data URLs OpenRouter returns images in, and reading what we can from the bytes. */

/** `data:<mime>[;params][;base64],<payload>` → bytes and mime type; undefined if not one. */
export function decodeDataUrl(url: string): { data: Uint8Array; mimeType: string } | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match) return undefined;
  const [, mime, params = '', payload = ''] = match;
  const isBase64 = params.split(';').includes('base64');
  let data: Buffer;
  try {
    data = isBase64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  } catch {
    return undefined; // bad percent-encoding
  }
  if (data.length === 0) return undefined;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mimeType: mime || 'text/plain' };
}

const EXTENSIONS: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

export function mimeTypeFromUrl(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const ext = /\.([a-z0-9]+)$/i.exec(pathname)?.[1]?.toLowerCase();
  return ext ? EXTENSIONS[ext] : undefined;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk; empty for anything else. */
export function imageSize(data: Uint8Array): { width?: number; height?: number } {
  if (data.length < 24 || !PNG_SIGNATURE.every((b, i) => data[i] === b)) return {};
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
