/**
 * The artifact download route over real HTTP: a tiny Express app mounting only
 * `artifactDownloadHandler` on a real FsArtifactStore in a temp dir, hit with fetch.
 * Covers the HTTP semantics (HEAD, ranges, conditional GET) and, above all, that
 * missing files are a JSON 404 and never take the server down.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse as parseDisposition } from 'content-disposition';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import type { ArtifactMeta, ArtifactRecord, ArtifactStore } from '../../src/artifacts/store.js';
import { artifactDownloadHandler } from '../../src/server/downloads.js';
import type { Logger } from '../../src/util/logger.js';

const SIZE = 1000;
const bytes = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) % 256));
const sha256 = createHash('sha256').update(bytes).digest('hex');
// audio/x-wav is stored as .wav, which send alone would label audio/wav: proves the type comes from the record.
const meta: ArtifactMeta = { mimeType: 'audio/x-wav', provider: 'local', model: 'm', capability: 'tts', prompt: 'hi' };

function fakeLogger() {
  return { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
}

async function serve(store: ArtifactStore, logger: ReturnType<typeof fakeLogger>) {
  const app = express();
  app.get('/artifacts/:id', artifactDownloadHandler(store, logger as unknown as Logger));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/artifacts/` };
}

function close(server: Server) {
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
}

async function expectJson404(res: Response) {
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  // Headers meant for the file must not leak onto the error (a cached "immutable" 404 would stick).
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-disposition')).toBeNull();
  expect(res.headers.get('etag')).not.toBe(`"${sha256}"`); // Express's own weak ETag for the JSON body is fine
  const body = (await res.json()) as { error: string; message: string };
  expect(body).toEqual({ error: 'not_found', message: expect.any(String) });
  expect(body.message).not.toMatch(/[/\\]|ENOENT|\bstat\b|\bopen\b/); // no path, no fs error
}

describe('artifactDownloadHandler', () => {
  let dir: string;
  let store: FsArtifactStore;
  let logger: ReturnType<typeof fakeLogger>;
  let server: Server;
  let base: string;
  let rec: ArtifactRecord;

  beforeAll(async () => {
    // Under a dot-directory, like the default ~/.local/share/...: `dotfiles: 'deny'` must
    // only judge the file name, not the directories above it.
    dir = join(await mkdtemp(join(tmpdir(), 'mcp-providers-dl-')), '.data', 'artifacts');
    store = new FsArtifactStore({ dir });
    rec = await store.put({ kind: 'bytes', data: new Uint8Array(bytes) }, meta);
    logger = fakeLogger();
    ({ server, base } = await serve(store, logger));
  });
  afterAll(() => close(server));
  afterEach(() => {
    vi.restoreAllMocks();
    vi.clearAllMocks(); // call counts on the shared logger start at zero for each test
  });

  it('serves the full file with the record’s headers', async () => {
    const res = await fetch(base + rec.id);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(bytes)).toBe(true);
    expect(createHash('sha256').update(body).digest('hex')).toBe(rec.sha256);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('content-type')).toBe('audio/x-wav');
    // content-disposition quotes the name only when it must: `inline; filename=<id>.wav` is the same header.
    expect(parseDisposition(res.headers.get('content-disposition') ?? '')).toEqual({ type: 'inline', parameters: { filename: `${rec.id}.wav` } });
    expect(res.headers.get('etag')).toBe(`"${sha256}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await fetch(base + rec.id, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('etag')).toBe(`"${sha256}"`);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves exactly the requested byte range', async () => {
    const res = await fetch(base + rec.id, { headers: { Range: 'bytes=0-99' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-99/${SIZE}`);
    expect(res.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true);
  });

  it('serves a suffix range (the last N bytes)', async () => {
    const res = await fetch(base + rec.id, { headers: { Range: 'bytes=-10' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(SIZE - 10))).toBe(true);
  });

  it('answers 416 with Content-Range for a range past the end', async () => {
    const res = await fetch(base + rec.id, { headers: { Range: `bytes=${SIZE}-${SIZE + 50}` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    expect(await res.json()).toEqual({ error: 'range_not_satisfiable', message: expect.any(String) });
  });

  // Node's fetch adds `Cache-Control: no-cache` (and Pragma) to any request carrying a conditional
  // header, which send rightly treats as an end-to-end reload (always 200). A browser revalidating
  // its cache sends no such thing, so the tests state a Cache-Control of their own.
  const revalidate = { 'Cache-Control': 'max-age=0' };

  it('answers 304 to If-None-Match with the sha256 ETag, and 200 to any other tag', async () => {
    const hit = await fetch(base + rec.id, { headers: { ...revalidate, 'If-None-Match': `"${sha256}"` } });
    expect(hit.status).toBe(304);
    expect(hit.headers.get('etag')).toBe(`"${sha256}"`);
    expect((await hit.arrayBuffer()).byteLength).toBe(0);
    const miss = await fetch(base + rec.id, { headers: { ...revalidate, 'If-None-Match': `"${'0'.repeat(64)}"` } });
    expect(miss.status).toBe(200);
    expect((await miss.arrayBuffer()).byteLength).toBe(SIZE);
    const reload = await fetch(base + rec.id, { headers: { 'If-None-Match': `"${sha256}"` } }); // fetch adds no-cache
    expect(reload.status).toBe(200);
    await reload.arrayBuffer();
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified', async () => {
    const first = await fetch(base + rec.id, { method: 'HEAD' });
    const lastModified = first.headers.get('last-modified')!;
    const hit = await fetch(base + rec.id, { headers: { ...revalidate, 'If-Modified-Since': lastModified } });
    expect(hit.status).toBe(304);
    const before = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const miss = await fetch(base + rec.id, { headers: { ...revalidate, 'If-Modified-Since': before } });
    expect(miss.status).toBe(200);
    await miss.arrayBuffer();
  });

  it('answers 412 when If-Match names another version', async () => {
    const res = await fetch(base + rec.id, { headers: { 'If-Match': '"other"' } });
    expect(res.status).toBe(412);
    expect(await res.json()).toEqual({ error: 'precondition_failed', message: expect.any(String) });
    const ok = await fetch(base + rec.id, { headers: { 'If-Match': `"${sha256}"` } });
    expect(ok.status).toBe(200);
  });

  it('answers unknown and malformed ids with a JSON 404, without asking the store about malformed ones', async () => {
    await expectJson404(await fetch(base + '000000000' + 'abcdef012345'));
    const get = vi.spyOn(store, 'get');
    await expectJson404(await fetch(base + encodeURIComponent('../etc/passwd')));
    await expectJson404(await fetch(base + 'x'));
    expect(get).not.toHaveBeenCalled();
  });

  it('answers a JSON 404 when the media file is gone but its sidecar is not, and keeps serving', async () => {
    const doomed = await store.put({ kind: 'bytes', data: new Uint8Array([1, 2, 3]) }, meta);
    await unlink(doomed.path!);
    await expectJson404(await fetch(base + doomed.id));
    expect(logger.warn).toHaveBeenCalled();
    const next = await fetch(base + rec.id);
    expect(next.status).toBe(200);
    expect(Buffer.from(await next.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers a JSON 404 when the file vanishes mid-request (after stat, before open), and keeps serving', async () => {
    const doomed = await store.put({ kind: 'bytes', data: new Uint8Array([4, 5, 6]) }, meta);
    // send stats the file, sets the headers, then opens it: unlink in between.
    const original = fs.createReadStream;
    const open = vi.spyOn(fs, 'createReadStream').mockImplementation(((path: fs.PathLike, opts?: object) => {
      if (path === doomed.path) fs.unlinkSync(path);
      return original(path, opts as Parameters<typeof original>[1]);
    }) as typeof original);
    await expectJson404(await fetch(base + doomed.id));
    expect(open).toHaveBeenCalledWith(doomed.path, expect.anything());
    open.mockRestore();
    const next = await fetch(base + rec.id, { headers: { Range: 'bytes=10-19' } });
    expect(next.status).toBe(206);
    expect(Buffer.from(await next.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
  });

  /** Makes send's read of `path` fail with `code`, after `prefix` bytes have gone out. */
  function failRead(path: string, code: string, prefix = 0) {
    const original = fs.createReadStream;
    return vi.spyOn(fs, 'createReadStream').mockImplementation(((p: fs.PathLike, opts?: object) => {
      if (p !== path) return original(p, opts as Parameters<typeof original>[1]);
      let sent = false;
      return new Readable({
        read() {
          if (prefix && !sent) return void ((sent = true), this.push(bytes.subarray(0, prefix)));
          this.destroy(Object.assign(new Error(`${code}: i/o error, read '${path}'`), { code }));
        },
      });
    }) as typeof original);
  }

  it('answers a logged JSON 500 when reading fails before the body starts', async () => {
    const read = failRead(rec.path!, 'EIO');
    const res = await fetch(base + rec.id);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-disposition')).toBeNull();
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('internal');
    expect(body.message).not.toMatch(/EIO|[/\\]/);
    expect(read).toHaveBeenCalled();
    expect(logger.error).toHaveBeenCalled();
  });

  it('cuts the connection when reading fails mid-body, and keeps serving', async () => {
    failRead(rec.path!, 'EIO', 100);
    // The 200 and 100 bytes are already on the wire: the client must see a failed transfer,
    // not a complete (JSON or short) response it could mistake for the file.
    await expect(fetch(base + rec.id).then((res) => res.arrayBuffer())).rejects.toThrow();
    expect(logger.error).toHaveBeenCalled();
    vi.restoreAllMocks();
    const next = await fetch(base + rec.id);
    expect(Buffer.from(await next.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers a JSON 500 and logs when the store fails, without leaking the error', async () => {
    const broken: ArtifactStore = {
      ...store,
      get: () => Promise.reject(new Error(`EACCES: permission denied, open '${dir}/secret.json'`)),
    } as unknown as ArtifactStore;
    const log = fakeLogger();
    const other = await serve(broken, log);
    try {
      const res = await fetch(other.base + rec.id);
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('internal');
      expect(body.message).not.toContain('EACCES');
      expect(body.message).not.toContain(dir);
      expect(log.error).toHaveBeenCalledTimes(1);
    } finally {
      await close(other.server);
    }
  });
});
