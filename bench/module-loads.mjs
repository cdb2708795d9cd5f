// Which modules mcp-providers loads in stdio mode before it answers tools/list, recorded with
// test/helpers/record-loads.mjs (every ESM import and CommonJS require, in order, and for the
// esbuild bundle the modules inside each chunk it loads). Flags what stdio start-up must never
// load: the HTTP stack, any provider SDK, and (with no OTEL_* variables) OpenTelemetry.
// Usage: node bench/module-loads.mjs [--all-configured] [--list]   (after npm run build)
// startup.mjs imports recordStartupLoads() and prints the summary after its table.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { timeToToolsList } from './stdio-client.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The entry users run: package.json `bin` (the esbuild bundle). */
export const CLI = join(root, Object.values(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin)[0]);

/** Packages that only the HTTP mode needs. */
export const HTTP_ONLY = ['express', '@modelcontextprotocol/express', '@modelcontextprotocol/node', 'body-parser', 'router', 'cors', 'raw-body'];
/** Provider SDKs (and their heavy transitive deps): each must load on a provider's first use, never at start-up. */
export const PROVIDER_SDKS = ['@google/genai', '@google-cloud/storage', 'google-auth-library', 'gaxios', 'gcp-metadata', 'openai', 'text2wav', 'protobufjs', 'ws'];
/** Built-ins a stdio server has no use for at start-up (informational). */
export const SUSPECT_BUILTINS = ['node:http', 'node:https', 'node:http2', 'node:net', 'node:tls', 'node:zlib', 'node:worker_threads', 'node:child_process'];

/** `@scope/name` or `name` for a URL inside node_modules (the innermost one), else undefined. */
export function packageOf(url) {
  const m = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return m?.[1];
}

/**
 * Spawns the entry (default: the bin) with the load recorder and returns the lines it wrote before
 * tools/list arrived: URLs resolved, and `bundled:<URL>` for each module inside a bundle chunk.
 */
export async function recordStartupLoads({ node = process.execPath, env = {}, entry = CLI } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-bench-loads-'));
  const file = join(dir, 'loads.txt');
  const hook = pathToFileURL(join(root, 'test/helpers/record-loads.mjs')).href;
  const home = join(dir, 'home');
  const fullEnv = { PATH: process.env.PATH, HOME: home, TMPDIR: dir, MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'a'), MCP_PROVIDERS_LOG_LEVEL: 'warn', ...env, RECORD_LOADS_FILE: file };
  try {
    const r = await timeToToolsList(node, ['--import', hook, entry], fullEnv, {
      // Lines are appended synchronously before each module is evaluated, so what is in the
      // file now is exactly what loaded before the answer was written.
      atToolsList: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []),
    });
    return r.snapshot.filter((u) => !u.endsWith('/test/helpers/record-loads.mjs'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BUNDLED = 'bundled:';

/**
 * Groups the modules that ran into our own, packages (with module counts) and built-ins, and flags
 * what stdio must not load. A bundle chunk counts as the modules inside it; `files` is what Node
 * itself loaded (chunks included).
 */
export function summarize(lines) {
  // A chunk is followed by the modules bundled into it; one of esbuild's may hold only its runtime helpers.
  const chunks = new Set(lines.filter((u, i) => !u.startsWith(BUNDLED) && (lines[i + 1]?.startsWith(BUNDLED) || /\/dist\/bundle\/[^/]+\.js$/.test(u))));
  const files = lines.filter((u) => !u.startsWith(BUNDLED) && !u.startsWith('node:'));
  const urls = lines.filter((u) => !chunks.has(u)).map((u) => (u.startsWith(BUNDLED) ? u.slice(BUNDLED.length) : u));
  const packages = new Map();
  const own = [];
  const builtins = [];
  for (const u of urls) {
    if (u.startsWith('node:')) builtins.push(u);
    else if (packageOf(u)) packages.set(packageOf(u), (packages.get(packageOf(u)) ?? 0) + 1);
    else own.push(u);
  }
  const short = (u) => u.replace(/.*\/(dist|src)\//, '$1/');
  const flagged = [
    ...[...packages.keys()].filter((p) => HTTP_ONLY.includes(p)).map((p) => `${p} (HTTP only)`),
    ...[...packages.keys()].filter((p) => PROVIDER_SDKS.includes(p)).map((p) => `${p} (provider SDK)`),
    // The recorder runs with no OTEL_* variables, so no OpenTelemetry code may run.
    ...[...packages.keys()].filter((p) => p.startsWith('@opentelemetry/')).map((p) => `${p} (OpenTelemetry, not configured)`),
    ...own.filter((u) => /\/(dist|src)\/telemetry\/sdk\.[jt]s$/.test(u)).map((u) => `${short(u)} (OpenTelemetry, not configured)`),
    ...own.filter((u) => /\/(dist|src)\/providers\/[^/]+\//.test(u)).map((u) => `${short(u)} (provider adapter)`),
    ...own.filter((u) => /\/(dist|src)\/(server\/http|commands\/http)\.[jt]s$/.test(u)).map((u) => `${short(u)} (HTTP only)`),
  ];
  const suspectBuiltins = builtins.filter((b) => SUSPECT_BUILTINS.includes(b));
  return {
    total: urls.length,
    files: files.length,
    chunks: chunks.size,
    own,
    packages: [...packages].sort((a, b) => b[1] - a[1]),
    builtins,
    flagged,
    suspectBuiltins,
  };
}

export function formatSummary(s) {
  const lines = [
    `${s.total} modules ran before the tools/list answer: ${s.own.length} of ours, ${s.builtins.length} built-ins, ` +
      `${s.total - s.own.length - s.builtins.length} from ${s.packages.length} packages` +
      (s.chunks ? `; Node read ${s.files} files for them (${s.chunks} bundle chunks, ${s.files - s.chunks} others)` : ''),
    `  packages (modules): ${s.packages.map(([p, n]) => `${p} ${n}`).join(', ')}`,
    `  built-ins: ${s.builtins.map((b) => b.slice(5)).join(' ')}`,
    s.flagged.length ? `  MUST NOT LOAD in stdio mode: ${s.flagged.join(', ')}` : '  nothing HTTP-only, no provider SDK and no OpenTelemetry loaded',
  ];
  if (s.suspectBuiltins.length) lines.push(`  built-ins stdio start-up does not need (check who pulls them in): ${s.suspectBuiltins.join(' ')}`);
  return lines.join('\n');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repoNode = join(root, 'node_modules/.bin/node');
  const node = existsSync(repoNode) ? realpathSync(repoNode) : process.execPath;
  const env = process.argv.includes('--all-configured')
    ? { GOOGLE_API_KEY: 'bench-key', GOOGLE_CLOUD_PROJECT: 'bench', OPENROUTER_API_KEY: 'bench-key', FAL_KEY: 'bench-key', REPLICATE_API_TOKEN: 'bench-key', HF_TOKEN: 'bench-key', LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }
    : {};
  const urls = await recordStartupLoads({ node, env });
  const s = summarize(urls);
  if (process.argv.includes('--list')) for (const u of urls) console.log(u.replace(`file://${root}`, '').replace(`${BUNDLED}file://${root}`, '  bundled: '));
  console.log(formatSummary(s));
  process.exitCode = s.flagged.length ? 1 : 0;
}
