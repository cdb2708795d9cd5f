/**
 * 200 generate_video jobs at once through the real server stack (createCore + the MCP server, in
 * process) against the Vertex emulator (API-key mode, videos inline). Every call answers at once with
 * a handle (wait_seconds 0), then get_job waits for each. Nothing may be lost or done twice: exactly
 * 200 starts at the emulator, 200 distinct job ids and operations, each operation polled exactly to
 * its end by one poller, 200 succeeded in list_jobs, 200 distinct MP4 artifacts on disk and in
 * resources/list — and never more requests in flight at Vertex than MCP_PROVIDERS_CONCURRENCY.
 * The event loop's p99 delay while the jobs run is measured in this process (the server's) and printed.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/registry/config.js';
import { createCore } from '../../src/server/core.js';
import type { Core } from '../../src/tools/deps.js';
import { startVertexEmulator, type VertexEmulator } from '../emulators/vertex/index.js';
import { inProcessClient } from '../helpers/in-process.js';

const JOBS = 200;
const CONCURRENCY = 16;
const OPERATION_POLLS = 3;
/** Each start takes this long at the emulator, so the per-provider queue really has to queue. */
const START_MS = 20;

interface Out {
  job: { id: string; state: string; provider?: string; error?: { code: string; message: string } };
  artifacts?: { uri: string; path: string; sha256: string; mimeType: string }[];
}

let emu: VertexEmulator;
let core: Core;
let client: Client;
let closeClient: () => Promise<void>;
let home: string;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'jobs-concurrency-'));
  emu = await startVertexEmulator({ operationPolls: OPERATION_POLLS });
  const config = loadConfig({
    HOME: home,
    MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'artifacts'),
    MCP_PROVIDERS_LOG_LEVEL: 'silent',
    GOOGLE_API_KEY: 'test-api-key',
    GOOGLE_VERTEX_BASE_URL: emu.baseUrl,
    MCP_PROVIDERS_POLL_MS: '50',
    MCP_PROVIDERS_RETRY_BASE_MS: '10',
    MCP_PROVIDERS_RETRY_MAX_MS: '50',
    MCP_PROVIDERS_CONCURRENCY: String(CONCURRENCY),
    MCP_PROVIDERS_CALL_TIMEOUT_MS: '60000',
  });
  core = createCore({ config });
  // As the stdio and HTTP commands do: lease renewal and orphan take-over run too.
  core.jobs.start();
  ({ client, close: closeClient } = await inProcessClient(core, '2025-11-25'));
});

afterAll(async () => {
  await closeClient?.();
  await core?.shutdown();
  await emu?.close();
  await rm(home, { recursive: true, force: true });
});

async function tool(name: string, args: Record<string, unknown>): Promise<Out> {
  const res = await client.callTool({ name, arguments: args }, { timeout: 60_000 });
  return res.structuredContent as unknown as Out;
}

describe(`${JOBS} concurrent generate_video jobs`, () => {
  it('complete with no lost or duplicated job: one start each, every job succeeded, every MP4 stored', { timeout: 60_000 }, async () => {
    // Warm up the adapter (loads @google/genai) so the run measures jobs, not a module load.
    await client.callTool({ name: 'list_providers', arguments: {} });
    emu.enqueueFault(...Array.from({ length: JOBS }, () => ({ route: 'start' as const, delayMs: START_MS })));
    emu.concurrency.max = 0;

    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const t0 = Date.now();

    // Handles first: every call answers at once, its job persisted and running in the background.
    const handles = await Promise.all(Array.from({ length: JOBS }, (_, i) => tool('generate_video', { prompt: `clip ${i}`, wait_seconds: 0 })));
    const tHandles = Date.now() - t0;
    for (const h of handles) expect(['queued', 'running', 'succeeded']).toContain(h.job.state);
    const ids = handles.map((h) => h.job.id);
    expect(new Set(ids).size).toBe(JOBS);

    // Then wait for each through get_job.
    const finals = await Promise.all(ids.map((id) => tool('get_job', { job_id: id, wait_seconds: 50 })));
    const elapsed = Date.now() - t0;
    lag.disable();

    const failed = finals.filter((f) => f.job.state !== 'succeeded');
    expect(failed.map((f) => `${f.job.id} ${f.job.state} ${f.job.error?.code ?? ''} ${f.job.error?.message ?? ''}`)).toEqual([]);
    expect(finals.map((f) => f.job.id)).toEqual(ids);

    // Exactly one start per job, each a distinct operation, each polled to its end by one poller only.
    const starts = emu.requests.filter((r) => r.path.endsWith(':predictLongRunning'));
    const polls = emu.requests.filter((r) => r.path.endsWith(':fetchPredictOperation'));
    expect(starts).toHaveLength(JOBS);
    expect(emu.operations.size).toBe(JOBS);
    for (const op of emu.operations.values()) expect(op).toMatchObject({ done: true, polls: OPERATION_POLLS });
    expect(polls).toHaveLength(JOBS * OPERATION_POLLS);
    expect(new Set(starts.map((r) => (r.body as { instances: { prompt: string }[] }).instances[0]!.prompt)).size).toBe(JOBS);
    // The per-provider queue: never more model calls at Vertex at once than the limit.
    expect(emu.concurrency.max).toBeLessThanOrEqual(CONCURRENCY);
    expect(emu.concurrency.max).toBeGreaterThan(1);

    // list_jobs: all 200, succeeded.
    const listed = (await client.callTool({ name: 'list_jobs', arguments: { state: 'succeeded', limit: 500 } })).structuredContent as { jobs: { id: string }[] };
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    const all = (await client.callTool({ name: 'list_jobs', arguments: { limit: 500 } })).structuredContent as { jobs: { id: string }[] };
    expect(all.jobs).toHaveLength(JOBS);

    // 200 MP4s: one per job, distinct, each byte-identical to a video the emulator sent.
    const arts = finals.map((f) => f.artifacts ?? []);
    for (const a of arts) expect(a).toHaveLength(1);
    const sent = new Set(emu.sent.videos.map(sha256));
    expect(sent.size).toBe(JOBS);
    const shas = new Set<string>();
    for (const [art] of arts) {
      expect(art!.mimeType).toBe('video/mp4');
      const bytes = await readFile(art!.path);
      expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
      expect(sha256(bytes)).toBe(art!.sha256);
      expect(sent.has(art!.sha256)).toBe(true);
      shas.add(art!.sha256);
    }
    expect(shas.size).toBe(JOBS);
    const files = (await readdir(join(home, 'artifacts'))).filter((f) => f.endsWith('.mp4'));
    expect(files).toHaveLength(JOBS);
    const resources: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor ? { cursor } : {});
      resources.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor);
    expect(resources.sort()).toEqual(arts.map(([a]) => a!.uri).sort());

    const p99 = lag.percentile(99) / 1e6;
    const max = lag.max / 1e6;
    const mean = lag.mean / 1e6;
    console.log(
      [
        '',
        `${JOBS} concurrent generate_video jobs (in process, Vertex emulator, MCP_PROVIDERS_CONCURRENCY=${CONCURRENCY}, ${START_MS} ms per start):`,
        `  handles for all ${JOBS}: ${tHandles} ms; all succeeded after ${elapsed} ms`,
        `  starts ${starts.length}, polls ${polls.length}, peak model calls in flight at Vertex ${emu.concurrency.max}`,
        `  event-loop delay while running: p99 ${p99.toFixed(1)} ms, mean ${mean.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
      ].join('\n'),
    );
    expect(elapsed).toBeLessThan(60_000);
  });
});
