/**
 * Byte-level media helpers every adapter shares: data: URIs, MIME types from names and
 * signatures, image sizes, base64.
 */

/**
 * `data:<mime>[;params][;base64],<payload>` → bytes and type; undefined when malformed or
 * empty. `mimeType` is undefined when the URI names none: each caller knows its own default.
 */
export function decodeDataUri(uri: string): { data: Uint8Array; mimeType?: string } | undefined {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(uri);
  if (!m) return undefined;
  const [, mime = '', params = '', payload = ''] = m;
  let data: Buffer;
  try {
    data = params.split(';').includes('base64') ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  } catch {
    return undefined;
  }
  if (data.length === 0) return undefined;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ...(mime ? { mimeType: mime } : {}) };
}

const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
};

/** MIME type from a URI's file extension (gs:// or https), when it has a known one. */
export function mimeTypeFromName(uri: string): string | undefined {
  const path = uri.split(/[?#]/)[0] ?? '';
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? BY_EXTENSION[ext] : undefined;
}

const startsWith = (data: Uint8Array, bytes: readonly number[], at = 0) => bytes.every((b, i) => data[at + i] === b);

/** MIME type from the first bytes, for the image, audio and video formats providers return. */
export function sniffMimeType(data: Uint8Array): string | undefined {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47])) return 'image/png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(data, [0x52, 0x49, 0x46, 0x46]) && startsWith(data, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (startsWith(data, [0x52, 0x49, 0x46, 0x46]) && startsWith(data, [0x57, 0x41, 0x56, 0x45], 8)) return 'audio/wav';
  if (startsWith(data, [0x66, 0x74, 0x79, 0x70], 4)) return 'video/mp4';
  return undefined;
}

/** Width and height of a PNG (IHDR) or baseline/progressive JPEG (first SOF marker); empty otherwise. */
export function imageSize(data: Uint8Array): { width?: number; height?: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length >= 24 && startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (data.length >= 4 && startsWith(data, [0xff, 0xd8])) {
    let offset = 2;
    while (offset + 9 < data.length) {
      if (data[offset] !== 0xff) return {};
      const marker = data[offset + 1]!;
      // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
      }
      offset += 2 + view.getUint16(offset + 2);
    }
  }
  return {};
}

export function toBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function toDataUri(data: Uint8Array, mimeType: string): string {
  return `data:${mimeType};base64,${toBase64(data)}`;
}

export function fromBase64(text: string): Uint8Array {
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
