/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance), run on Node 22
 * against `mcp-providers --http`, for the scenarios that apply to any server. (The others
 * test fixture tools and prompts a conformance "everything" server defines.)
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpServer, testEnv, type HttpServer } from '../helpers/server-process.js';

const SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'logging-set-level',
  'resources-list',
  'dns-rebinding-protection',
  'server-sse-multiple-streams',
];

const require = createRequire(import.meta.url);
const CONFORMANCE = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');

function conformance(url: string, scenario: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CONFORMANCE, 'server', '--url', url, '--scenario', scenario], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    proc.stderr.on('data', (d: Buffer) => (out += d));
    proc.once('exit', (code) => resolve({ code, out }));
  });
}

describe('MCP conformance suite', () => {
  let srv: HttpServer;
  beforeAll(async () => {
    srv = await httpServer(testEnv());
  });
  afterAll(async () => {
    await srv?.close();
  });

  it.each(SCENARIOS)('%s passes', async (scenario) => {
    const { code, out } = await conformance(srv.url, scenario);
    const m = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(m, out).not.toBeNull();
    expect(Number(m![1]), out).toBeGreaterThan(0);
    expect(m![1], out).toBe(m![2]);
    expect(m![3], out).toBe('0');
    expect(code, out).toBe(0);
  });
});
