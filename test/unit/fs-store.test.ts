import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, unlink } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import { isArtifactId, parseArtifactUri } from '../../src/artifacts/store.js';

const meta = { mimeType: 'audio/wav', provider: 'local', model: 'espeak-ng', capability: 'tts', prompt: 'hi' };

async function store() {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-providers-store-'));
  return { dir, store: new FsArtifactStore({ dir }) };
}

describe('FsArtifactStore', () => {
  it('stores bytes with sha256 and a sidecar, and survives a new instance (restart)', async () => {
    const { dir, store: s } = await store();
    const data = new Uint8Array(Buffer.from('RIFF....WAVEdata'));
    const rec = await s.put({ kind: 'bytes', data }, meta);
    expect(rec.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(rec.size).toBe(data.length);
    expect(rec.path).toBe(join(dir, `${rec.id}.wav`));
    expect(await readFile(rec.path!)).toEqual(Buffer.from(data));
    const again = await new FsArtifactStore({ dir }).read(rec.id);
    expect(again?.record).toMatchObject({ id: rec.id, sha256: rec.sha256, provider: 'local', mimeType: 'audio/wav' });
    expect(again?.data).toEqual(Buffer.from(data));
    expect((await readdir(dir)).sort()).toEqual([`${rec.id}.json`, `${rec.id}.wav`].sort());
  });

  it('streams a web ReadableStream and an http URL into the store', async () => {
    const { store: s } = await store();
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        chunks.forEach((x) => c.enqueue(x));
        c.close();
      },
    });
    const a = await s.put({ kind: 'stream', stream }, { ...meta, mimeType: 'video/mp4' });
    expect(a.size).toBe(5);
    const server = createServer((_req, res) => res.end(Buffer.alloc(100_000, 7))).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const b = await s.put({ kind: 'url', url: `http://127.0.0.1:${port}/v.mp4` }, { ...meta, mimeType: 'video/mp4' });
    server.close();
    expect(b.size).toBe(100_000);
    expect(b.sha256).toBe(createHash('sha256').update(Buffer.alloc(100_000, 7)).digest('hex'));
  });

  it('lists newest first with a cursor', async () => {
    const { store: s } = await store();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await s.put({ kind: 'bytes', data: new Uint8Array([i]) }, meta)).id);
      await new Promise((r) => setTimeout(r, 2));
    }
    const p1 = await s.list({ limit: 2 });
    expect(p1.records.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    const p2 = await s.list({ limit: 2, cursor: p1.nextCursor });
    expect(p2.records.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const p3 = await s.list({ limit: 2, cursor: p2.nextCursor });
    expect(p3.records.map((r) => r.id)).toEqual([ids[0]]);
    expect(p3.nextCursor).toBeUndefined();
  });

  it('never turns input into a path: bad ids and URIs are refused', async () => {
    const { store: s } = await store();
    for (const id of ['../../etc/passwd', '..', 'a/b', '', 'ABCDEFGHIabcdef012345']) {
      expect(isArtifactId(id)).toBe(false);
      expect(await s.get(id)).toBeUndefined();
    }
    expect(parseArtifactUri('artifact://../x')).toBeUndefined();
    expect(parseArtifactUri('file:///etc/passwd')).toBeUndefined();
  });

  it('leaves no temp file behind when the source fails', async () => {
    const { dir, store: s } = await store();
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error('provider hung up'));
      },
    });
    await expect(s.put({ kind: 'stream', stream }, meta)).rejects.toThrow(/hung up/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('streams a stored file, and reports a file vanished from under its sidecar as not found', async () => {
    const { store: s } = await store();
    const rec = await s.put({ kind: 'bytes', data: new Uint8Array(Buffer.from('hello')) }, meta);
    const found = await s.stream(rec.id);
    expect(found?.record.id).toBe(rec.id);
    expect(await text(found!.stream)).toBe('hello');
    await unlink(rec.path!);
    // Before: a stream that errored later with no listener, which crashed the process.
    expect(await s.stream(rec.id)).toBeUndefined();
  });
});
