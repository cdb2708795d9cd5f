/**
 * The default job store: one SQLite file beside the artifact folder, through Node's built-in
 * `node:sqlite` (no native addon to build). WAL mode lets several processes read while one
 * writes; every change is one transaction, so a crash at any instant leaves either the old
 * record or the new one. The full record is one JSON column; the columns beside it exist only
 * to find jobs by state and lease, and to sum spend (`provider`, `spend_usd`: `spendOf` the record,
 * kept on every write).
 */
import { existsSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { roundUsd } from '../registry/prices.js';
import { openDatabase, transaction } from '../util/sqlite.js';
import { isTerminal, spendOf, type JobCostEstimate, type JobRecord, type JobState, type SpendRow } from './job-record.js';
import type { JobStore, Lease } from './job-store.js';

interface Row {
  record: string;
  lease_owner: string | null;
  lease_until: number;
}

export class SqliteJobStore implements JobStore {
  readonly #db: DatabaseSync;
  readonly #statements: Record<'insert' | 'get' | 'replace' | 'list' | 'listState' | 'unfinished' | 'setLease' | 'clearLease' | 'spend' | 'spentSince', StatementSync>;

  /** Opens (or creates) the file; `util/sqlite.ts` loads `node:sqlite` and sets WAL, FULL sync and the busy wait. */
  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      created_at TEXT NOT NULL,
      lease_owner TEXT,
      lease_until INTEGER NOT NULL DEFAULT 0,
      record TEXT NOT NULL,
      provider TEXT,
      spend_usd REAL
    ) STRICT`);
    this.#db.exec('CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created_at)');
    this.#addSpendColumns();
    this.#db.exec('CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at)');
    this.#statements = {
      insert: this.#db.prepare('INSERT INTO jobs (id, state, created_at, record, provider, spend_usd) VALUES (?, ?, ?, ?, ?, ?)'),
      get: this.#db.prepare('SELECT record, lease_owner, lease_until FROM jobs WHERE id = ?'),
      replace: this.#db.prepare('UPDATE jobs SET state = ?, record = ?, provider = ?, spend_usd = ? WHERE id = ?'),
      list: this.#db.prepare('SELECT record FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?'),
      listState: this.#db.prepare('SELECT record FROM jobs WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT ?'),
      unfinished: this.#db.prepare("SELECT record, lease_owner, lease_until FROM jobs WHERE state IN ('queued', 'running')"),
      setLease: this.#db.prepare('UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ?'),
      clearLease: this.#db.prepare('UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?'),
      spend: this.#db.prepare(`SELECT provider, COALESCE(SUM(spend_usd), 0) AS costUsd,
          COALESCE(SUM(CASE WHEN created_at >= ? THEN spend_usd END), 0) AS recentUsd,
          SUM(CASE WHEN spend_usd IS NULL THEN 1 ELSE 0 END) AS unknownCostCalls
        FROM jobs WHERE created_at >= ? AND provider IS NOT NULL GROUP BY provider ORDER BY provider`),
      spentSince: this.#db.prepare('SELECT COALESCE(SUM(spend_usd), 0) AS spent FROM jobs WHERE created_at >= ? AND id != ? AND provider IS NOT NULL'),
    };
  }

  /**
   * `provider` and `spend_usd` came with cost tracking: a database made before gets them here,
   * filled from its records (a new file has them from CREATE TABLE). Several processes may open it
   * at once; a column another one just added is no error.
   */
  #addSpendColumns(): void {
    const columns = (this.#db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
    if (columns.includes('spend_usd')) return;
    try {
      transaction(this.#db, () => {
        this.#db.exec('ALTER TABLE jobs ADD COLUMN provider TEXT');
        this.#db.exec('ALTER TABLE jobs ADD COLUMN spend_usd REAL');
        const rows = this.#db.prepare('SELECT id, record FROM jobs').all() as { id: string; record: string }[];
        const fill = this.#db.prepare('UPDATE jobs SET provider = ?, spend_usd = ? WHERE id = ?');
        for (const row of rows) {
          const job = JSON.parse(row.record) as JobRecord;
          fill.run(job.provider ?? null, spendOf(job), row.id);
        }
      });
    } catch (err) {
      if (!/duplicate column/i.test((err as Error).message)) throw err;
    }
  }

  async create(job: JobRecord): Promise<void> {
    this.#statements.insert.run(job.id, job.state, job.createdAt, JSON.stringify(job), job.provider ?? null, spendOf(job));
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
      if (next !== current) this.#statements.replace.run(next.state, JSON.stringify(next), next.provider ?? null, spendOf(next), id);
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

  async spend(since: string, recent: string): Promise<SpendRow[]> {
    return (this.#statements.spend.all(recent, since) as unknown as SpendRow[]).map((r) => ({
      provider: r.provider,
      costUsd: Number(r.costUsd),
      recentUsd: Number(r.recentUsd),
      unknownCostCalls: Number(r.unknownCostCalls),
    }));
  }

  async spentSince(since: string, excludeId = ''): Promise<number> {
    return this.#spentSince(since, excludeId);
  }

  async reserve(id: string, since: string, estimate: JobCostEstimate, fits: (spentUsd: number) => boolean): Promise<{ reserved: boolean; spentUsd: number }> {
    // BEGIN IMMEDIATE: no other process writes between the sum and the estimate recorded beside it.
    return transaction(this.#db, () => {
      const spentUsd = this.#spentSince(since, id);
      if (!fits(spentUsd)) return { reserved: false, spentUsd };
      const row = this.#statements.get.get(id) as Row | undefined;
      const current = row && (JSON.parse(row.record) as JobRecord);
      if (current && !isTerminal(current.state)) {
        const next: JobRecord = { ...current, provider: estimate.providerId, model: estimate.model, costEstimate: estimate, updatedAt: new Date().toISOString() };
        this.#statements.replace.run(next.state, JSON.stringify(next), next.provider ?? null, spendOf(next), id);
      }
      return { reserved: true, spentUsd };
    });
  }

  #spentSince(since: string, excludeId: string): number {
    return roundUsd(Number((this.#statements.spentSince.get(since, excludeId) as { spent: number }).spent));
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

/**
 * The default store, opened on first use: start-up opens no database and loads no `node:sqlite`
 * (whose Node 22 experimental warning `util/sqlite.ts` swallows). Reading spend before any job was
 * stored (`list_providers`, `doctor` on a fresh machine) opens and creates nothing: no file, no spend.
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
    spend: (since, recent) => (store || existsSync(path) ? open().spend(since, recent) : Promise.resolve([])),
    spentSince: (since, excludeId) => (store || existsSync(path) ? open().spentSince(since, excludeId) : Promise.resolve(0)),
    reserve: (id, since, estimate, fits) => open().reserve(id, since, estimate, fits),
    close: async () => store?.close(),
  };
}
