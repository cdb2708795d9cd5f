import { createHash, randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import { isArtifactId, parseArtifactUri, type ArtifactRecord } from '../../src/artifacts/store.js';

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
    // Plain http only from a trusted origin (a configured base URL); see test/util/guarded-fetch.test.ts.
    const trusting = new FsArtifactStore({ dir: (await store()).dir, fetchPolicy: { trustedOrigins: [`http://127.0.0.1:${port}`], allowHosts: [] } });
    const b = await trusting.put({ kind: 'url', url: `http://127.0.0.1:${port}/v.mp4` }, { ...meta, mimeType: 'video/mp4' });
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

/** A valid artifact id for a moment `msAgo` in the past (ids sort by time). */
function idAt(msAgo: number): string {
  return (Date.now() - msAgo).toString(36).padStart(9, '0') + randomBytes(6).toString('hex');
}

/** Sets a file's mtime `ms` in the past. */
const age = (path: string, ms: number) => utimes(path, new Date(Date.now() - ms), new Date(Date.now() - ms));

/** A pino logger that keeps its lines. */
function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A well-formed sidecar for an artifact whose media file may or may not exist. */
function sidecarFor(id: string, data: Buffer): string {
  return JSON.stringify({
    ...meta,
    id,
    uri: `artifact://${id}`,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    createdAt: new Date().toISOString(),
    file: `${id}.wav`,
  });
}

async function allIds(s: FsArtifactStore, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await s.list({ cursor, limit });
    ids.push(...page.records.map((r: ArtifactRecord) => r.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('list never ended');
}

const OLD = 5 * 60_000;

describe('FsArtifactStore after crashes: leftovers are hidden, then swept', () => {
  /**
   * What thirty SIGKILLs left behind in the issue, each kind both old (a dead writer's) and
   * young (possibly another live process's write in progress).
   */
  async function crashedDir() {
    const { dir, store: writer } = await store();
    const a = await writer.put({ kind: 'bytes', data: new Uint8Array(Buffer.from('complete A')) }, meta);
    await new Promise((r) => setTimeout(r, 2));
    const b = await writer.put({ kind: 'bytes', data: new Uint8Array(Buffer.from('complete B')) }, meta);
    const wav = Buffer.from('RIFF-some-audio');
    const ids = {
      zeroSidecar: idAt(30_000), // 0-byte sidecar (the old non-atomic writeFile), media present
      corruptSidecar: idAt(29_000), // truncated JSON, media present
      wrongShape: idAt(28_000), // JSON, but not a record for this id
      orphanMedia: idAt(27_000), // media renamed in, killed before the sidecar
      sidecarOnly: idAt(26_000), // good sidecar, media deleted
      youngOrphan: idAt(25_000),
      youngZero: idAt(-60_000), // the newest id: first in the list order
    };
    const f = (name: string) => join(dir, name);
    const old = async (name: string, content: string | Buffer) => {
      await writeFile(f(name), content);
      await age(f(name), OLD);
    };
    await old(`${ids.zeroSidecar}.json`, '');
    await old(`${ids.zeroSidecar}.wav`, wav);
    await old(`${ids.corruptSidecar}.json`, sidecarFor(ids.corruptSidecar, wav).slice(0, 40));
    await old(`${ids.corruptSidecar}.wav`, wav);
    await old(`${ids.wrongShape}.json`, JSON.stringify({ id: 'someone-else', size: 'big' }));
    await old(`${ids.orphanMedia}.wav`, Buffer.alloc(4096, 1));
    await old(`${ids.sidecarOnly}.json`, sidecarFor(ids.sidecarOnly, wav));
    await old(`.${idAt(40_000)}.tmp`, Buffer.alloc(1000)); // a media temp
    await old(`.${idAt(40_000)}.json.tmp`, '{"id":'); // a sidecar temp
    await old('notes.txt', 'not ours');
    await old('.editor-swap.tmp', 'not ours either');
    // Young: these may be another live process's writes in progress.
    const youngTmp = `.${idAt(0)}.tmp`;
    await writeFile(f(youngTmp), Buffer.alloc(10));
    await writeFile(f(`${ids.youngOrphan}.wav`), wav);
    await writeFile(f(`${ids.youngZero}.json`), '');
    return { dir, a, b, ids, youngTmp };
  }

  it('lists exactly the complete artifacts, pages past broken records, and get() hides the broken ones', async () => {
    const { dir, a, b, ids } = await crashedDir();
    // sweepAgeMs huge: nothing is deleted, so this is the listing over the raw wreckage.
    const s = new FsArtifactStore({ dir, sweepAgeMs: 24 * 3600_000 });
    expect((await s.list({ limit: 50 })).records.map((r) => r.id)).toEqual([b.id, a.id]);
    // Page size 1: the newest sidecar is broken; the page is filled past it, not returned empty.
    expect(await allIds(s, 1)).toEqual([b.id, a.id]);
    expect(await allIds(s, 2)).toEqual([b.id, a.id]);
    for (const id of Object.values(ids)) {
      // get() answers from the sidecar alone: a good one whose file is gone still has a record (downloads log that case).
      if (id === ids.sidecarOnly) expect(await s.get(id)).toMatchObject({ id });
      else expect(await s.get(id)).toBeUndefined();
      expect(await s.read(id)).toBeUndefined();
      expect(await s.stream(id)).toBeUndefined();
    }
    expect((await s.read(a.id))?.data.toString()).toBe('complete A');
  });

  it('sweeps old leftovers on first use, keeps young ones and complete artifacts, and logs what it removed', async () => {
    const { dir, a, b, ids, youngTmp } = await crashedDir();
    const { logger, lines } = captureLogger();
    const s = new FsArtifactStore({ dir, logger });
    expect(await allIds(s, 50)).toEqual([b.id, a.id]);
    expect((await readdir(dir)).sort()).toEqual(
      [
        `${a.id}.json`,
        `${a.id}.wav`,
        `${b.id}.json`,
        `${b.id}.wav`,
        `${ids.youngOrphan}.wav`,
        `${ids.youngZero}.json`,
        youngTmp,
        'notes.txt',
        '.editor-swap.tmp',
      ].sort(),
    );
    const swept = lines.find((l) => l.msg === 'swept artifact leftovers');
    expect(swept).toMatchObject({ level: 30, removed: { temp: 2, orphanMedia: 3, badSidecar: 3, missingMedia: 1 }, kept: 3 });
    expect(swept?.files).toEqual(expect.arrayContaining([`${ids.orphanMedia}.wav`, `${ids.zeroSidecar}.json`, `${ids.sidecarOnly}.json`]));
    // Once per instance: a later use does not sweep again.
    await s.list({ limit: 50 });
    expect(lines.filter((l) => l.msg === 'swept artifact leftovers')).toHaveLength(1);
  });

  it('an explicit sweep with a zero age takes the young leftovers too, and reports them', async () => {
    const { dir, a, b, ids } = await crashedDir();
    const s = new FsArtifactStore({ dir, sweepAgeMs: 24 * 3600_000 });
    await s.list({ limit: 1 }); // the lazy first sweep: too young, all kept
    expect((await readdir(dir)).length).toBe(18);
    const report = await new FsArtifactStore({ dir, sweepAgeMs: 0 }).sweep();
    expect(report.removed.temp).toHaveLength(3);
    expect(report.removed.orphanMedia.sort()).toEqual([`${ids.corruptSidecar}.wav`, `${ids.orphanMedia}.wav`, `${ids.youngOrphan}.wav`, `${ids.zeroSidecar}.wav`].sort());
    expect(report.removed.badSidecar.sort()).toEqual([`${ids.corruptSidecar}.json`, `${ids.wrongShape}.json`, `${ids.youngZero}.json`, `${ids.zeroSidecar}.json`].sort());
    expect(report.removed.missingMedia).toEqual([`${ids.sidecarOnly}.json`]);
    expect(report.bytes).toBeGreaterThan(4096 + 1000);
    expect((await readdir(dir)).sort()).toEqual([`${a.id}.json`, `${a.id}.wav`, `${b.id}.json`, `${b.id}.wav`, 'notes.txt', '.editor-swap.tmp'].sort());
  });

  it('hides, but does not delete, an artifact whose file is not its recorded size', async () => {
    const { dir, store: s } = await store();
    const rec = await s.put({ kind: 'bytes', data: new Uint8Array(Buffer.from('twelve bytes')) }, meta);
    await truncate(rec.path!, 5);
    await age(rec.path!, OLD);
    await age(join(dir, `${rec.id}.json`), OLD);
    const { logger, lines } = captureLogger();
    const fresh = new FsArtifactStore({ dir, logger });
    expect((await fresh.list({ limit: 10 })).records).toEqual([]);
    expect(await fresh.read(rec.id)).toBeUndefined();
    expect(await fresh.stream(rec.id)).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual([`${rec.id}.json`, `${rec.id}.wav`].sort());
    expect(lines.some((l) => l.level === 40 && /recorded size/.test(l.msg))).toBe(true);
  });

  it('does no I/O until first used', async () => {
    const { dir } = await store();
    const where = join(dir, 'not-yet');
    const s = new FsArtifactStore({ dir: where });
    await expect(access(where)).rejects.toThrow();
    expect(await s.list({ limit: 1 })).toEqual({ records: [] });
    await access(where);
  });

  it("keeps a stalled writer's temp file fresh, so another process's sweep does not take it", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-providers-store-'));
    const writer = new FsArtifactStore({ dir, sweepAgeMs: 1500 }); // heartbeat every second
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent++ === 0) return c.enqueue(new Uint8Array([1, 2, 3]));
        await stalled;
        c.enqueue(new Uint8Array([4]));
        c.close();
      },
    });
    const putting = writer.put({ kind: 'stream', stream }, meta);
    await new Promise((r) => setTimeout(r, 2300));
    const [tmp] = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    expect(tmp).toBeDefined();
    const report = await new FsArtifactStore({ dir, sweepAgeMs: 1500 }).sweep();
    expect(report.removed.temp).toEqual([]);
    expect(report.kept).toEqual([tmp]);
    release();
    const rec = await putting;
    expect(rec.size).toBe(4);
    expect((await readdir(dir)).sort()).toEqual([`${rec.id}.json`, `${rec.id}.wav`].sort());
  });
});
