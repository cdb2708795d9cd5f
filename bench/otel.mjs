// OpenTelemetry's cost: mcp-providers (the bundle, stdio) with tracing off and on, side by side.
//   1. start-up: spawn → tools/list answer (the SDK loads in the background when configured), and
//      spawn → the answer to the first tools/call (which waits for the SDK when configured);
//   2. per call: sequential generate_text calls through the `local` provider, answered by a
//      loopback OpenAI-compatible stub at once, so the server's own work is what is timed.
// "traced" variants export over OTLP/HTTP (http/protobuf, the default, and http/json) to a loopback
// sink that accepts and discards. Rounds are interleaved and rotated; medians, quartiles, ratios.
// Usage: node bench/otel.mjs [--runs 12] [--calls 50] [--against path/to/other/cli.js]
//   --against adds an "other build" row, tracing off (e.g. the bundle of the commit before tracing).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from './module-loads.mjs';
import { PROTOCOL_VERSION, timeToToolsList } from './stdio-client.mjs';

const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const runs = Number(opt('--runs')) || 12;
const calls = Number(opt('--calls')) || 50;
const against = opt('--against');
const root = fileURLToPath(new URL('..', import.meta.url));
const repoNode = join(root, 'node_modules/.bin/node');
const node = existsSync(repoNode) ? realpathSync(repoNode) : process.execPath;

/** A server on 127.0.0.1 answering every request with `answer(req, body)`; resolves { url, close, count }. */
async function loopback(answer) {
  let count = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      count++;
      answer(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, count: () => count, close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) };
}

// The collector stand-in: accepts and discards (an empty ExportTraceServiceResponse in either encoding).
const sink = await loopback((req, res) => {
  const json = String(req.headers['content-type']).startsWith('application/json');
  res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
});
// An OpenAI-compatible chat completion, answered at once.
const chat = await loopback((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({ id: 'cmpl-1', object: 'chat.completion', created: 0, model: 'llama3.2', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
  );
});

const work = mkdtempSync(join(tmpdir(), 'mcp-bench-otel-'));
const base = { PATH: process.env.PATH, HOME: join(work, 'home'), TMPDIR: join(work, 'tmp'), MCP_PROVIDERS_LOG_LEVEL: 'warn', LOCAL_OPENAI_BASE_URL: `${chat.url}/v1` };
for (const d of [base.HOME, base.TMPDIR]) mkdirSync(d, { recursive: true });
const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
const variants = [
  ...(against ? [{ key: 'other', name: `other build (${against.replace(/.*\/(?=[^/]+\/[^/]+\/[^/]+$)/, '')}), tracing off`, cli: against, env: {} }] : []),
  { key: 'off', name: 'mcp-providers, tracing off (no OTEL_*)', cli: CLI, env: {} },
  { key: 'proto', name: 'mcp-providers, traced, OTLP http/protobuf', cli: CLI, env: traced },
  { key: 'json', name: 'mcp-providers, traced, OTLP http/json', cli: CLI, env: { ...traced, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } },
];
const envOf = (v, i) => ({ ...base, ...v.env, MCP_PROVIDERS_ARTIFACT_DIR: join(work, `a-${v.key}-${i}`) });

/**
 * CPU time (user + system) a live process has used so far, in ms, from /proc (NaN where there is
 * none). Less disturbed than wall-clock time by whatever else the machine runs.
 */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

/**
 * Spawns the server and speaks raw JSON lines: initialize, then `n` generate_text calls one after
 * another. Resolves { firstCallMs (spawn → first answer), perCallMs: [the later calls], cpuMs: CPU time the
 * process spent on the later calls (background exports included) }.
 */
function drive(cli, env, n) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const proc = spawn(node, [cli], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    let sent = 0n;
    let next = 2;
    const times = [];
    let first;
    let cpuAtFirst;
    let cpuAtEnd;
    const send = (m) => proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    const call = () => {
      sent = process.hrtime.bigint();
      send({ id: next, method: 'tools/call', params: { name: 'generate_text', arguments: { prompt: `bench call ${next}`, provider: 'local', fallback: false } } });
    };
    const timer = setTimeout(() => (proc.kill('SIGKILL'), reject(new Error(`timed out; stderr: ${stderr.slice(-2000)}`))), 120_000);
    proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    proc.once('exit', () => clearTimeout(timer));
    proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.id === 1) {
          send({ method: 'notifications/initialized' });
          call();
        } else if (msg.id === next) {
          if (msg.error || msg.result?.isError) return reject(new Error(`call failed: ${JSON.stringify(msg).slice(0, 300)}; stderr: ${stderr}`));
          const now = process.hrtime.bigint();
          if (first === undefined) {
            first = Number(now - t0) / 1e6;
            cpuAtFirst = cpuMs(proc.pid);
          } else times.push(Number(now - sent) / 1e6);
          next++;
          if (next - 2 < n) call();
          else {
            // A little later, so the batch processor's export of these calls' spans is counted too.
            setTimeout(() => {
              cpuAtEnd = cpuMs(proc.pid);
              proc.stdin.end();
            }, 300);
            proc.once('exit', () => resolve({ firstCallMs: first, perCallMs: times, cpuMs: cpuAtEnd - cpuAtFirst }));
            setTimeout(() => proc.kill('SIGKILL'), 5_000).unref();
          }
        }
      }
    });
    send({ id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench-otel', version: '1' } } });
  });
}

const results = variants.map(() => ({ startup: [], startupCpu: [], firstCall: [], perCall: [], cpu: 0, cpuCalls: 0 }));
// Warm-up round (OS file cache, the compile cache), then interleaved rounds in rotating order.
for (let i = 0; i <= runs; i++) {
  for (let k = 0; k < variants.length; k++) {
    const j = (i + k) % variants.length;
    const v = variants[j];
    const s = await timeToToolsList(node, [v.cli], envOf(v, i), { atToolsList: (proc) => cpuMs(proc.pid) });
    // Six calls per round for the first-call figure; one long run of `calls` in the last rounds for per-call.
    const perCallRound = i > runs - 3;
    const d = await drive(v.cli, envOf(v, i), perCallRound ? calls + 1 : 6);
    if (i === 0) continue;
    results[j].startup.push(s.ms);
    results[j].startupCpu.push(s.snapshot);
    results[j].firstCall.push(d.firstCallMs);
    if (perCallRound) {
      results[j].perCall.push(...d.perCallMs);
      results[j].cpu += d.cpuMs;
      results[j].cpuCalls += d.perCallMs.length;
    }
  }
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
};
const stat = (xs) => ({ med: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) });
const off = variants.findIndex((v) => v.key === 'off');
const cpuPerCall = (r) => r.cpu / r.cpuCalls;
const ref = {
  startup: stat(results[off].startup).med,
  startupCpu: stat(results[off].startupCpu).med,
  firstCall: stat(results[off].firstCall).med,
  perCall: stat(results[off].perCall).med,
  cpu: cpuPerCall(results[off]),
};
const fmt = (x, digits) => x.toFixed(digits);
const signed = (x, digits) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
const head = ['server', 'start-up ms (q1–q3)', 'vs off', 'its CPU ms', 'vs off', 'first call ms (q1–q3)', 'vs off', `per call ms, ${results[off].perCall.length} calls (q1–q3)`, 'vs off', 'CPU ms a call', 'vs off'];
const rows = variants.map((v, j) => {
  const [s, f, c] = [stat(results[j].startup), stat(results[j].firstCall), stat(results[j].perCall)];
  const sc = stat(results[j].startupCpu).med;
  const cpu = cpuPerCall(results[j]);
  return [
    v.name,
    `${fmt(s.med, 0)} (${fmt(s.q1, 0)}–${fmt(s.q3, 0)})`,
    `×${(s.med / ref.startup).toFixed(2)}`,
    fmt(sc, 0),
    `×${(sc / ref.startupCpu).toFixed(2)}`,
    `${fmt(f.med, 0)} (${fmt(f.q1, 0)}–${fmt(f.q3, 0)})`,
    `×${(f.med / ref.firstCall).toFixed(2)}`,
    `${fmt(c.med, 2)} (${fmt(c.q1, 2)}–${fmt(c.q3, 2)})`,
    `×${(c.med / ref.perCall).toFixed(2)}`,
    fmt(cpu, 2),
    `×${(cpu / ref.cpu).toFixed(2)}`,
  ];
});
const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (cells) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
console.log(`\nOpenTelemetry: tracing off vs on (stdio, bundle); ${runs} interleaved rounds (+1 warm-up), medians; per call: generate_text via the local provider, answered at once`);
console.log(line(head));
console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));
for (const key of ['proto', 'json']) {
  const j = variants.findIndex((v) => v.key === key);
  console.log(
    `${variants[j].name}: ${signed(stat(results[j].startup).med - ref.startup, 1)} ms start-up (CPU ${signed(stat(results[j].startupCpu).med - ref.startupCpu, 0)} ms), ` +
      `${signed(stat(results[j].firstCall).med - ref.firstCall, 1)} ms to the first answer, ` +
      `${signed((stat(results[j].perCall).med - ref.perCall) * 1000, 0)} µs a call (CPU ${signed((cpuPerCall(results[j]) - ref.cpu) * 1000, 0)} µs)`,
  );
}
console.log(`the sink received ${sink.count()} OTLP export requests`);
await Promise.all([sink.close(), chat.close()]);
rmSync(work, { recursive: true, force: true });
