/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12), run
 * on Node 22 against `mcp-providers --http`, scenario by scenario, at each spec version the
 * server speaks: 2026-07-28 (stateless, server/discover) and 2025-11-25 (initialize handshake).
 *
 * Which scenarios run, and which of their checks may fail and why, is in
 * ./conformance-expected.ts. Each run gets the suite's own `--expected-failures` baseline built
 * from that table, so the suite's exit code already fails on an unexpected failure and on a
 * stale entry (an expected failure that now passes); the test also judges checks.json itself,
 * to say which check failed and show the suite's request/response details.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import { httpServer, testEnv, type HttpServer } from '../helpers/server-process.js';
import { EXTENSIONS, SCENARIOS, SPEC_VERSIONS, TASKS, type Entry, type SpecVersion } from './conformance-expected.js';

const require = createRequire(import.meta.url);
const CONFORMANCE = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
const ANSI = /\x1b\[[0-9;]*m/g;

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  description?: string;
  errorMessage?: string;
  details?: unknown;
}

interface Run {
  code: number | null;
  out: string;
  checks?: Check[];
  summary?: { passed: number; total: number; failed: number; warnings: number };
}

function conformance(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CONFORMANCE, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => resolve({ code, out: out.replace(ANSI, '') }));
  });
}

/** `conformance server --scenario`, with results in a fresh -o directory (checks.json). */
async function runScenario(url: string, scenario: string, version: SpecVersion, extra: string[]): Promise<Run> {
  const outDir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  const { code, out } = await conformance(['server', '--url', url, '--scenario', scenario, '--spec-version', version, '--timeout', '20000', '-o', outDir, ...extra]);
  const run: Run = { code, out };
  const dir = readdirSync(outDir).find((d) => d.startsWith('server-'));
  if (dir) run.checks = JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8')) as Check[];
  rmSync(outDir, { recursive: true, force: true });
  const m = /Passed: (\d+)\/(\d+), (\d+) failed, (\d+) warnings/.exec(out);
  if (m) run.summary = { passed: Number(m[1]), total: Number(m[2]), failed: Number(m[3]), warnings: Number(m[4]) };
  return run;
}

/** One verdict per check id, most severe occurrence first (as the suite's baseline does). */
function collapse(checks: Check[]): Map<string, Check> {
  const rank = (s: Check['status']) => (s === 'FAILURE' ? 3 : s === 'WARNING' ? 2 : s === 'SUCCESS' ? 1 : 0);
  const byId = new Map<string, Check>();
  for (const c of checks) {
    if (c.status === 'INFO') continue;
    const cur = byId.get(c.id);
    if (!cur || rank(c.status) >= rank(cur.status)) byId.set(c.id, c);
  }
  return byId;
}

function describeCheck(c: Check): string {
  const details = c.details === undefined ? '' : `\n      details: ${JSON.stringify(c.details).slice(0, 2000)}`;
  return `  ${c.id} [${c.status}] ${c.description ?? ''}\n      ${c.errorMessage ?? ''}${details}`;
}

/** Scenario names `conformance list` prints, with their applicability tag. */
async function listScenarios(args: string[]): Promise<Map<string, string>> {
  const { code, out } = await conformance(['list', '--server', ...args]);
  expect(code, out).toBe(0);
  const names = new Map<string, string>();
  for (const m of out.matchAll(/^ {2}- (\S+) \[([^\]]*)\]$/gm)) names.set(m[1], m[2]);
  return names;
}

/** A server with one artifact, so resources/list is not empty and resources/read gets exercised. */
async function startServer(): Promise<HttpServer> {
  const env = testEnv();
  mkdirSync(env.MCP_PROVIDERS_ARTIFACT_DIR, { recursive: true });
  await new FsArtifactStore({ dir: env.MCP_PROVIDERS_ARTIFACT_DIR }).put(
    { kind: 'bytes', data: new TextEncoder().encode('conformance fixture artifact\n') },
    { mimeType: 'text/plain', provider: 'local', model: 'conformance', capability: 'text', prompt: 'conformance' },
  );
  return httpServer(env);
}

function baselineFile(dir: string, version: SpecVersion): string {
  const lines = Object.entries(SCENARIOS[version]).flatMap(([scenario, entry]) =>
    entry.kind === 'runs' ? Object.keys(entry.expected ?? {}).map((check) => `  - ${scenario}:${check}`) : [],
  );
  const file = join(dir, `expected-failures-${version}.yml`);
  writeFileSync(file, `server:${lines.length ? `\n${lines.join('\n')}` : ' []'}\n`);
  return file;
}

function skipReason(entry: Exclude<Entry, { kind: 'runs' }>): string {
  return `${entry.kind === 'fixture' ? 'needs fixture' : entry.kind}: ${entry.needs}`;
}

for (const version of SPEC_VERSIONS) {
  describe(`MCP conformance suite @ ${version}`, () => {
    let srv: HttpServer;
    let tmp: string;
    let baseline: string;
    const counts: string[] = [];
    beforeAll(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'mcp-conformance-baseline-'));
      baseline = baselineFile(tmp, version);
      srv = await startServer();
    });
    afterAll(async () => {
      await srv?.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      if (counts.length) console.log(`conformance @ ${version} (node ${process.version}):\n${counts.join('\n')}`);
    });

    it(`every suite scenario @ ${version} is classified`, async () => {
      const listed = [...(await listScenarios(['--spec-version', version])).keys()].sort();
      expect(listed, 'add new scenarios to test/e2e/conformance-expected.ts').toEqual(Object.keys(SCENARIOS[version]).sort());
    });

    for (const [scenario, entry] of Object.entries(SCENARIOS[version])) {
      if (entry.kind !== 'runs') {
        it.skip(`${scenario} @ ${version} (${skipReason(entry)})`, () => {});
        continue;
      }
      const expected = entry.expected ?? {};
      it(`${scenario} @ ${version}`, async () => {
        const run = await runScenario(srv.url, scenario, version, ['--expected-failures', baseline]);
        expect(run.checks, `no checks.json: the suite did not run ${scenario}\n${run.out}`).toBeDefined();
        const checks = run.checks!;
        const verdicts = collapse(checks);
        const n = (s: Check['status']) => checks.filter((c) => c.status === s).length;
        const expectedFailing = [...verdicts.values()].filter((c) => c.id in expected && (c.status === 'FAILURE' || c.status === 'WARNING'));
        counts.push(
          `  ${scenario.padEnd(44)} passed ${n('SUCCESS')}/${n('SUCCESS') + n('FAILURE')}, ${n('FAILURE')} failed, ` +
            `${n('WARNING')} warnings, ${n('SKIPPED')} skipped; expected failures hit ${expectedFailing.length}/${Object.keys(expected).length}`,
        );

        // The suite's own summary line agrees with checks.json.
        expect(run.summary, run.out).toEqual({
          passed: n('SUCCESS'),
          total: n('SUCCESS') + n('FAILURE'),
          failed: n('FAILURE'),
          warnings: n('WARNING'),
        });
        expect(run.summary!.passed, `no check passed in ${scenario}\n${run.out}`).toBeGreaterThan(0);

        const unexpected = [...verdicts.values()].filter((c) => (c.status === 'FAILURE' || c.status === 'WARNING') && !(c.id in expected));
        expect(unexpected.map(describeCheck), `unexpected failures in ${scenario} @ ${version}`).toEqual([]);

        const stale = Object.keys(expected).filter((id) => verdicts.get(id)?.status === 'SUCCESS');
        expect(stale, `expected failures now passing: remove them from conformance-expected.ts`).toEqual([]);
        const unseen = Object.keys(expected).filter((id) => !verdicts.has(id) || verdicts.get(id)!.status === 'SKIPPED');
        if (unseen.length) console.log(`${scenario} @ ${version}: expected failures skipped or absent (tolerated): ${unseen.join(', ')}`);

        // And the suite's baseline verdict (unexpected failure or stale entry → exit 1).
        expect(run.code, run.out).toBe(0);
      }, 60_000);
    }

    if (version === '2026-07-28') {
      it('extension scenarios are classified', async () => {
        const ext = [...(await listScenarios([])).entries()].filter(([, tag]) => tag === 'extension').map(([name]) => name);
        expect(ext.sort()).toEqual(Object.keys(EXTENSIONS).sort());
        expect(Object.keys(TASKS).filter((s) => !(s in EXTENSIONS))).toEqual([]);
      });

      // The tasks extension (io.modelcontextprotocol/tasks): its fixture-free checks are required.
      for (const [scenario, { required, excluded }] of Object.entries(TASKS)) {
        it(`${scenario} @ ${version} (tasks extension, --force)`, async () => {
          const run = await runScenario(srv.url, scenario, version, ['--force']);
          expect(run.checks, `no checks.json: the suite did not run ${scenario}\n${run.out}`).toBeDefined();
          const verdicts = collapse(run.checks!);
          console.log(
            `${scenario} @ ${version}:\n${[...verdicts.values()]
              .map((c) => `  ${c.id.padEnd(52)} ${c.status}${c.id in excluded ? ' (excluded: needs a fixture)' : required.includes(c.id) ? ' (required)' : ''}`)
              .join('\n')}`,
          );
          const notPassing = required.filter((id) => verdicts.get(id)?.status !== 'SUCCESS');
          expect(notPassing.map((id) => (verdicts.has(id) ? describeCheck(verdicts.get(id)!) : `  ${id} ABSENT`)), `required tasks checks in ${scenario}`).toEqual([]);
          const unexpected = [...verdicts.values()].filter((c) => (c.status === 'FAILURE' || c.status === 'WARNING') && !(c.id in excluded));
          expect(unexpected.map(describeCheck), `unexpected failures in ${scenario} @ ${version}`).toEqual([]);
          const stale = Object.keys(excluded).filter((id) => verdicts.get(id)?.status === 'SUCCESS');
          expect(stale, 'excluded tasks checks now passing: make them required in conformance-expected.ts').toEqual([]);
        }, 60_000);
      }
    }
  });
}
