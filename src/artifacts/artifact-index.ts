/**
 * The index of an artifact folder: one SQLite table with a row per complete artifact, so a
 * listing page is one query and retention knows every size and age without reading a sidecar.
 * It is a cache; the sidecars stay the source of truth. `put` adds a row once the sidecar is
 * durable, and the store's first-use pass (fs-store.ts `sweep`) adds the sidecars that have no
 * row and drops the rows whose sidecar is gone, so a lost, stale or deleted index rebuilds
 * itself. That is also why commits are `synchronous = NORMAL`: one lost to a power cut is
 * re-added from its sidecar at the next start.
 */
import { rmSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openDatabase, transaction } from '../util/sqlite.js';
import type { AgedArtifact } from './retention.js';

export interface IndexEntry extends AgedArtifact {
  /** The record as JSON, without `path` and `url` (the store rebuilds both). */
  record: string;
}

interface PageRow {
  id: string;
  record: string;
}

interface AgedRow {
  id: string;
  created_at: number;
  size: number;
  file: string;
}

/** SQLITE_CORRUPT and SQLITE_NOTADB: the file is damaged, not busy or unreachable. */
const DAMAGED = new Set([11, 26]);

/**
 * Opens the index at `path`. A damaged file is a lost cache: it is removed (with its WAL and
 * shared-memory files) and created afresh, and the store's first-use pass refills it from the
 * sidecars. Any other failure (a folder that cannot be written) is thrown.
 */
export function openIndex(path: string, onDamaged: (err: Error) => void): ArtifactIndex {
  try {
    return new ArtifactIndex(path);
  } catch (err) {
    if (path === ':memory:' || !DAMAGED.has((err as { errcode?: number }).errcode ?? -1)) throw err;
    onDamaged(err as Error);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    return new ArtifactIndex(path);
  }
}

type Statements = Record<'put' | 'first' | 'after' | 'files' | 'drop' | 'total' | 'oldest', StatementSync>;

/** Rows added per transaction when many are added at once: keeps the write lock short for other processes. */
const BATCH = 500;

export class ArtifactIndex {
  readonly #db: DatabaseSync;
  readonly #statements: Statements;

  /** `path` is a file (created with its folder) or `:memory:`. */
  constructor(path: string) {
    this.#db = openDatabase(path, { synchronous: 'NORMAL' });
    try {
      this.#statements = this.#prepare();
    } catch (err) {
      // A damaged file shows here, at the first read; close it so it can be removed.
      this.#db.close();
      throw err;
    }
  }

  #prepare(): Statements {
    // `file`, the media file's name, sits beside the record: the sweep and pruning need it for
    // every row, and reading it from the JSON would parse every record.
    this.#db.exec(`CREATE TABLE IF NOT EXISTS artifacts (
      id TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      size INTEGER NOT NULL,
      file TEXT NOT NULL,
      record TEXT NOT NULL
    ) STRICT`);
    this.#db.exec('CREATE INDEX IF NOT EXISTS artifacts_by_age ON artifacts (created_at, id)');
    return {
      // REPLACE: the first-use pass of another process may have added the same sidecar first.
      put: this.#db.prepare('INSERT OR REPLACE INTO artifacts (id, created_at, size, file, record) VALUES (?, ?, ?, ?, ?)'),
      first: this.#db.prepare('SELECT id, record FROM artifacts ORDER BY id DESC LIMIT ?'),
      after: this.#db.prepare('SELECT id, record FROM artifacts WHERE id < ? ORDER BY id DESC LIMIT ?'),
      files: this.#db.prepare('SELECT id, file FROM artifacts'),
      drop: this.#db.prepare('DELETE FROM artifacts WHERE id = ?'),
      total: this.#db.prepare('SELECT COALESCE(SUM(size), 0) AS total FROM artifacts'),
      oldest: this.#db.prepare('SELECT id, created_at, size, file FROM artifacts WHERE created_at < ? ORDER BY created_at, id'),
    };
  }

  add(entries: readonly IndexEntry[]): void {
    for (let i = 0; i < entries.length; i += BATCH) {
      transaction(this.#db, () => {
        for (const e of entries.slice(i, i + BATCH)) this.#statements.put.run(e.id, e.createdAt, e.size, e.file, e.record);
      });
    }
  }

  /** Newest first: at most `limit` rows with an id below `before` (all ids when undefined). Ids sort by time. */
  page(before: string | undefined, limit: number): PageRow[] {
    const rows = before === undefined ? this.#statements.first.all(limit) : this.#statements.after.all(before, limit);
    return rows as unknown as PageRow[];
  }

  /** Every row's media file name, by id: what the first-use pass checks the folder against. */
  files(): Map<string, string> {
    const rows = this.#statements.files.all() as unknown as Pick<AgedRow, 'id' | 'file'>[];
    return new Map(rows.map((r) => [r.id, r.file]));
  }

  drop(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i += BATCH) {
      transaction(this.#db, () => {
        for (const id of ids.slice(i, i + BATCH)) this.#statements.drop.run(id);
      });
    }
  }

  totalBytes(): number {
    return (this.#statements.total.get() as { total: number }).total;
  }

  /**
   * Removes the rows `choose` picks, in one write transaction, and returns them: two processes
   * pruning the same folder at once never both claim a row. `choose` gets the rows created
   * before `olderThan`, oldest first (read lazily, so it can stop early), and the total size of
   * all rows.
   */
  claim<T extends { artifact: AgedArtifact }>(olderThan: number, choose: (oldestFirst: Iterable<AgedArtifact>, totalBytes: number) => T[]): T[] {
    return transaction(this.#db, () => {
      const rows = this.#statements.oldest.iterate(olderThan) as IterableIterator<AgedRow>;
      const aged = (function* () {
        for (const r of rows) yield { id: r.id, createdAt: r.created_at, size: r.size, file: r.file };
      })();
      let chosen: T[];
      try {
        chosen = choose(aged, this.totalBytes());
      } finally {
        // Ends the statement if `choose` stopped early, before the rows are deleted.
        rows.return?.();
      }
      for (const c of chosen) this.#statements.drop.run(c.artifact.id);
      return chosen;
    });
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
