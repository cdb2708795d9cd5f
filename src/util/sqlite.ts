/**
 * Node's built-in `node:sqlite` (no native addon to build), loaded on first use and opened with
 * the settings every database of ours wants. Importing this file loads nothing: start-up opens no
 * database. On Node 22 the module is still flagged experimental and prints one warning on stderr
 * when it first loads; that one warning is swallowed (nothing a user can act on, in a log people
 * read), any other still shows.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

type Sqlite = typeof import('node:sqlite');

let sqlite: Sqlite | undefined;

/** The `node:sqlite` module, loaded once per process. */
export function loadSqlite(): Sqlite {
  if (sqlite) return sqlite;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (!/SQLite is an experimental feature/.test(text)) (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return (sqlite = process.getBuiltinModule('node:sqlite'));
  } finally {
    process.emitWarning = emit;
  }
}

export interface OpenOptions {
  /**
   * `FULL` (default): a commit survives a power cut. `NORMAL`: in WAL mode still never corrupt,
   * but the last commits may be lost to one; fine for a cache that rebuilds itself.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Opens (and creates, with an owner-only parent folder) a database file, or `:memory:`. WAL lets
 * several processes read while one writes; another process's write holds the lock for
 * milliseconds, so a writer waits for it (up to 5 s) rather than failing.
 */
export function openDatabase(path: string, { synchronous = 'FULL' }: OpenOptions = {}): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new (loadSqlite().DatabaseSync)(path);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${synchronous}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** BEGIN IMMEDIATE takes the write lock first, so a read-then-write cannot interleave with another process's. */
export function transaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = body();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
