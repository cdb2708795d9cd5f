/**
 * In stdio mode stdout is the protocol: read the raw stream and check every byte
 * belongs to a JSON-RPC message, across start-up, tool calls (espeak in a worker,
 * which prints on its own stdout), errors and bad input.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, testEnv } from '../helpers/server-process.js';

describe('stdio stdout', () => {
  it('carries only JSON-RPC lines', async () => {
    const proc = spawn(process.execPath, [CLI], { env: testEnv({ MCP_PROVIDERS_LOG_LEVEL: 'debug' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const send = (msg: object) => proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
    const waitFor = async (id: number) => {
      const deadline = Date.now() + 20_000;
      while (!stdout.split('\n').some((l) => l.includes(`"id":${id},`) || l.endsWith(`"id":${id}}`))) {
        if (Date.now() > deadline) throw new Error(`no reply to ${id}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await waitFor(1);
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/list' });
    send({ id: 3, method: 'tools/call', params: { name: 'tts', arguments: { text: 'Nothing but protocol on stdout.' }, _meta: { progressToken: 'p1' } } });
    // Text that espeak would parse as its own options: sanitised, still spoken.
    send({ id: 4, method: 'tools/call', params: { name: 'tts', arguments: { text: '-w /tmp/x.wav --help' } } });
    send({ id: 5, method: 'tools/call', params: { name: 'generate_image', arguments: { prompt: 'x', count: 0 } } });
    send({ id: 6, method: 'tools/call', params: { name: 'list_providers', arguments: {} } });
    send({ id: 7, method: 'no/such/method' });
    for (const id of [2, 3, 4, 5, 6, 7]) await waitFor(id);
    proc.stdin.end();
    await new Promise((r) => proc.once('exit', r));

    expect(stdout.endsWith('\n')).toBe(true);
    const lines = stdout.slice(0, -1).split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) {
      const msg = JSON.parse(line) as { jsonrpc: string };
      expect(msg.jsonrpc).toBe('2.0');
    }
    const byId = new Map(lines.map((l) => JSON.parse(l) as { id?: number; result?: { isError?: boolean } }).filter((m) => m.id !== undefined).map((m) => [m.id, m]));
    expect(byId.get(3)?.result?.isError).toBeFalsy();
    expect(byId.get(4)?.result?.isError).toBeFalsy();
    expect(byId.get(5)?.result?.isError).toBe(true);
    // Logs went to stderr instead.
    expect(stderr).toMatch(/"msg":"tool call"/);
  });
});
