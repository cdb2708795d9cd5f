// Start-up benchmark: time from spawn to the tools/list answer, and peak RSS (VmHWM at that
// moment), for mcp-providers against two references, run interleaved in one session:
//   - a bare v2 SDK server (bench/bare-v2-server.mjs: McpServer + serveStdio, one tool),
//   - @modelcontextprotocol/server-everything in stdio mode (the issue's yardstick).
// Every server runs on the same Node binary (the repo's Node 22 devDependency) and is driven
// over the same 2025-11-25 opening (bench/stdio-client.mjs). Each round spawns every server
// once, in a rotating order; the first round is a discarded warm-up (OS file cache, and the
// compile cache for the "warm" rows). Reports medians, quartiles and ratios, then which
// modules our stdio start-up loads (bench/module-loads.mjs). "mcp-providers" is the entry users
// run, package.json `bin`: the esbuild bundle in dist/bundle/ (scripts/build.mjs).
// Usage: npm run bench [-- --runs 15] [--v1] [--json out.json] [--max-seconds 90]
//   --v1  adds the bare v1 SDK server (bench/baseline-server.mjs) the bench used to compare against
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI as cli, formatSummary, recordStartupLoads, summarize } from './module-loads.mjs';
import { peakRssKb, timeToToolsList } from './stdio-client.mjs';

const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const runs = Number(opt('--runs')) || 15;
const warmup = Number(opt('--warmup') ?? 1);
const maxSeconds = Number(opt('--max-seconds')) || 90;
const root = fileURLToPath(new URL('..', import.meta.url));

// One Node for everything: the repo's pinned Node 22 (npm puts node_modules/.bin first on PATH,
// so under `npm run bench` that is process.execPath too), whatever `node` ran this script.
const repoNode = join(root, 'node_modules/.bin/node');
const node = opt('--node') ?? (existsSync(repoNode) ? realpathSync(repoNode) : process.execPath);
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
if (!nodeVersion.startsWith('v22.')) console.warn(`warning: servers run on Node ${nodeVersion}, not 22`);

const pkgJson = (dir) => JSON.parse(readFileSync(join(root, 'node_modules', dir, 'package.json'), 'utf8'));
const everythingPkg = pkgJson('@modelcontextprotocol/server-everything');
const everythingBin = typeof everythingPkg.bin === 'string' ? everythingPkg.bin : Object.values(everythingPkg.bin)[0];
const everythingEntry = join(root, 'node_modules/@modelcontextprotocol/server-everything', everythingBin);
const v2Version = pkgJson('@modelcontextprotocol/server').version;
// The v1 SDK server-everything actually runs: its own nested copy if it has one, else the hoisted one.
const everythingSdk = ['@modelcontextprotocol/server-everything/node_modules/@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk']
  .filter((d) => existsSync(join(root, 'node_modules', d, 'package.json')))
  .map((d) => pkgJson(d).version)[0] ?? everythingPkg.dependencies['@modelcontextprotocol/sdk'];
// cli.js only checks the Node version, then imports the start chunk, which turns the compile cache on.
const usesCompileCache = readdirSync(dirname(cli)).some((f) => f.endsWith('.js') && readFileSync(join(dirname(cli), f), 'utf8').includes('enableCompileCache'));

const work = mkdtempSync(join(tmpdir(), 'mcp-bench-'));
const fresh = (name) => mkdtempSync(join(work, `${name}-`));
// TMPDIR is per-bench, so the compile cache our cli.js enables (os.tmpdir()/node-compile-cache)
// starts empty, is warmed by the warm-up round, and never touches the machine's /tmp cache.
const base = { PATH: process.env.PATH, HOME: join(work, 'home'), TMPDIR: join(work, 'tmp'), MCP_PROVIDERS_ARTIFACT_DIR: join(work, 'artifacts'), MCP_PROVIDERS_LOG_LEVEL: 'warn' };
for (const d of [base.HOME, base.TMPDIR]) mkdirSync(d, { recursive: true });
const allConfigured = {
  GOOGLE_API_KEY: 'bench-key',
  GOOGLE_CLOUD_PROJECT: 'bench',
  OPENROUTER_API_KEY: 'bench-key',
  FAL_KEY: 'bench-key',
  REPLICATE_API_TOKEN: 'bench-key',
  HF_TOKEN: 'bench-key',
  LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
};

const variants = [
  { key: 'bare', name: `bare v2 SDK server (server ${v2Version}, 1 tool)`, args: [join(root, 'bench/bare-v2-server.mjs')], env: () => base },
  {
    key: 'everything',
    name: `server-everything ${everythingPkg.version} (v1 SDK ${everythingSdk})`,
    args: [everythingEntry, 'stdio'],
    env: () => base,
  },
  ...(argv.includes('--v1') ? [{ key: 'v1', name: 'bare v1 SDK server (1 tool)', args: [join(root, 'bench/baseline-server.mjs')], env: () => base }] : []),
  { key: 'ours', name: `mcp-providers, no credentials${usesCompileCache ? ' (warm cache)' : ''}`, args: [cli], env: () => base },
  { key: 'ours-all', name: `mcp-providers, every provider configured${usesCompileCache ? ' (warm)' : ''}`, args: [cli], env: () => ({ ...base, ...allConfigured }) },
  ...(usesCompileCache
    ? [
        { key: 'ours-nocache', name: 'mcp-providers, no credentials, compile cache off', args: [cli], env: () => ({ ...base, NODE_DISABLE_COMPILE_CACHE: '1' }) },
        // A fresh TMPDIR per spawn: the first launch on a machine (compile, then write the cache).
        { key: 'ours-cold', name: 'mcp-providers, no credentials, first run (cold cache)', args: [cli], env: () => ({ ...base, TMPDIR: fresh('cold') }) },
      ]
    : []),
];

const results = variants.map(() => ({ ms: [], mb: [], tools: 0 }));
const started = Date.now();
let rounds = 0;
for (let i = 0; i < warmup + runs; i++) {
  if (i > warmup && (Date.now() - started) / 1000 > maxSeconds) {
    console.warn(`stopping after ${rounds} rounds: --max-seconds ${maxSeconds} reached`);
    break;
  }
  for (let k = 0; k < variants.length; k++) {
    const j = (i + k) % variants.length; // rotate who goes first, so no server always follows the same one
    const v = variants[j];
    const r = await timeToToolsList(node, v.args, v.env(), { atToolsList: (proc) => peakRssKb(proc.pid) });
    if (i < warmup) continue;
    results[j].ms.push(r.ms);
    results[j].mb.push(r.snapshot / 1024);
    results[j].tools = r.tools;
  }
  if (i >= warmup) rounds++;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
};
const median = (xs) => quantile(xs, 0.5);
const stat = variants.map((v, j) => ({
  ...v,
  tools: results[j].tools,
  ms: median(results[j].ms),
  q1: quantile(results[j].ms, 0.25),
  q3: quantile(results[j].ms, 0.75),
  mb: median(results[j].mb),
}));
const ref = (key) => stat.find((s) => s.key === key);
const ev = ref('everything');
const bare = ref('bare');
const x = (a, b) => `×${(a / b).toFixed(2)}`;

console.log(`\nstart-up: spawn → tools/list answer; peak RSS = VmHWM then. ${rounds} interleaved rounds (+${warmup} warm-up), medians; Node ${nodeVersion}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
const head = ['server', 'tools', 'start-up ms', '(q1–q3)', 'vs everything', 'vs bare', 'peak RSS MB', 'vs everything', 'vs bare'];
const rows = stat.map((s) => [
  s.name,
  String(s.tools),
  s.ms.toFixed(0),
  `${s.q1.toFixed(0)}–${s.q3.toFixed(0)}`,
  x(s.ms, ev.ms),
  x(s.ms, bare.ms),
  s.mb.toFixed(1),
  x(s.mb, ev.mb),
  x(s.mb, bare.mb),
]);
const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (cells) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));

const ours = ref('ours');
const msOk = ours.ms <= 0.8 * ev.ms;
const mbOk = ours.mb <= 1.2 * ev.mb;
console.log(
  `\ntarget (ours, no credentials, vs server-everything): start-up ${x(ours.ms, ev.ms)} (≤ ×0.80: ${msOk ? 'met' : 'NOT met'}), ` +
    `peak RSS ${x(ours.mb, ev.mb)} (≤ ×1.20: ${mbOk ? 'met' : 'NOT met'})`,
);
if (!usesCompileCache) console.log(`${cli} does not enable the compile cache, so the cache rows are left out`);
else {
  const cacheDir = join(base.TMPDIR, 'node-compile-cache');
  const entries = existsSync(cacheDir) ? readdirSync(cacheDir, { recursive: true }).length : 0;
  console.log(`compile cache: ${entries} entries under the bench's TMPDIR after the run${entries ? '' : ' — NOT written (did the server exit cleanly?)'}`);
}

const loads = summarize(await recordStartupLoads({ node }));
console.log(`\nstdio start-up, mcp-providers with no credentials (bench/module-loads.mjs --list for the full list):\n${formatSummary(loads)}`);
if (loads.flagged.length) process.exitCode = 1; // the HTTP stack or a provider SDK loaded at stdio start-up

rmSync(work, { recursive: true, force: true });
if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify({ node: nodeVersion, rounds, warmup, variants: variants.map((v, j) => ({ key: v.key, name: v.name, ...results[j] })), loads }, null, 2));
