/**
 * Artifact retention: the rules (src/artifacts/retention.ts) and the store running them —
 * oldest first past the size cap, older than the maximum age, never one younger than an hour,
 * at first use and after puts (throttled), deleting file, sidecar and row together.
 */
import { access, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FsArtifactStore, indexPathFor } from '../../src/artifacts/fs-store.js';
import { choosePrunable, DAY_MS, describeRetention, HOUR_MS, parseByteSize, type AgedArtifact, type RetentionOptions } from '../../src/artifacts/retention.js';
import { loadConfig } from '../../src/registry/config.js';
import { formatBytes } from '../../src/util/format.js';
import { META, plant } from './plant.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 5, 1, 12);

async function folder(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'mcp-providers-retention-')), 'artifacts');
  await mkdir(dir, { recursive: true });
  return dir;
}

function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A store on `dir` whose clock is `clock.now`, which the test moves. */
function storeWithClock(dir: string, retention: RetentionOptions, clock: { now: number }) {
  const { logger, lines } = captureLogger();
  const store = new FsArtifactStore({ dir, retention, logger, now: () => clock.now });
  return { store, lines };
}

const put = (store: FsArtifactStore, size: number, prompt: string) => store.put({ kind: 'bytes', data: new Uint8Array(size).fill(7) }, { ...META, prompt });
const listed = async (store: FsArtifactStore) => (await store.list({ limit: 100 })).records.map((r) => r.prompt);
const gone = async (path: string) => access(path).then(() => false, () => true);

describe('choosePrunable', () => {
  const at = (hoursAgo: number, size: number, id = `a${hoursAgo}`): AgedArtifact => ({ id, createdAt: T0 - hoursAgo * HOUR_MS, size, file: `${id}.wav` });
  const ids = (rows: AgedArtifact[], total: number, rules: RetentionOptions) => choosePrunable(rows, total, { ...rules, now: T0 }).map((c) => `${c.artifact.id}:${c.reason}`);

  it('takes the oldest first until the total fits, and only as many as needed', () => {
    const rows = [at(5, 100), at(4, 100), at(3, 100), at(2, 100)];
    expect(ids(rows, 400, { maxBytes: 250 })).toEqual(['a5:size', 'a4:size']);
    expect(ids(rows, 400, { maxBytes: 400 })).toEqual([]);
  });

  it('takes everything past the maximum age, then sizes up the rest', () => {
    const rows = [at(24 * 40, 10), at(24 * 31, 10), at(24 * 29, 100), at(2, 100)];
    expect(ids(rows, 220, { maxAgeMs: 30 * DAY_MS })).toEqual([`a${24 * 40}:age`, `a${24 * 31}:age`]);
    expect(ids(rows, 220, { maxAgeMs: 30 * DAY_MS, maxBytes: 150 })).toEqual([`a${24 * 40}:age`, `a${24 * 31}:age`, `a${24 * 29}:size`]);
  });

  it('never takes one younger than the guard, even over the cap; when the young alone are over, all older ones go', () => {
    const rows = [at(3, 10), at(2, 10), at(0.5, 1000), at(0.1, 1000)];
    expect(ids(rows, 2020, { maxBytes: 100 })).toEqual(['a3:size', 'a2:size']);
    expect(ids(rows, 2020, { maxBytes: 100, maxAgeMs: 1 })).toEqual(['a3:age', 'a2:age']);
  });

  it('stops reading at the first artifact it keeps', () => {
    let read = 0;
    function* rows() {
      for (let h = 100; h > 1; h--) {
        read++;
        yield at(h, 10);
      }
    }
    expect(choosePrunable(rows(), 990, { maxBytes: 975, now: T0 })).toHaveLength(2);
    expect(read).toBe(3);
  });
});

describe('retention settings', () => {
  it('parses byte sizes: plain counts, decimal and binary units; refuses the rest', () => {
    expect(parseByteSize('10737418240')).toBe(10 * 1024 ** 3);
    expect(parseByteSize('10GiB')).toBe(10 * 1024 ** 3);
    expect(parseByteSize('500MB')).toBe(500_000_000);
    expect(parseByteSize('1.5 kib')).toBe(1536);
    expect(parseByteSize('0')).toBe(0);
    for (const bad of ['', '-1', '1.5', '10 GB GB', 'ten', '5XB', '1e9']) expect(parseByteSize(bad), bad).toBeUndefined();
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatBytes(500_000_000)).toBe('476.8 MiB');
    expect(describeRetention(30, 10 * 1024 ** 3)).toBe('kept 30 days / 10 GiB');
  });

  it('defaults to 30 days and 10 GiB; 0 or off turns a limit off; anything else is an error naming the variable', () => {
    const config = (env: Record<string, string>) => loadConfig({ HOME: '/nonexistent', ...env });
    expect(config({})).toMatchObject({ artifactMaxAgeDays: 30, artifactMaxBytes: 10 * 1024 ** 3 });
    expect(config({ MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS: '7', MCP_PROVIDERS_ARTIFACT_MAX_BYTES: '2GiB' })).toMatchObject({ artifactMaxAgeDays: 7, artifactMaxBytes: 2 * 1024 ** 3 });
    const off = config({ MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS: 'off', MCP_PROVIDERS_ARTIFACT_MAX_BYTES: '0' });
    expect(off.artifactMaxAgeDays).toBeUndefined();
    expect(off.artifactMaxBytes).toBeUndefined();
    expect(() => config({ MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS: '1.5' })).toThrow('MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS must be a whole number of days, 0 or off, got "1.5"');
    expect(() => config({ MCP_PROVIDERS_ARTIFACT_MAX_BYTES: '10 gigs' })).toThrow(/^MCP_PROVIDERS_ARTIFACT_MAX_BYTES must be a size in bytes .*, got "10 gigs"$/);
  });
});

describe('FsArtifactStore retention', () => {
  it('over the cap, deletes the oldest first (file, sidecar and row) until it fits, and logs it', async () => {
    const dir = await folder();
    const clock = { now: T0 };
    const { store, lines } = storeWithClock(dir, { maxBytes: 250 }, clock);
    const old = [];
    for (let i = 0; i < 5; i++) {
      old.push(await put(store, 100, `old ${i}`));
      clock.now += MIN;
    }
    // All five are younger than an hour: over the cap (500 > 250), yet nothing goes.
    expect(await listed(store)).toEqual(['old 4', 'old 3', 'old 2', 'old 1', 'old 0']);

    clock.now = T0 + 2 * HOUR_MS;
    await put(store, 100, 'new');
    expect(await listed(store)).toEqual(['new', 'old 4']);
    for (const rec of old.slice(0, 4)) {
      expect(await gone(rec.path!), rec.prompt).toBe(true);
      expect(await gone(join(dir, `${rec.id}.json`)), rec.prompt).toBe(true);
      expect(await store.get(rec.id)).toBeUndefined();
    }
    expect((await readdir(dir)).length).toBe(4);
    expect(lines.find((l) => l.msg === 'pruned old artifacts')).toMatchObject({ level: 30, pruned: 4, bySize: 4, byAge: 0, bytes: 400, ids: old.slice(0, 4).map((r) => r.id) });
    // The rows went too: a new store (whose first use reconciles and prunes) agrees and finds nothing to do.
    const again = new FsArtifactStore({ dir, retention: { maxBytes: 250 }, now: () => clock.now });
    expect((await again.sweep()).index).toEqual({ added: 0, dropped: 0 });
    expect(await listed(again)).toEqual(['new', 'old 4']);
  });

  it('never deletes an artifact made in the last hour, however far over the cap', async () => {
    const dir = await folder();
    const clock = { now: T0 };
    const { store } = storeWithClock(dir, { maxBytes: 1, maxAgeMs: 1 }, clock);
    await put(store, 100, 'first');
    clock.now += 59 * MIN;
    await put(store, 100, 'second');
    expect(await store.prune()).toMatchObject({ removed: [], totalBytes: 200 });
    expect(await listed(store)).toEqual(['second', 'first']);
    clock.now += 2 * MIN; // 'first' is now 61 minutes old
    expect(await store.prune()).toMatchObject({ removed: [expect.any(String)], totalBytes: 100 });
    expect(await listed(store)).toEqual(['second']);
  });

  it('when the young ones alone are over the cap, they stay and every older one goes', async () => {
    const dir = await folder();
    await plant(dir, T0 - 3 * HOUR_MS, 10, 'old a');
    await plant(dir, T0 - 2 * HOUR_MS, 10, 'old b');
    await plant(dir, T0 - 30 * MIN, 500, 'young a');
    await plant(dir, T0 - 10 * MIN, 500, 'young b');
    const { store, lines } = storeWithClock(dir, { maxBytes: 600 }, { now: T0 });
    expect(await listed(store)).toEqual(['young b', 'young a']);
    expect(lines.find((l) => l.msg === 'pruned old artifacts')).toMatchObject({ pruned: 2, bySize: 2, bytes: 20 });
    expect((await readdir(dir)).length).toBe(4);
  });

  it('deletes artifacts older than the maximum age at first use, whatever the total', async () => {
    const dir = await folder();
    const ancient = await plant(dir, T0 - 31 * DAY_MS, 10, 'ancient');
    await plant(dir, T0 - 29 * DAY_MS, 10, 'month old');
    const { store, lines } = storeWithClock(dir, { maxAgeMs: 30 * DAY_MS, maxBytes: 10 ** 9 }, { now: T0 });
    expect(await listed(store)).toEqual(['month old']);
    expect(await gone(ancient.media)).toBe(true);
    expect(await gone(ancient.sidecar)).toBe(true);
    expect(lines.find((l) => l.msg === 'pruned old artifacts')).toMatchObject({ pruned: 1, byAge: 1, bySize: 0, bytes: 10 });
  });

  it('after a put, prunes at most once a minute', async () => {
    const dir = await folder();
    // 10 s short of the maximum age at the first use.
    await plant(dir, T0 - DAY_MS + 10_000, 100, 'ageing');
    const clock = { now: T0 };
    const { store } = storeWithClock(dir, { maxAgeMs: DAY_MS }, clock);
    expect(await listed(store)).toEqual(['ageing']);

    clock.now += 20_000; // 'ageing' is past the age now, but the last pass was 20 s ago
    await put(store, 100, 'a');
    expect(await listed(store)).toEqual(['a', 'ageing']);

    clock.now += 41_000; // a minute and a second since the last pass
    await put(store, 100, 'b');
    expect(await listed(store)).toEqual(['b', 'a']);
  });

  it('after a put, prunes at once when that put took the total over the cap', async () => {
    const dir = await folder();
    await plant(dir, T0 - 2 * HOUR_MS, 100, 'old');
    const clock = { now: T0 };
    const { store } = storeWithClock(dir, { maxBytes: 250 }, clock);
    expect(await listed(store)).toEqual(['old']);

    clock.now += 10_000;
    await put(store, 100, 'a'); // 200: under the cap
    expect(await listed(store)).toEqual(['a', 'old']);

    clock.now += 10_000;
    await put(store, 100, 'b'); // 300 > 250, 20 s after the last pass
    expect(await listed(store)).toEqual(['b', 'a']);
  });

  it('a pruning pass cut short at either step is finished by the next start', async () => {
    const dir = await folder();
    // Crash after the row: sidecar and media are still there, no row (no index at all here).
    const afterRow = await plant(dir, T0 - 40 * DAY_MS, 10, 'after row');
    // Crash after the sidecar: only the media is left.
    const afterSidecar = await plant(dir, T0 - 40 * DAY_MS, 10, 'after sidecar');
    await rm(afterSidecar.sidecar);
    const keep = await plant(dir, T0 - DAY_MS, 10, 'keep');
    const store = new FsArtifactStore({ dir, retention: { maxAgeMs: 30 * DAY_MS }, now: () => T0, sweepAgeMs: 0 });
    expect(await listed(store)).toEqual(['keep']);
    expect((await readdir(dir)).sort()).toEqual([`${keep.id}.json`, `${keep.id}.wav`]);
    expect(await gone(afterRow.media)).toBe(true);
    await access(indexPathFor(dir));
  });

  it('without retention settings deletes nothing', async () => {
    const dir = await folder();
    await plant(dir, T0 - 400 * DAY_MS, 10 ** 6, 'very old and big');
    const store = new FsArtifactStore({ dir, now: () => T0 });
    expect(await listed(store)).toEqual(['very old and big']);
    expect(await store.prune()).toMatchObject({ removed: [], totalBytes: 10 ** 6 });
  });

  it('with both limits off (what the server passes for 0 or off) deletes nothing either', async () => {
    const dir = await folder();
    await plant(dir, T0 - 400 * DAY_MS, 10 ** 6, 'very old and big');
    const store = new FsArtifactStore({ dir, retention: { maxAgeMs: undefined, maxBytes: undefined, minAgeMs: 0, intervalMs: 0 }, now: () => T0 });
    expect(await listed(store)).toEqual(['very old and big']);
    await store.put({ kind: 'bytes', data: new Uint8Array(10) }, { ...META, prompt: 'new' });
    expect(await store.prune()).toMatchObject({ removed: [], totalBytes: 10 ** 6 + 10 });
  });
});
