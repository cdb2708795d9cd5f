/**
 * The default artifact store: a local folder. `<id>.<ext>` holds the bytes and
 * `<id>.json` the metadata. Writes stream to a temp file, hashing on the way, then
 * rename — a crash never leaves a half file under a real name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactSource } from '../providers/base.js';
import { ProviderError } from '../providers/errors.js';
import {
  artifactUri,
  extensionFor,
  isArtifactId,
  type ArtifactMeta,
  type ArtifactPage,
  type ArtifactRecord,
  type ArtifactStore,
} from './store.js';

export interface FsStoreOptions {
  dir: string;
  /** Largest file accepted from a URL source. */
  maxDownloadBytes?: number;
  /** Builds a download URL for a record (HTTP mode), if any. */
  urlFor?: (id: string) => string | undefined;
}

export class FsArtifactStore implements ArtifactStore {
  private ready?: Promise<void>;

  constructor(private readonly opts: FsStoreOptions) {}

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.opts.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.ready;
  }

  async put(source: ArtifactSource, meta: ArtifactMeta, signal?: AbortSignal): Promise<ArtifactRecord> {
    await this.ensureDir();
    const id = newId();
    const file = `${id}.${extensionFor(meta.mimeType)}`;
    const finalPath = join(this.opts.dir, file);
    const tmpPath = join(this.opts.dir, `.${id}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const maxBytes = this.opts.maxDownloadBytes ?? 2 * 1024 ** 3;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        if (size > maxBytes) return done(new ProviderError({ code: 'invalid_request', message: `Generated file is over the ${maxBytes}-byte limit.` }));
        done(null, chunk);
      },
    });
    try {
      const input = await openSource(source, maxBytes, signal);
      await pipeline(input, meter, createWriteStream(tmpPath, { mode: 0o600 }), { signal });
      await rename(tmpPath, finalPath);
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
    const record: ArtifactRecord = {
      ...meta,
      id,
      uri: artifactUri(id),
      size,
      sha256: hash.digest('hex'),
      createdAt: new Date().toISOString(),
      path: finalPath,
    };
    await writeFile(join(this.opts.dir, `${id}.json`), JSON.stringify({ ...record, file }, null, 2), { mode: 0o600 });
    return this.withUrl(record);
  }

  async get(id: string): Promise<ArtifactRecord | undefined> {
    if (!isArtifactId(id)) return undefined;
    try {
      const raw = JSON.parse(await readFile(join(this.opts.dir, `${id}.json`), 'utf8')) as ArtifactRecord & { file: string };
      const { file, ...record } = raw;
      // The path is rebuilt from the validated id and a known extension, not read back from disk.
      return this.withUrl({ ...record, id, path: join(this.opts.dir, `${id}.${extensionFor(record.mimeType)}`) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(id: string): Promise<{ record: ArtifactRecord; data: Buffer } | undefined> {
    const record = await this.get(id);
    if (!record?.path) return undefined;
    try {
      return { record, data: await readFile(record.path) };
    } catch (err) {
      // A sidecar whose file has vanished is "not found", like an unknown id.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async stream(id: string): Promise<{ record: ArtifactRecord; stream: NodeJS.ReadableStream } | undefined> {
    const record = await this.get(id);
    if (!record?.path) return undefined;
    // Open before answering: a sidecar whose file has vanished is "not found", not a stream
    // that errors later with nobody listening (which used to take the whole process down).
    // Once open, the descriptor keeps the bytes readable even if the file is unlinked.
    try {
      const handle = await open(record.path, 'r');
      return { record, stream: handle.createReadStream() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list({ cursor, limit }: { cursor?: string; limit: number }): Promise<ArtifactPage> {
    await this.ensureDir();
    const ids = (await readdir(this.opts.dir))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .filter(isArtifactId)
      .sort()
      .reverse();
    const start = cursor ? ids.findIndex((id) => id < cursor) : 0;
    if (start < 0) return { records: [] };
    const pageIds = ids.slice(start, start + limit);
    const records = (await Promise.all(pageIds.map((id) => this.get(id)))).filter((r): r is ArtifactRecord => !!r);
    const more = start + limit < ids.length;
    return { records, ...(more && pageIds.length ? { nextCursor: pageIds.at(-1) } : {}) };
  }

  private withUrl(record: ArtifactRecord): ArtifactRecord {
    const url = this.opts.urlFor?.(record.id);
    return url ? { ...record, url } : record;
  }
}

function newId(): string {
  return Date.now().toString(36).padStart(9, '0') + randomBytes(6).toString('hex');
}

async function openSource(source: ArtifactSource, maxBytes: number, signal?: AbortSignal): Promise<Readable> {
  switch (source.kind) {
    case 'bytes':
      return Readable.from([Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength)]);
    case 'stream':
      return Readable.fromWeb(source.stream as import('node:stream/web').ReadableStream<Uint8Array>);
    case 'url': {
      if (!/^https?:\/\//.test(source.url)) {
        throw new ProviderError({ code: 'unsupported', message: `Cannot fetch artifact from ${source.url.split(':')[0]}: URLs; only http(s) are supported by the local store.` });
      }
      const res = await fetch(source.url, { signal });
      if (!res.ok || !res.body) {
        throw new ProviderError({ code: 'unavailable', status: res.status, message: `Downloading the generated file failed with HTTP ${res.status}.` });
      }
      const declared = Number(res.headers.get('content-length') ?? 0);
      if (declared > maxBytes) throw new ProviderError({ code: 'invalid_request', message: `Generated file is ${declared} bytes, over the ${maxBytes}-byte limit.` });
      return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    }
  }
}
