/**
 * Small inline previews of generated images: at most PREVIEW_MAX_PX on the long side, re-encoded
 * as JPEG (WebP when the image has transparency), so an agent with vision sees what it made for a
 * few thousand tokens whatever the original's size. The full file stays a resource_link.
 *
 * sharp (native libvips) is imported here on first use only, never at start-up; the bundle keeps
 * it external (scripts/build.mjs bundles only the packages it lists).
 */

/** Long side of a preview, in pixels. */
export const PREVIEW_MAX_PX = 512;
/** JPEG / WebP quality of a preview. */
export const PREVIEW_QUALITY = 75;
/** Originals larger than this are not decoded for a preview (memory); they stay links only. */
export const PREVIEW_MAX_SOURCE_BYTES = 64 * 1024 * 1024;
/** Raster formats libvips decodes; SVG and anything else get no preview. */
const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif', 'image/tiff', 'image/heif', 'image/heic']);

export interface Preview {
  data: Buffer;
  mimeType: 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
}

export function isPreviewable(mimeType: string, size: number): boolean {
  return PREVIEWABLE.has(mimeType) && size <= PREVIEW_MAX_SOURCE_BYTES;
}

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;

function loadSharp(): Promise<Sharp> {
  if (!sharpModule) {
    sharpModule = import('sharp').then((m) => m.default);
    // A failed load (no prebuilt binary for this platform) is tried again next time, not cached.
    sharpModule.catch(() => (sharpModule = undefined));
  }
  return sharpModule;
}

/**
 * The preview of one image, or undefined when it cannot be made (a corrupt or unsupported file,
 * sharp unavailable): a preview is a courtesy, never an error for the call.
 */
export async function makePreview(data: Buffer): Promise<Preview | undefined> {
  try {
    const sharp = await loadSharp();
    // First frame of an animation; EXIF orientation applied; bounded decode (the default ~268 Mpx).
    const image = sharp(data, { failOn: 'error', animated: false });
    const { hasAlpha } = await image.metadata();
    const resized = image.rotate().resize(PREVIEW_MAX_PX, PREVIEW_MAX_PX, { fit: 'inside', withoutEnlargement: true });
    const encoded = hasAlpha ? resized.webp({ quality: PREVIEW_QUALITY }) : resized.jpeg({ quality: PREVIEW_QUALITY, mozjpeg: true });
    const { data: out, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { data: out, mimeType: hasAlpha ? 'image/webp' : 'image/jpeg', width: info.width, height: info.height };
  } catch {
    return undefined;
  }
}
