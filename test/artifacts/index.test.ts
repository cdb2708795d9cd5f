/**
 * The artifact index (src/artifacts/artifact-index.ts) as the store uses it: `list` pages
 * through it without reading a sidecar, and the first-use pass keeps it in line with the
 * sidecars, so a lost index rebuilds itself and rows of vanished sidecars go.
 */
import { access, mkdir, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FsArtifactStore, indexPathFor } from '../../src/artifacts/fs-store.js';
import type { ArtifactRecord } from '../../src/artifacts/store.js';
import { META, plant, plantMany } from './plant.js';

/** A fresh artifact folder inside its own temp folder, so the index beside it stays in there too. */
async function folder(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'mcp-providers-index-')), 'artifacts');
}

async function listAll(store: FsArtifactStore, limit: number): Promise<{ records: ArtifactRecord[]; pages: number }> {
  const records: ArtifactRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 10_000; pages++) {
    const page = await store.list({ cursor, limit });
    records.push(...page.records);
    if (!page.nextCursor) return { records, pages };
    cursor = page.nextCursor;
  }
  throw new Error('list never ended');
}

function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

const indexFiles = (dir: string) => [indexPathFor(dir), `${indexPathFor(dir)}-wal`, `${indexPathFor(dir)}-shm`];

describe('artifact index', () => {
  it('lists 10,000 artifacts page by page without reading a single sidecar', { timeout: 60_000 }, async () => {
    const dir = await folder();
    await mkdir(dir, { recursive: true });
    const planted = await plantMany(dir, 10_000, { from: Date.UTC(2026, 0, 1), step: 1000 });
    const first = new FsArtifactStore({ dir });
    // The first use indexes every sidecar once (the only time they are read).
    expect((await first.sweep()).index).toEqual({ added: 10_000, dropped: 0 });
    first.close();

    // Every sidecar is now garbage: a list that read even one would leave it out.
    await Promise.all(planted.map((p) => writeFile(p.sidecar, '{ not json')));
    const store = new FsArtifactStore({ dir });
    const started = Date.now();
    const { records, pages } = await listAll(store, 50);
    const elapsed = Date.now() - started;

    expect(pages).toBe(200);
    expect(records).toHaveLength(10_000);
    const newestFirst = [...planted].reverse();
    expect(records.map((r) => r.id)).toEqual(newestFirst.map((p) => p.id));
    for (const [i, r] of records.entries()) {
      expect(r).toEqual({ ...newestFirst[i]!.record, path: newestFirst[i]!.media });
    }
    // The sidecars are the source of truth for get(): garbage there is "no such artifact".
    expect(await store.get(planted[0]!.id)).toBeUndefined();
    expect(elapsed).toBeLessThan(10_000);
    store.close();
  });

  it('rebuilds a deleted index from the sidecars on the next start', async () => {
    const dir = await folder();
    const store = new FsArtifactStore({ dir });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await store.put({ kind: 'bytes', data: new Uint8Array([i, i]) }, { ...META, prompt: `p${i}` })).id);
    store.close();
    for (const f of indexFiles(dir)) await rm(f, { force: true });

    const { logger, lines } = captureLogger();
    const again = new FsArtifactStore({ dir, logger });
    expect((await again.list({ limit: 10 })).records.map((r) => [r.id, r.prompt])).toEqual([
      [ids[2], 'p2'],
      [ids[1], 'p1'],
      [ids[0], 'p0'],
    ]);
    expect(lines.find((l) => l.msg === 'artifact index brought in line with the sidecars')).toMatchObject({ added: 3, dropped: 0, indexed: 3 });
    await access(indexPathFor(dir));
    again.close();
  });

  it('replaces a damaged index file and refills it from the sidecars', async () => {
    const dir = await folder();
    const store = new FsArtifactStore({ dir });
    const rec = await store.put({ kind: 'bytes', data: new Uint8Array([1, 2, 3]) }, { ...META, prompt: 'survivor' });
    store.close();
    for (const f of indexFiles(dir)) await rm(f, { force: true });
    await writeFile(indexPathFor(dir), 'this is not a SQLite database, just some bytes that happen to be here');

    const { logger, lines } = captureLogger();
    const again = new FsArtifactStore({ dir, logger });
    expect((await again.list({ limit: 10 })).records.map((r) => r.id)).toEqual([rec.id]);
    expect(lines.some((l) => l.level === 40 && /index damaged/.test(l.msg))).toBe(true);
    again.close();
    // A file again, not the in-memory fallback: the next store finds the row without re-adding it.
    expect((await new FsArtifactStore({ dir }).sweep()).index).toEqual({ added: 0, dropped: 0 });
  });

  it('drops the row of a sidecar deleted behind its back at the next start, and leaves the others', async () => {
    const dir = await folder();
    const store = new FsArtifactStore({ dir });
    const kept = await store.put({ kind: 'bytes', data: new Uint8Array([1]) }, { ...META, prompt: 'kept' });
    const lost = await store.put({ kind: 'bytes', data: new Uint8Array([2]) }, { ...META, prompt: 'lost' });
    store.close();
    await unlink(join(dir, `${lost.id}.json`));

    const again = new FsArtifactStore({ dir });
    const report = await again.sweep();
    expect(report.index).toEqual({ added: 0, dropped: 1 });
    expect((await again.list({ limit: 10 })).records.map((r) => r.id)).toEqual([kept.id]);
    // Its media, now without a sidecar, is young: the sweep leaves it for a later start.
    expect(report.kept).toEqual([`${lost.id}.wav`]);
    again.close();
  });

  it('hides at once an artifact whose media file was deleted, without waiting for a restart', async () => {
    const dir = await folder();
    const store = new FsArtifactStore({ dir });
    const a = await store.put({ kind: 'bytes', data: new Uint8Array([1]) }, { ...META, prompt: 'a' });
    const b = await store.put({ kind: 'bytes', data: new Uint8Array([2]) }, { ...META, prompt: 'b' });
    await unlink(b.path!);
    // Page size 1: the newest row is hidden and the page is filled past it.
    expect(await store.list({ limit: 1 })).toMatchObject({ records: [{ id: a.id }] });
    store.close();
  });

  it('is shared by every store on one folder: what one process adds, another lists without restarting', async () => {
    const dir = await folder();
    const one = new FsArtifactStore({ dir });
    const two = new FsArtifactStore({ dir });
    expect((await two.list({ limit: 10 })).records).toEqual([]);
    const rec = await one.put({ kind: 'bytes', data: new Uint8Array([9]) }, { ...META, prompt: 'from one' });
    expect((await two.list({ limit: 10 })).records.map((r) => r.id)).toEqual([rec.id]);
    one.close();
    two.close();
  });

  it('lives beside the folder, not in it, and is not created before first use', async () => {
    const dir = await folder();
    const store = new FsArtifactStore({ dir });
    await expect(access(indexPathFor(dir))).rejects.toThrow();
    const rec = await store.put({ kind: 'bytes', data: new Uint8Array([1]) }, { ...META, prompt: 'x' });
    expect(indexPathFor(dir)).toBe(`${dir}.index.sqlite`);
    await access(indexPathFor(dir));
    // The folder holds artifacts and nothing else.
    expect((await readdir(dir)).sort()).toEqual([`${rec.id}.json`, `${rec.id}.wav`]);
    // A sweep with age 0 takes nothing that is not a leftover, the index included.
    expect((await new FsArtifactStore({ dir, sweepAgeMs: 0 }).sweep()).removed).toEqual({ temp: [], orphanMedia: [], badSidecar: [], missingMedia: [] });
    await access(indexPathFor(dir));
    store.close();
  });

  it('falls back to an in-memory index, rebuilt from the sidecars, when the file cannot be opened', async () => {
    const dir = await folder();
    await mkdir(dir, { recursive: true });
    const planted = await plant(dir, Date.now() - 5000, 10);
    // A path under a regular file: the index's folder cannot be created.
    const blocker = join(dir, '..', 'not-a-folder');
    await writeFile(blocker, 'x');
    const { logger, lines } = captureLogger();
    const store = new FsArtifactStore({ dir, logger, indexPath: join(blocker, 'index.sqlite') });
    expect((await store.list({ limit: 10 })).records.map((r) => r.id)).toEqual([planted.id]);
    const rec = await store.put({ kind: 'bytes', data: new Uint8Array([1]) }, { ...META, prompt: 'new' });
    expect((await store.list({ limit: 10 })).records.map((r) => r.id)).toEqual([rec.id, planted.id]);
    expect(lines.some((l) => l.level === 40 && /index cannot be opened/.test(l.msg))).toBe(true);
    store.close();
  });
});
