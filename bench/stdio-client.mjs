// The benchmark's MCP client: spawns a server over stdio and speaks raw JSON lines as a
// 2025-11-25 client — initialize, then notifications/initialized and tools/list once the
// initialize answer is in. Every server in the bench (v1- and v2-based alike) understands
// this opening, so all of them are timed over exactly the same exchange.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PROTOCOL_VERSION = '2025-11-25';

/** Peak resident set size so far (VmHWM) of a live process, in kB; NaN where /proc is missing. */
export function peakRssKb(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * Spawns `node ...args`, times spawn → the tools/list answer, and calls `atToolsList(proc)`
 * synchronously the moment that answer is parsed (to read VmHWM or anything else while the
 * process is still alive). Then shuts the server down the way MCP clients do — close stdin,
 * wait for it to exit, SIGKILL after `exitGraceMs` — so nothing overlaps the next spawn and
 * servers that persist state on a clean exit (Node's compile cache) get to do so.
 * Resolves { ms, tools, snapshot, exitCode }.
 */
export function timeToToolsList(node, args, env, { atToolsList = () => undefined, timeoutMs = 15_000, exitGraceMs = 3_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const proc = spawn(node, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let buf = '';
    let answer;
    const fail = (why) => {
      clearTimeout(deadline);
      proc.kill('SIGKILL');
      reject(new Error(`${[node, ...args].join(' ')}: ${why}${stderr ? `\n--- stderr (tail) ---\n${stderr}` : ''}`));
    };
    const deadline = setTimeout(() => fail(`no tools/list answer within ${timeoutMs} ms`), timeoutMs);
    const send = (m) => proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    proc.stdin.on('error', () => undefined); // EPIPE when a server dies early; reported via 'exit'
    proc.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    proc.once('error', (err) => fail(err.message));
    proc.once('exit', (code, signal) => {
      if (!answer) fail(`exited (${signal ?? code}) before answering tools/list`);
      else resolve({ ...answer, exitCode: signal ?? code });
    });
    proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while (!answer && (nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          return fail(`wrote a non-JSON line to stdout: ${line.slice(0, 200)}`);
        }
        if (msg.id === 1) {
          if (msg.error) return fail(`initialize failed: ${JSON.stringify(msg.error)}`);
          send({ method: 'notifications/initialized' });
          send({ id: 2, method: 'tools/list' });
        } else if (msg.id === 2) {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const snapshot = atToolsList(proc);
          if (msg.error || !Array.isArray(msg.result?.tools)) return fail(`tools/list failed: ${line.slice(0, 300)}`);
          clearTimeout(deadline);
          answer = { ms, tools: msg.result.tools.length, snapshot };
          proc.stdin.end();
          setTimeout(() => proc.kill('SIGKILL'), exitGraceMs).unref();
        }
      }
    });
    send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-providers-bench', version: '1' } },
    });
  });
}
