/**
 * Writes artifacts straight into a folder in FsArtifactStore's format (`<id>.wav` + `<id>.json`),
 * as another process or an older release would have left them: cheap enough for 10,000, and free
 * to date them in the past. None of them is in any index until a store's first-use pass adds it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRecord } from '../../src/artifacts/store.js';

export const META = { mimeType: 'audio/wav', provider: 'local', model: 'espeak-ng', capability: 'tts' } as const;

/** An artifact id for the moment `at` (ms since the epoch): ids sort by time. */
export function idFor(at: number): string {
  return at.toString(36).padStart(9, '0') + randomBytes(6).toString('hex');
}

export interface Planted {
  id: string;
  record: Omit<ArtifactRecord, 'path' | 'url'>;
  media: string;
  sidecar: string;
}

/** One artifact of `size` bytes created at `at`; `prompt` tells it apart in assertions. */
export async function plant(dir: string, at: number, size: number, prompt = `planted at ${at}`): Promise<Planted> {
  const id = idFor(at);
  const data = Buffer.alloc(size, id.charCodeAt(20));
  const record = {
    ...META,
    prompt,
    id,
    uri: `artifact://${id}`,
    size,
    sha256: createHash('sha256').update(data).digest('hex'),
    createdAt: new Date(at).toISOString(),
  };
  const media = join(dir, `${id}.wav`);
  const sidecar = join(dir, `${id}.json`);
  await writeFile(media, data);
  await writeFile(sidecar, JSON.stringify({ ...record, path: media, file: `${id}.wav` }, null, 2));
  return { id, record, media, sidecar };
}

/** `count` artifacts, `step` ms apart from `from` on, written `parallel` at a time; oldest first. */
export async function plantMany(dir: string, count: number, { from, step = 1, size = 16, parallel = 200 }: { from: number; step?: number; size?: number; parallel?: number }): Promise<Planted[]> {
  const out: Planted[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, (_, j) => plant(dir, from + (i + j) * step, size, `artifact ${i + j}`));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}
