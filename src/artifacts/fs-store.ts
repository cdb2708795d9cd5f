/**
 * The default artifact store: a local folder, which several server processes may share.
 * `<id>.<ext>` holds the bytes and `<id>.json` the metadata (the sidecar); an artifact
 * exists only when both do and the file has the recorded size.
 *
 * Crash safety: every record is written to a `.<id>…tmp` file, fsynced and renamed into
 * place, in this order: media temp → media → sidecar temp → sidecar, then the folder is
 * fsynced. A crash at any instant leaves either a complete artifact or leftovers that no
 * reader shows (a temp file, or media without a sidecar). The first use of a store
 * instance sweeps such leftovers once they are older than `sweepAgeMs`, the age that tells
 * a dead writer's file from one another live process is writing right now; files being
 * streamed have their mtime refreshed while they wait for bytes. Bad sidecars are skipped by
 * `get`, never thrown: one broken record never breaks a listing.
 *
 * Listing and retention go through an index (artifact-index.ts), a SQLite file beside the
 * folder (see {@link indexPathFor}) that holds a row per complete artifact: `put` adds the row
 * last, after the sidecar is durable, and the first-use pass reconciles the index with the
 * sidecars, so the index heals itself. `get`, `read` and `stream` still read the sidecar.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, utimes, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactSource } from '../providers/base.js';
import { ProviderError } from '../providers/errors.js';
import { formatBytes } from '../util/format.js';
import { guardedFetch, type FetchPolicy } from '../util/guarded-fetch.js';
import type { Logger } from '../util/logger.js';
import { sniffMimeType } from '../util/media.js';
import { ArtifactIndex, openIndex, type IndexEntry } from './artifact-index.js';
import { choosePrunable, DEFAULT_PRUNE_INTERVAL_MS, MIN_AGE_MS, type RetentionOptions } from './retention.js';
import {
  artifactUri,
  extensionFor,
  isArtifactId,
  type ArtifactMeta,
  type ArtifactPage,
  type ArtifactRecord,
  type ArtifactStore,
} from './store.js';

/** Leftovers younger than this may belong to a live writer (in any process) and are kept. */
export const DEFAULT_SWEEP_AGE_MS = 60_000;

/** Largest file taken from a URL source when `maxDownloadBytes` is not set: 2 GiB. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;
/** Time for one URL download, body included, when `downloadTimeoutMs` is not set: 15 minutes. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 15 * 60_000;

export interface FsStoreOptions {
  dir: string;
  /** Largest file accepted from any source, in bytes; a URL's Content-Length is checked up front. Undefined: {@link DEFAULT_MAX_DOWNLOAD_BYTES}. */
  maxDownloadBytes?: number;
  /**
   * What URL sources may be fetched from (see `util/guarded-fetch.ts`): normally the configured
   * provider base URLs as trusted origins plus MCP_PROVIDERS_FETCH_ALLOW_HOSTS. Undefined: nothing
   * is trusted, so only https URLs on public addresses are downloaded.
   */
  fetchPolicy?: FetchPolicy;
  /** Time limit for one URL download, body included. Undefined: {@link DEFAULT_DOWNLOAD_TIMEOUT_MS}. */
  downloadTimeoutMs?: number;
  /** Builds a download URL for a record (HTTP mode), if any. */
  urlFor?: (id: string) => string | undefined;
  /** How old a leftover must be before the sweep deletes it (default one minute). */
  sweepAgeMs?: number;
  /** Where the sweep reports what it removed, pruning what it deleted, and `list` what it skipped. */
  logger?: Logger;
  /** The index file. Undefined: {@link indexPathFor}(dir). `:memory:` keeps it in this process only. */
  indexPath?: string;
  /** What is deleted, and when (retention.ts). Undefined, or a limit in it undefined: that limit is off. */
  retention?: RetentionOptions;
  /**
   * The clock for new ids, `createdAt` and retention's ages (tests move it). The sweep judges
   * leftovers by their mtime, so it keeps the real clock.
   */
  now?: () => number;
}

/**
 * Where a folder's index lives unless told: beside the folder, `<parent>/<name>.index.sqlite`
 * (the default `…/mcp-providers/artifacts.index.sqlite` sits next to `jobs.sqlite`). It is found
 * from the folder's path, not from MCP_PROVIDERS_JOB_DB, so every process on one folder shares
 * one index. Not inside the folder: the folder holds artifacts and nothing else, which people
 * who browse, sync or empty it (and tools that count its files) rely on; and emptying it by hand
 * then leaves rows the next start drops, rather than an index unlinked under a live database.
 */
export function indexPathFor(dir: string): string {
  const folder = resolve(dir);
  return join(dirname(folder), `${basename(folder)}.index.sqlite`);
}

/** What one sweep did. */
export interface SweepReport {
  /** File names deleted, by reason. */
  removed: {
    /** `.<id>….tmp` files a writer left behind. */
    temp: string[];
    /** Media files that never got their sidecar. */
    orphanMedia: string[];
    /** Sidecars that are empty, not JSON or not a record, with their media if any. */
    badSidecar: string[];
    /** Sidecars whose media file is gone. */
    missingMedia: string[];
  };
  /** Bytes freed. */
  bytes: number;
  /** Leftovers younger than the age threshold, left for their writer or a later sweep. */
  kept: string[];
  /** How the index was brought in line with the sidecars. */
  index: {
    /** Complete artifacts that had no row (a lost index, a crash before the row, another process's write). */
    added: number;
    /** Rows whose sidecar is gone (deleted by hand, swept, pruned by a process that crashed). */
    dropped: number;
  };
}

/** What one pruning pass deleted. */
export interface PruneReport {
  /** Ids deleted, oldest first. */
  removed: string[];
  /** How many went for their age, and how many to bring the total under the cap. */
  byAge: number;
  bySize: number;
  /** Bytes freed (their recorded sizes). */
  bytes: number;
  /** Total size of the artifacts left. */
  totalBytes: number;
}

const SIDECAR = '.json';
/** `<id>.<ext>`: a media file or a sidecar. */
const ENTRY = /^([0-9a-z]{9}[0-9a-f]{12})\.([a-z0-9.]+)$/;
/** Our temp files: media `.<id>.tmp`, sidecar `.<id>.json.tmp`. Other dot-files are not ours to delete. */
const TEMP = /^\.[0-9a-z]{9}[0-9a-f]{12}(\.json)?\.tmp$/;
const SHA256 = /^[0-9a-f]{64}$/;

export class FsArtifactStore implements ArtifactStore {
  private ready?: Promise<void>;
  private readonly sweepAgeMs: number;
  private readonly now: () => number;
  /** `opts.retention` when it sets a limit; undefined (nothing is ever pruned) when it sets none. */
  private readonly retention?: RetentionOptions;
  private openedIndex?: ArtifactIndex;
  /** Pruning passes run one at a time; the next waits for the one before. */
  private pruning: Promise<unknown> = Promise.resolve();
  private lastPruneAt = -Infinity;

  constructor(private readonly opts: FsStoreOptions) {
    this.sweepAgeMs = Math.max(0, opts.sweepAgeMs ?? DEFAULT_SWEEP_AGE_MS);
    this.now = opts.now ?? Date.now;
    const rules = opts.retention;
    if (rules && (rules.maxAgeMs !== undefined || rules.maxBytes !== undefined)) this.retention = rules;
  }

  /**
   * Creates the folder, sweeps it and reconciles the index, then prunes, once per instance, on
   * first use (so an unused store does no I/O and loads no `node:sqlite`).
   */
  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
      try {
        await this.sweep();
      } catch (err) {
        this.opts.logger?.warn({ dir: this.opts.dir, err: (err as Error).message }, 'artifact sweep failed; leftovers stay until the next start');
      }
      if (this.retention) await this.prune().catch((err: unknown) => this.pruneFailed(err));
    })();
    return this.ready;
  }

  /**
   * The index, opened on first call; a damaged file is replaced by an empty one (see `openIndex`).
   * One that cannot be opened at all (a read-only parent folder) is no reason to stop serving:
   * the index is then kept in memory, rebuilt from the sidecars by this instance's first-use pass,
   * and does not see what other processes add later.
   */
  private index(): ArtifactIndex {
    if (this.openedIndex) return this.openedIndex;
    const path = this.opts.indexPath ?? indexPathFor(this.opts.dir);
    try {
      this.openedIndex = openIndex(path, (err) => this.opts.logger?.warn({ index: path, err: err.message }, 'artifact index damaged; rebuilding it from the sidecars'));
    } catch (err) {
      this.opts.logger?.warn({ index: path, err: (err as Error).message }, 'artifact index cannot be opened; keeping it in memory, rebuilt from the sidecars at each start');
      this.openedIndex = new ArtifactIndex(':memory:');
    }
    return this.openedIndex;
  }

  /** Closes the index (tests, benchmarks); the store opens it again if used after. */
  close(): void {
    this.openedIndex?.close();
    this.openedIndex = undefined;
  }

  async put(source: ArtifactSource, meta: ArtifactMeta, signal?: AbortSignal): Promise<ArtifactRecord> {
    await this.ensureReady();
    const id = newId(this.now());
    const tmpPath = join(this.opts.dir, `.${id}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const maxBytes = this.opts.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
    // A URL's bytes may turn out to be another type than the one expected (set in the check below).
    let mimeType = meta.mimeType;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        if (size > maxBytes) return done(new ProviderError({ code: 'invalid_request', message: `Generated file is over the ${maxBytes}-byte limit.` }));
        done(null, chunk);
      },
    });
    let file = mediaFileName(id, mimeType);
    let finalPath = join(this.opts.dir, file);
    // 1. Media to its temp file, fsynced (so the name never points at unwritten blocks), then renamed.
    try {
      const opened = await this.openSource(source, maxBytes, meta.provider, signal);
      const stages: Transform[] = [meter];
      if (opened.contentType !== undefined) {
        stages.unshift(contentCheck(meta.mimeType, opened.contentType, meta.provider, (actual) => (mimeType = actual)));
      }
      // A stalled source must not look like a dead writer's leftover to another process's sweep.
      const keepAlive = setInterval(() => void utimes(tmpPath, new Date(), new Date()).catch(() => undefined), Math.max(1000, this.sweepAgeMs / 3));
      keepAlive.unref();
      try {
        // `flush`: fsync before close, which the pipeline waits for.
        await pipeline([opened.stream, ...stages, createWriteStream(tmpPath, { flags: 'wx', mode: 0o600, flush: true })], { signal });
      } finally {
        clearInterval(keepAlive);
      }
      if (mimeType !== meta.mimeType) {
        this.opts.logger?.warn({ id, expected: meta.mimeType, actual: mimeType }, 'downloaded file is not the type the provider named; stored as the type its bytes show');
        file = mediaFileName(id, mimeType);
        finalPath = join(this.opts.dir, file);
      }
      await rename(tmpPath, finalPath);
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
    const record: ArtifactRecord = {
      ...meta,
      mimeType,
      id,
      uri: artifactUri(id),
      size,
      sha256: hash.digest('hex'),
      createdAt: new Date(this.now()).toISOString(),
      path: finalPath,
    };
    // 2. The sidecar, the same way, last: its appearance is what makes the artifact exist.
    try {
      await writeAtomically(this.opts.dir, `${id}${SIDECAR}`, JSON.stringify({ ...record, file }, null, 2));
    } catch (err) {
      await rm(finalPath, { force: true });
      throw err;
    }
    // 3. Both renames durable before the caller is told the artifact exists.
    await syncDir(this.opts.dir);
    // 4. The index row, last. Without it the artifact is complete but unlisted until the next
    // start's pass adds it, so a failure here is logged, not thrown.
    try {
      this.index().add([indexEntry(record)]);
    } catch (err) {
      this.opts.logger?.warn({ id, err: (err as Error).message }, 'artifact stored but not indexed; listed after the next start');
    }
    await this.pruneAfterPut(size);
    return this.withUrl(record);
  }

  /**
   * The record, or undefined when the id is unknown or its sidecar is unreadable. Its file is
   * not checked here (read and stream answer undefined when it is gone), so a caller can tell
   * "vanished file" from "unknown id".
   */
  async get(id: string): Promise<ArtifactRecord | undefined> {
    if (!isArtifactId(id)) return undefined;
    await this.ensureReady();
    const found = await this.load(id, false);
    return found.kind === 'ok' ? this.withUrl(found.record) : undefined;
  }

  async read(id: string): Promise<{ record: ArtifactRecord; data: Buffer } | undefined> {
    const record = await this.get(id);
    if (!record?.path) return undefined;
    try {
      const data = await readFile(record.path);
      // Not the bytes recorded (truncated by a crash of the machine, edited): not ours to serve.
      return data.length === record.size ? { record, data } : undefined;
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
      const size = await handle.stat().then((st) => st.size, async (err: unknown) => {
        await handle.close();
        throw err;
      });
      if (size !== record.size) {
        await handle.close();
        return undefined;
      }
      return { record, stream: handle.createReadStream() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Newest first, from the index: one query per page, whatever the folder holds, and no sidecar
   * read. Each listed file is checked to be there at its recorded size (one lstat), so only
   * complete artifacts are listed; a page is filled past rows that turn out broken.
   */
  async list({ cursor, limit }: { cursor?: string; limit: number }): Promise<ArtifactPage> {
    await this.ensureReady();
    if (limit <= 0) return { records: [] };
    const records: ArtifactRecord[] = [];
    let after = cursor;
    let more = true;
    while (records.length < limit && more) {
      const want = limit - records.length;
      const rows = this.index().page(after, want + 1);
      more = rows.length > want;
      const batch = rows.slice(0, want);
      if (!batch.length) break;
      after = batch[batch.length - 1]!.id;
      for (const record of await Promise.all(batch.map((row) => this.fromIndex(row.id, row.record)))) {
        if (record) records.push(this.withUrl(record));
      }
    }
    return { records, ...(more && records.length ? { nextCursor: after } : {}) };
  }

  /** An index row as a record, or undefined when the row is unreadable or its file is not there at the recorded size. */
  private async fromIndex(id: string, json: string): Promise<ArtifactRecord | undefined> {
    let found: LoadResult;
    try {
      found = await this.checkRecord(id, json, true);
    } catch (err) {
      this.opts.logger?.warn({ id, err: (err as Error).message }, 'artifact file unreadable; left out of the list');
      return undefined;
    }
    if (found.kind === 'ok') return found.record;
    if (found.kind === 'bad') this.opts.logger?.warn({ id }, 'artifact index row unreadable; left out of the list');
    if (found.kind === 'bad-size') this.badSize(id, found);
    return undefined;
  }

  /**
   * Deletes what crashed writers left behind, once it is older than `sweepAgeMs` (a younger
   * file may be another live process's write in progress): temp files, media files without a
   * sidecar, sidecars that do not parse as a record (and their media), and sidecars whose media
   * is gone. Anything whose name is not one of ours is left alone; the index lives outside the
   * folder, and neither TEMP nor ENTRY would match its names anyway. Then brings the index in
   * line with the sidecars: adds the complete artifacts it lacks and drops the rows whose sidecar
   * is gone. A sidecar with a row and its media file present is not read: reading every sidecar
   * at every start is the cost the index exists to remove. Runs by itself on first use.
   */
  async sweep(): Promise<SweepReport> {
    const dir = this.opts.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const report: SweepReport = { removed: { temp: [], orphanMedia: [], badSidecar: [], missingMedia: [] }, bytes: 0, kept: [], index: { added: 0, dropped: 0 } };
    // The index before the folder: every row read here had its sidecar durable before it was
    // added, so one whose sidecar the readdir below does not see is really gone. A row another
    // process adds meanwhile is not in this snapshot, so it is never dropped by mistake.
    const index = this.index();
    const indexed = index.files();
    const unindexed: IndexEntry[] = [];
    const entries = await readdir(dir, { withFileTypes: true });
    const sidecars = new Set<string>();
    const media = new Map<string, string[]>();
    const temps: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      if (TEMP.test(entry.name)) {
        temps.push(entry.name);
        continue;
      }
      const m = ENTRY.exec(entry.name);
      if (!m) continue;
      if (m[2] === SIDECAR.slice(1)) sidecars.add(m[1]);
      else media.set(m[1], [...(media.get(m[1]) ?? []), entry.name]);
    }
    // Real time, not `opts.now`: it is compared with mtimes.
    const now = Date.now();
    /** Size of the file if it is old enough to delete, else undefined (young, or already gone). */
    const oldEnough = async (name: string): Promise<number | undefined> => {
      try {
        const st = await lstat(join(dir, name));
        if (now - st.mtimeMs >= this.sweepAgeMs) return st.size;
        report.kept.push(name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      return undefined;
    };
    const remove = async (name: string, size: number, into: string[]) => {
      await rm(join(dir, name), { force: true });
      into.push(name);
      report.bytes += size;
    };

    /** One file's trouble (a permission, a race with another sweeper) must not stop the sweep. */
    const guarded = async (name: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (err) {
        this.opts.logger?.warn({ file: name, err: (err as Error).message }, 'could not sweep an artifact leftover');
      }
    };

    for (const name of temps) {
      await guarded(name, async () => {
        const size = await oldEnough(name);
        if (size !== undefined) await remove(name, size, report.removed.temp);
      });
    }
    for (const id of [...sidecars]) {
      const name = `${id}${SIDECAR}`;
      await guarded(name, async () => {
        const file = indexed.get(id);
        if (file !== undefined && media.get(id)?.includes(file)) return;
        const found = await this.load(id);
        if (found.kind === 'ok') {
          if (file === undefined) unindexed.push(indexEntry(found.record));
          return;
        }
        if (found.kind === 'missing') return void sidecars.delete(id);
        const size = await oldEnough(name);
        if (size === undefined) return;
        if (found.kind === 'bad-size') {
          this.badSize(id, found);
          report.kept.push(name);
          return;
        }
        // Sidecar first: once it is gone the media is a plain orphan, which the next step (or sweep) takes.
        await remove(name, size, found.kind === 'bad' ? report.removed.badSidecar : report.removed.missingMedia);
        sidecars.delete(id);
      });
    }
    for (const [id, names] of media) {
      if (sidecars.has(id)) continue;
      for (const name of names) {
        await guarded(name, async () => {
          // Re-check: a live writer may have renamed its sidecar in since the folder was read.
          if (await exists(join(dir, `${id}${SIDECAR}`))) return;
          const size = await oldEnough(name);
          if (size !== undefined) await remove(name, size, report.removed.orphanMedia);
        });
      }
    }

    const removed = Object.values(report.removed).flat();
    if (removed.length) await syncDir(dir);

    // `sidecars` now holds what is left after the steps above (a sidecar vanished or removed is gone from it).
    const gone = [...indexed.keys()].filter((id) => !sidecars.has(id));
    await guarded('the artifact index', async () => {
      index.add(unindexed);
      report.index.added = unindexed.length;
      index.drop(gone);
      report.index.dropped = gone.length;
    });

    const log = this.opts.logger;
    if (log) {
      const counts = Object.fromEntries(Object.entries(report.removed).map(([k, v]) => [k, v.length]));
      if (removed.length) log.info({ dir, removed: counts, bytes: report.bytes, files: removed.slice(0, 50), kept: report.kept.length }, 'swept artifact leftovers');
      else log.debug({ dir, kept: report.kept.length }, 'artifact folder clean');
      if (report.index.added || report.index.dropped) log.info({ dir, ...report.index, indexed: indexed.size + report.index.added - report.index.dropped }, 'artifact index brought in line with the sidecars');
    }
    return report;
  }

  /**
   * Deletes what the retention rules pick (retention.ts), oldest first, and logs what went.
   * Runs on first use, after the sweep, and after a `put` (see `pruneAfterPut`); passes run one
   * at a time. Without a retention limit it deletes nothing.
   *
   * Order per artifact, the reverse of `put`'s: the index row (all rows of a pass in one
   * transaction, which is also how two processes pruning at once never both take one), then the
   * sidecar, then the media file. Once the row is gone the artifact is out of every listing and
   * of the total; once the sidecar is gone it no longer exists for `get`/`read`. A crash after
   * the row leaves a complete sidecar and media that the next start's pass indexes again (and
   * prunes again); after the sidecar, media without a sidecar, which the sweep removes.
   *
   * An artifact being written is never a candidate: it has no row until its write is complete,
   * and its row's `createdAt` is when that write finished, so the one-hour guard covers it and
   * every link a client was just handed. No in-process list of recent writes is needed.
   */
  prune(): Promise<PruneReport> {
    const run = this.pruning.then(() => this.pruneNow());
    this.pruning = run.catch(() => undefined);
    return run;
  }

  private async pruneNow(): Promise<PruneReport> {
    const rules = this.retention;
    const now = this.now();
    this.lastPruneAt = now;
    const index = this.index();
    if (!rules) return { removed: [], byAge: 0, bySize: 0, bytes: 0, totalBytes: index.totalBytes() };
    const chosen = index.claim(now - (rules.minAgeMs ?? MIN_AGE_MS), (oldestFirst, total) => choosePrunable(oldestFirst, total, { ...rules, now }));
    const report: PruneReport = { removed: [], byAge: 0, bySize: 0, bytes: 0, totalBytes: 0 };
    for (const { artifact, reason } of chosen) {
      try {
        await rm(join(this.opts.dir, `${artifact.id}${SIDECAR}`), { force: true });
        await rm(join(this.opts.dir, artifact.file), { force: true });
      } catch (err) {
        // Its row is gone already: what is left is healed by the next start's pass.
        this.opts.logger?.warn({ id: artifact.id, err: (err as Error).message }, 'could not delete a pruned artifact; the next start finishes it');
      }
      report.removed.push(artifact.id);
      report[reason === 'age' ? 'byAge' : 'bySize']++;
      report.bytes += artifact.size;
    }
    if (chosen.length) await syncDir(this.opts.dir);
    report.totalBytes = index.totalBytes();
    if (chosen.length) {
      this.opts.logger?.info(
        { dir: this.opts.dir, pruned: chosen.length, byAge: report.byAge, bySize: report.bySize, bytes: report.bytes, freed: formatBytes(report.bytes), left: formatBytes(report.totalBytes), ids: report.removed.slice(0, 50) },
        'pruned old artifacts',
      );
    }
    return report;
  }

  /**
   * After a `put`: prunes at most once per `intervalMs`, except when this put is the one that took
   * the total over the cap. A total that stays over it (the young ones alone are over) waits for
   * the interval, so puts do not each pay for a pass that can delete nothing.
   */
  private async pruneAfterPut(size: number): Promise<void> {
    const rules = this.retention;
    if (!rules) return;
    try {
      const due = this.now() - this.lastPruneAt >= (rules.intervalMs ?? DEFAULT_PRUNE_INTERVAL_MS);
      const total = !due && rules.maxBytes !== undefined ? this.index().totalBytes() : undefined;
      const crossed = total !== undefined && rules.maxBytes !== undefined && total > rules.maxBytes && total - size <= rules.maxBytes;
      if (due || crossed) await this.prune();
    } catch (err) {
      this.pruneFailed(err);
    }
  }

  /** Pruning never fails a call: what it left undone is done by a later pass. */
  private pruneFailed(err: unknown): void {
    this.opts.logger?.warn({ dir: this.opts.dir, err: (err as Error).message }, 'artifact pruning failed; retried after a later put or at the next start');
  }

  /** Reads and checks one record, and (with `checkMedia`) that its file is there at the recorded size; throws only for an I/O error. */
  private async load(id: string, checkMedia = true): Promise<LoadResult> {
    let text: string;
    try {
      text = await readFile(join(this.opts.dir, `${id}${SIDECAR}`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw err;
    }
    return this.checkRecord(id, text, checkMedia);
  }

  /**
   * Checks a record's JSON (a sidecar's text or an index row), and with `checkMedia` that its file
   * is there at the recorded size; throws only for an I/O error.
   */
  private async checkRecord(id: string, json: string, checkMedia: boolean): Promise<LoadResult> {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return { kind: 'bad' };
    }
    if (!isStoredRecord(raw, id)) return { kind: 'bad' };
    const { file: _file, ...stored } = raw;
    // The path is rebuilt from the validated id and a known extension, not read back from disk.
    const path = join(this.opts.dir, mediaFileName(id, stored.mimeType));
    const record: ArtifactRecord = { ...stored, id, uri: artifactUri(id), path };
    if (!checkMedia) return { kind: 'ok', record };
    let actual: number;
    try {
      const st = await lstat(path);
      if (!st.isFile()) return { kind: 'no-media' };
      actual = st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'no-media' };
      throw err;
    }
    if (actual !== stored.size) return { kind: 'bad-size', file: path, recorded: stored.size, actual };
    return { kind: 'ok', record };
  }

  /** The bytes are there but not the ones recorded: hidden from readers, left for a person to look at. */
  private badSize(id: string, found: Extract<LoadResult, { kind: 'bad-size' }>): void {
    this.opts.logger?.warn({ id, file: found.file, recorded: found.recorded, actual: found.actual }, 'artifact file does not have its recorded size; hidden, not deleted');
  }

  /**
   * The source as a Node stream. A URL goes through the guarded fetch (the store's fetch policy,
   * size cap and time limit) and streams, never whole in memory; its Content-Type comes along for
   * the content check. Every failure is a ProviderError: a refused URL `invalid_request`, a network
   * failure, 5xx or broken-off body `unavailable` (retryable, so the job layer fetches the same URL
   * again), a 404 `not_found`.
   */
  private async openSource(source: ArtifactSource, maxBytes: number, providerId: string, signal?: AbortSignal): Promise<{ stream: Readable; contentType?: string }> {
    switch (source.kind) {
      case 'bytes':
        return { stream: Readable.from([Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength)]) };
      case 'stream':
        return { stream: Readable.fromWeb(source.stream as import('node:stream/web').ReadableStream<Uint8Array>) };
      case 'url': {
        if (!/^https?:\/\//i.test(source.url)) {
          throw new ProviderError({ code: 'unsupported', providerId, message: `Cannot fetch artifact from ${source.url.split(':')[0]}: URLs; only http(s) are supported by the local store.` });
        }
        const res = await guardedFetch(source.url, {
          policy: this.opts.fetchPolicy ?? { trustedOrigins: [], allowHosts: [] },
          purpose: 'the generated file',
          providerId,
          maxBytes,
          timeoutMs: this.opts.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
          ...(signal ? { signal } : {}),
        });
        if (!res.body) throw new ProviderError({ code: 'unavailable', providerId, status: res.status, message: `the generated file: HTTP ${res.status} came without a body.` });
        return { stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), contentType: res.headers.get('content-type') ?? '' };
      }
    }
  }

  private withUrl(record: ArtifactRecord): ArtifactRecord {
    const url = this.opts.urlFor?.(record.id);
    return url ? { ...record, url } : record;
  }
}

type LoadResult =
  | { kind: 'ok'; record: ArtifactRecord }
  /** No sidecar: not an artifact (yet). */
  | { kind: 'missing' }
  /** Empty, not JSON, or not a record for this id. */
  | { kind: 'bad' }
  /** A good sidecar whose media file is gone. */
  | { kind: 'no-media' }
  | { kind: 'bad-size'; file: string; recorded: number; actual: number };

type StoredRecord = ArtifactRecord & { file?: string };

/** The fields every reader relies on; the rest is carried through as written. */
function isStoredRecord(v: unknown, id: string): v is StoredRecord {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    r.id === id &&
    typeof r.mimeType === 'string' &&
    typeof r.size === 'number' &&
    Number.isSafeInteger(r.size) &&
    r.size >= 0 &&
    typeof r.sha256 === 'string' &&
    SHA256.test(r.sha256) &&
    typeof r.createdAt === 'string' &&
    ['provider', 'model', 'capability', 'prompt'].every((k) => typeof r[k] === 'string')
  );
}

/** A complete artifact's index row; `path` and `url` are left out, since the store rebuilds both. */
function indexEntry(record: ArtifactRecord): IndexEntry {
  const { path: _path, url: _url, ...stored } = record;
  const createdAt = Date.parse(record.createdAt);
  return {
    id: record.id,
    // A sidecar whose createdAt does not parse (edited by hand) ages from its id's time.
    createdAt: Number.isFinite(createdAt) ? createdAt : idTime(record.id),
    size: record.size,
    file: mediaFileName(record.id, record.mimeType),
    record: JSON.stringify(stored),
  };
}

/** `<id>.<ext>`; never `<id>.json`, which is the sidecar's name. */
function mediaFileName(id: string, mimeType: string): string {
  const ext = extensionFor(mimeType);
  return `${id}.${ext === SIDECAR.slice(1) ? `data${SIDECAR}` : ext}`;
}

/** Temp file, fsync, rename: the name holds the old content or all of the new, never a part. */
async function writeAtomically(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', 0o600);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, join(dir, name));
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Makes the folder's entries (renames, unlinks) durable. Not every platform can fsync a folder; that is fine. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // e.g. Windows (EPERM/EISDIR): renames there are durable by other means, or not at all.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** False only when the path is certainly absent; any other error counts as "there", so nothing is deleted on doubt. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** 9 base-36 digits of the time (ms since the epoch), then 12 random hex digits: ids sort by time. */
function newId(now: number): string {
  return now.toString(36).padStart(9, '0') + randomBytes(6).toString('hex');
}

/** The time (ms since the epoch) a {@link newId} id was made at. */
function idTime(id: string): number {
  return Number.parseInt(id.slice(0, 9), 36);
}

/** Bytes looked at before a download's type is decided. */
const HEAD_BYTES = 64;

/**
 * Checks a downloaded file's first bytes against the type the provider named (`expected`),
 * holding them back until it has seen {@link HEAD_BYTES}. Bytes of a known media type win over a
 * wrong name (`onType` is told, the extension follows), unless both are the same container
 * family (an `audio/mp4` named file in an MP4 box stays `audio/mp4`). An HTML/XML page or JSON
 * where media was expected (a login wall, an error body served with 200) is refused with a
 * retryable `unavailable`: nothing is stored, and the job layer may fetch the URL again.
 * Unknown bytes keep the expected type.
 */
function contentCheck(expected: string, contentType: string, providerId: string, onType: (mimeType: string) => void): Transform {
  const held: Buffer[] = [];
  let heldBytes = 0;
  let decided = false;
  const decide = (): Error | undefined => {
    decided = true;
    const head = Buffer.concat(held, heldBytes).subarray(0, HEAD_BYTES);
    const header = normalType(contentType);
    const named = normalType(expected) === 'application/octet-stream' && isMedia(header) ? header : normalType(expected);
    const actual = sniffMedia(head);
    if (actual) {
      onType(family(actual) === family(named) ? (named === normalType(expected) ? expected : named) : actual);
      return undefined;
    }
    const text = textKind(head);
    if (text && isMedia(named) && named !== 'image/svg+xml') {
      return new ProviderError({
        code: 'unavailable',
        providerId,
        message: `the generated file: the URL answered with ${text} (Content-Type ${header || 'none'}) where ${named} was expected; nothing was stored.`,
      });
    }
    if (named !== expected && named !== normalType(expected)) onType(named);
    return undefined;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (decided) return done(null, chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < HEAD_BYTES) return done();
      const refused = decide();
      done(refused, refused ? undefined : Buffer.concat(held.splice(0), heldBytes));
    },
    flush(done) {
      const refused = decided ? undefined : decide();
      done(refused, refused || !held.length ? undefined : Buffer.concat(held.splice(0), heldBytes));
    },
  });
}

const startsWith = (data: Uint8Array, text: string, at = 0) => data.length >= at + text.length && [...text].every((c, i) => data[at + i] === c.charCodeAt(0));

/** The media type the first bytes show: images, video and audio providers return. */
function sniffMedia(head: Uint8Array): string | undefined {
  const known = sniffMimeType(head);
  if (known === 'video/mp4') {
    // ISO base media: the major brand tells audio, QuickTime and HEIF/AVIF stills apart.
    const brand = Buffer.from(head.subarray(8, 12)).toString('latin1');
    if (brand === 'M4A ' || brand === 'M4B ') return 'audio/mp4';
    if (brand === 'qt  ') return 'video/quicktime';
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (['heic', 'heix', 'mif1', 'msf1'].includes(brand)) return 'image/heic';
    return 'video/mp4';
  }
  if (known) return known;
  if (startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a')) return 'image/gif';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'video/webm';
  if (startsWith(head, 'OggS')) return 'audio/ogg';
  if (startsWith(head, 'fLaC')) return 'audio/flac';
  if (startsWith(head, 'ID3')) return 'audio/mpeg';
  // MPEG audio frame sync: 11 bits set, a version that is not "reserved", a layer that is not 0 (that is AAC ADTS).
  if (head[0] === 0xff && head.length > 1 && (head[1]! & 0xe0) === 0xe0 && ((head[1]! >> 3) & 3) !== 1 && ((head[1]! >> 1) & 3) !== 0) return 'audio/mpeg';
  return undefined;
}

/** "an HTML/XML page" or "a JSON document" when the bytes are text of that kind, else undefined. */
function textKind(head: Uint8Array): string | undefined {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x3c) return 'an HTML/XML page';
  if (head[i] === 0x7b || head[i] === 0x5b) return 'a JSON document';
  return undefined;
}

const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-flac': 'audio/flac',
  'audio/x-m4a': 'audio/mp4',
};
/** Types that share a container, so bytes of one are no reason to rename a file named as another. */
const FAMILIES: Record<string, string> = {
  'video/mp4': 'iso-bmff',
  'audio/mp4': 'iso-bmff',
  'video/quicktime': 'iso-bmff',
  'video/webm': 'ebml',
  'audio/webm': 'ebml',
  'video/x-matroska': 'ebml',
  'audio/ogg': 'ogg',
  'video/ogg': 'ogg',
  'audio/opus': 'ogg',
  'application/ogg': 'ogg',
};

function normalType(mimeType: string): string {
  const bare = mimeType.split(';')[0]!.trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

function family(mimeType: string): string {
  const type = normalType(mimeType);
  return FAMILIES[type] ?? type;
}

function isMedia(mimeType: string): boolean {
  return /^(image|audio|video)\//.test(mimeType);
}
