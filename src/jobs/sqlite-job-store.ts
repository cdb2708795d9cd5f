/**
 * The default job store: one SQLite file beside the artifact folder, through Node's built-in
 * `node:sqlite` (no native addon to build). WAL mode lets several processes read while one
 * writes; every change is one transaction, so a crash at any instant leaves either the old
 * record or the new one. The full record is one JSON column; the columns beside it exist only
 * to find jobs by state and lease.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openDatabase, transaction } from '../util/sqlite.js';
import { isTerminal, type JobRecord, type JobState } from './job-record.js';
import type { JobStore, Lease } from './job-store.js';

interface Row {
  record: string;
  lease_owner: string | null;
  lease_until: number;
}

export class SqliteJobStore implements JobStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<'insert' | 'get' | 'replace' | 'list' | 'listState' | 'unfinished' | 'setLease' | 'clearLease', StatementSync>;

  /** Opens (or creates) the file; `util/sqlite.ts` loads `node:sqlite` and sets WAL, FULL sync and the busy wait. */
  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      created_at TEXT NOT NULL,
      lease_owner TEXT,
      lease_until INTEGER NOT NULL DEFAULT 0,
      record TEXT NOT NULL
    ) STRICT`);
    this.#db.exec('CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created_at)');
    this.#statements = {
      insert: this.#db.prepare('INSERT INTO jobs (id, state, created_at, record) VALUES (?, ?, ?, ?)'),
      get: this.#db.prepare('SELECT record, lease_owner, lease_until FROM jobs WHERE id = ?'),
      replace: this.#db.prepare('UPDATE jobs SET state = ?, record = ? WHERE id = ?'),
      list: this.#db.prepare('SELECT record FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?'),
      listState: this.#db.prepare('SELECT record FROM jobs WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT ?'),
      unfinished: this.#db.prepare("SELECT record, lease_owner, lease_until FROM jobs WHERE state IN ('queued', 'running')"),
      setLease: this.#db.prepare('UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ?'),
      clearLease: this.#db.prepare('UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?'),
    };
  }

  async create(job: JobRecord): Promise<void> {
    this.#statements.insert.run(job.id, job.state, job.createdAt, JSON.stringify(job));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = this.#statements.get.get(id) as Row | undefined;
    return row ? (JSON.parse(row.record) as JobRecord) : undefined;
  }

  async update(id: string, change: (current: JobRecord) => JobRecord): Promise<JobRecord | undefined> {
    return transaction(this.#db, () => {
      const row = this.#statements.get.get(id) as Row | undefined;
      if (!row) return undefined;
      const current = JSON.parse(row.record) as JobRecord;
      const next = change(current);
      if (next !== current) this.#statements.replace.run(next.state, JSON.stringify(next), id);
      return next;
    });
  }

  async list({ state, limit }: { state?: JobState; limit: number }): Promise<JobRecord[]> {
    const rows = (state ? this.#statements.listState.all(state, limit) : this.#statements.list.all(limit)) as unknown as Row[];
    return rows.map((r) => JSON.parse(r.record) as JobRecord);
  }

  async acquireLease(id: string, lease: Lease, opts: { deadOwner?: (owner: string) => boolean } = {}): Promise<boolean> {
    return transaction(this.#db, () => {
      const row = this.#statements.get.get(id) as Row | undefined;
      if (!row || isTerminal((JSON.parse(row.record) as JobRecord).state)) return false;
      const free = !row.lease_owner || row.lease_until < Date.now() || row.lease_owner === lease.owner || !!opts.deadOwner?.(row.lease_owner);
      if (free) this.#statements.setLease.run(lease.owner, lease.until, id);
      return free;
    });
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    this.#statements.clearLease.run(id, owner);
  }

  async orphans(now: number, deadOwner: (owner: string) => boolean): Promise<JobRecord[]> {
    const rows = this.#statements.unfinished.all() as unknown as Row[];
    return rows.filter((r) => !r.lease_owner || r.lease_until < now || deadOwner(r.lease_owner)).map((r) => JSON.parse(r.record) as JobRecord);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

/**
 * The default store, opened on first use: start-up opens no database and loads no `node:sqlite`
 * (whose Node 22 experimental warning `util/sqlite.ts` swallows).
 */
export function lazySqliteJobStore(path: string): JobStore {
  let store: SqliteJobStore | undefined;
  const open = (): SqliteJobStore => (store ??= new SqliteJobStore(path));
  return {
    create: (job) => open().create(job),
    get: (id) => open().get(id),
    update: (id, change) => open().update(id, change),
    list: (filter) => open().list(filter),
    acquireLease: (id, lease, opts) => open().acquireLease(id, lease, opts),
    releaseLease: (id, owner) => open().releaseLease(id, owner),
    orphans: (now, deadOwner) => open().orphans(now, deadOwner),
    close: async () => store?.close(),
  };
}
