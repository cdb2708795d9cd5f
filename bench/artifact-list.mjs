// Artifact listing benchmark: the time of one `list({ limit: 50 })` page of the local artifact
// store, on folders of 100 and 10,000 artifacts, through the index (dist/artifacts/fs-store.js,
// tsc's output of src/artifacts/fs-store.ts) against a baseline that does what `list` did before
// the index: readdir the whole folder, sort the sidecar names, find the cursor, then read, parse
// and check each sidecar of the page and lstat its media file. Both answer the same page (checked
// once per case). The first page and a middle page (cursor at the folder's midpoint) are timed,
// each the median of several runs, index and baseline interleaved. Also reports how long a new
// store's first use (sweep + index reconciliation) takes, on a folder with no index yet (the
// one-off rebuild, which reads every sidecar as the code before the index did at every start)
// and on one already indexed (every later start).
// Usage: npm run bench (after the start-up bench), or: npm run build && node bench/artifact-list.mjs [--runs 31]
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const runs = Number(opt('--runs')) || 31;
const warmup = 3;
const sizes = [100, 10_000];
const LIMIT = 50;

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 5)) {
  console.error(`bench/artifact-list.mjs needs Node 22.5+ (node:sqlite); this is ${process.version}. Run it through npm (npm run bench) or node_modules/.bin/node.`);
  process.exit(1);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'dist/artifacts/fs-store.js');
if (!existsSync(built)) {
  console.error(`${built} is missing: run npm run build first.`);
  process.exit(1);
}
const { FsArtifactStore } = await import(pathToFileURL(built).href);

const work = mkdtempSync(join(tmpdir(), 'mcp-bench-artifacts-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Writes `count` artifacts in the store's format (`<id>.wav` + `<id>.json`), a second apart, oldest first. */
async function plant(dir, count) {
  mkdirSync(dir, { recursive: true });
  const from = Date.now() - count * 1000;
  const ids = [];
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, async (_, j) => {
        const at = from + (i + j) * 1000;
        const id = at.toString(36).padStart(9, '0') + randomBytes(6).toString('hex');
        const data = randomBytes(256);
        const record = {
          mimeType: 'audio/wav',
          provider: 'local',
          model: 'espeak-ng',
          capability: 'tts',
          prompt: `artifact ${i + j}: the quick brown fox jumps over the lazy dog`,
          telemetry: { providerId: 'local', model: 'espeak-ng', latencyMs: 120, attempts: 1 },
          id,
          uri: `artifact://${id}`,
          size: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          createdAt: new Date(at).toISOString(),
        };
        await writeFile(join(dir, `${id}.wav`), data);
        await writeFile(join(dir, `${id}.json`), JSON.stringify({ ...record, path: join(dir, `${id}.wav`), file: `${id}.wav` }, null, 2));
        ids[i + j] = id;
      }),
    );
  }
  return ids;
}

/** `list` as it was before the index (FsArtifactStore.list and load(), without logging). */
async function baselineList(dir, { cursor, limit }) {
  const ids = (await readdir(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((id) => /^[0-9a-z]{9}[0-9a-f]{12}$/.test(id))
    .sort()
    .reverse();
  let next = cursor ? ids.findIndex((id) => id < cursor) : 0;
  if (next < 0 || limit <= 0) return { records: [] };
  const records = [];
  while (records.length < limit && next < ids.length) {
    const batch = ids.slice(next, next + (limit - records.length));
    next += batch.length;
    for (const record of await Promise.all(batch.map((id) => baselineLoad(dir, id)))) if (record) records.push(record);
  }
  return { records, ...(next < ids.length && records.length ? { nextCursor: ids[next - 1] } : {}) };
}

async function baselineLoad(dir, id) {
  let raw;
  try {
    raw = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8'));
  } catch {
    return undefined;
  }
  const fields = raw && raw.id === id && typeof raw.mimeType === 'string' && Number.isSafeInteger(raw.size) && /^[0-9a-f]{64}$/.test(raw.sha256) && typeof raw.createdAt === 'string';
  if (!fields || !['provider', 'model', 'capability', 'prompt'].every((k) => typeof raw[k] === 'string')) return undefined;
  const { file: _file, ...stored } = raw;
  const path = join(dir, `${id}.wav`);
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || st.size !== stored.size) return undefined;
  return { ...stored, id, uri: `artifact://${id}`, path };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
const ms = (x) => (x < 1 ? x.toFixed(3) : x.toFixed(2));

const rows = [];
for (const n of sizes) {
  const dir = join(work, `n${n}`, 'artifacts');
  const ids = await plant(dir, n);
  // The one-off: a new store on a folder with no index reads each sidecar once and indexes it.
  const builder = new FsArtifactStore({ dir });
  const rebuildMs = await time(() => builder.sweep());
  builder.close();
  // Every later start: the folder is read, indexed sidecars are not (the code before the index read them all, every start).
  const starter = new FsArtifactStore({ dir });
  const startMs = await time(() => starter.sweep());
  starter.close();

  const store = new FsArtifactStore({ dir });
  await store.list({ limit: 1 }); // first use (sweep + reconcile) outside the timings
  const middle = ids[Math.floor(n / 2)];
  for (const [page, cursor] of [['first', undefined], ['middle', middle]]) {
    const a = await store.list({ cursor, limit: LIMIT });
    const b = await baselineList(dir, { cursor, limit: LIMIT });
    if (!isDeepStrictEqual(a, b) || a.records.length !== LIMIT) throw new Error(`n=${n} ${page} page: the index and the baseline disagree`);
    const index = [];
    const baseline = [];
    for (let r = 0; r < warmup + runs; r++) {
      // Alternate which goes first, so neither always runs on the other's warm cache.
      const pair = r % 2 ? [['b', () => baselineList(dir, { cursor, limit: LIMIT })], ['i', () => store.list({ cursor, limit: LIMIT })]] : [['i', () => store.list({ cursor, limit: LIMIT })], ['b', () => baselineList(dir, { cursor, limit: LIMIT })]];
      for (const [which, fn] of pair) {
        const t = await time(fn);
        if (r >= warmup) (which === 'i' ? index : baseline).push(t);
      }
    }
    rows.push({ n, page, index: median(index), baseline: median(baseline), rebuildMs, startMs });
  }
  store.close();
}

console.log(`artifact list: one page of ${LIMIT}, median of ${runs} runs (after ${warmup} warm-up), Node ${process.version}`);
console.log('artifacts  page     index ms  baseline ms  baseline/index');
for (const r of rows) {
  console.log(`${String(r.n).padStart(9)}  ${r.page.padEnd(7)}  ${ms(r.index).padStart(8)}  ${ms(r.baseline).padStart(11)}  ${(r.baseline / r.index).toFixed(1).padStart(13)}x`);
}
const byN = (n, page) => rows.find((r) => r.n === n && r.page === page);
for (const page of ['first', 'middle']) {
  const small = byN(100, page);
  const large = byN(10_000, page);
  console.log(`${page} page, 10,000 vs 100 artifacts: index ${(large.index / small.index).toFixed(1)}x, baseline ${(large.baseline / small.baseline).toFixed(1)}x`);
}
for (const n of sizes) {
  const r = byN(n, 'first');
  console.log(`${n} artifacts, a store's first use: ${r.rebuildMs.toFixed(0)} ms with no index yet (reads every sidecar, once), ${r.startMs.toFixed(0)} ms with the index in place`);
}
