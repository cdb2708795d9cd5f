// Start-up benchmark: time from spawn to the tools/list answer, and peak RSS, for
// mcp-providers (no credentials; every provider configured) against a bare MCP SDK server,
// run interleaved in the same session. Reports medians and ratios to the baseline.
// Usage: npm run bench [-- --runs 15]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 11;
const root = fileURLToPath(new URL('..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'mcp-bench-'));
const base = { PATH: process.env.PATH, HOME: home, MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'a'), MCP_PROVIDERS_LOG_LEVEL: 'warn' };
const allConfigured = {
  ...base,
  GOOGLE_API_KEY: 'bench-key',
  GOOGLE_CLOUD_PROJECT: 'bench',
  OPENROUTER_API_KEY: 'bench-key',
  FAL_KEY: 'bench-key',
  REPLICATE_API_TOKEN: 'bench-key',
  HF_TOKEN: 'bench-key',
  LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
};

const variants = [
  { name: 'baseline (bare MCP SDK server)', args: [join(root, 'bench/baseline-server.mjs')], env: base },
  { name: 'mcp-providers, no credentials', args: [join(root, 'dist/cli.js')], env: base },
  { name: 'mcp-providers, every provider configured', args: [join(root, 'dist/cli.js')], env: allConfigured },
];

function once(v) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const proc = spawn(process.execPath, v.args, { env: v.env, stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = '';
    const send = (m) => proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
    proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.id === 1) {
          send({ method: 'notifications/initialized' });
          send({ id: 2, method: 'tools/list' });
        } else if (msg.id === 2) {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
          const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
          proc.kill();
          resolve({ ms, mb: kb / 1024 });
        }
      }
    });
    proc.once('error', reject);
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = variants.map(() => ({ ms: [], mb: [] }));
for (let i = 0; i < runs; i++) {
  for (const [j, v] of variants.entries()) {
    const r = await once(v);
    results[j].ms.push(r.ms);
    results[j].mb.push(r.mb);
  }
}
const b = { ms: median(results[0].ms), mb: median(results[0].mb) };
console.log(`start-up to tools/list, ${runs} interleaved runs each, Node ${process.version}`);
for (const [j, v] of variants.entries()) {
  const ms = median(results[j].ms);
  const mb = median(results[j].mb);
  console.log(`${v.name.padEnd(44)} ${ms.toFixed(0).padStart(5)} ms (×${(ms / b.ms).toFixed(2)})  ${mb.toFixed(1).padStart(6)} MB peak RSS (×${(mb / b.mb).toFixed(2)})`);
}
