/**
 * What calls cost, through a real MCP client (in process) and the real provider SDKs against the
 * loopback emulators: `usage.costUsd` and `usage.costSource` per capability, compared with what was
 * made × the price the loaded configuration holds; a call over its cap refused with nothing sent;
 * `estimate: true` sending nothing; the daily budget refusing once today's recorded spend would pass
 * it, and still after a restart (a new core on the same job database).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runDoctor } from '../../src/commands/doctor.js';
import type { Price } from '../../src/registry/prices.js';
import type { Core } from '../../src/tools/deps.js';
import { startFalEmulator, type FalEmulator } from '../emulators/fal/index.js';
import { PRICES as OPENROUTER_PRICES, start as startOpenAICompatible, type Emulator as OpenAIEmulator } from '../emulators/openai-compatible.js';
import { startReplicateEmulator, type ReplicateEmulator } from '../emulators/replicate/index.js';
import { startVertexEmulator, type VertexEmulator } from '../emulators/vertex/index.js';
import { inProcessClient, testCore } from '../helpers/in-process.js';
import { stdioClient, testEnv } from '../helpers/server-process.js';

interface Out {
  job?: { id: string; state: string };
  provider?: string;
  model?: string;
  artifacts?: { mimeType: string; durationSeconds?: number }[];
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number; costSource?: string };
  warnings?: string[];
  estimate?: { costUsd?: number; provider: string; model: string; basis: { quantity: number; unit: string; usdPerUnit: number; usd: number }[]; source?: string; refused?: string; capUsd?: number };
}

type Client = Awaited<ReturnType<typeof inProcessClient>>['client'];

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const res = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = res.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return { res, out: (res.structuredContent ?? {}) as unknown as Out, text };
}

function price(core: Core, provider: string, model: string): Price {
  const p = core.config.prices[provider]?.models[model];
  expect(p, `${provider} ${model} has a price in the loaded config`).toBeDefined();
  return p!;
}

const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 9);

let vertex: VertexEmulator;
let fal: FalEmulator;
let replicate: ReplicateEmulator;
let openrouter: OpenAIEmulator;
const dirs: string[] = [];

function providerEnv(): Record<string, string> {
  return {
    GOOGLE_API_KEY: 'test-api-key',
    GOOGLE_VERTEX_BASE_URL: vertex.baseUrl,
    FAL_AI_API_KEY: fal.apiKey,
    FAL_BASE_URL: fal.baseUrl,
    REPLICATE_API_TOKEN: replicate.token,
    REPLICATE_BASE_URL: replicate.baseUrl,
    OPENROUTER_API_KEY: 'sk-or-test',
    OPENROUTER_BASE_URL: openrouter.url,
    MCP_PROVIDERS_POLL_MS: '20',
    MCP_PROVIDERS_RETRY_BASE_MS: '10',
  };
}

/** Requests that reached a provider's model (not the emulators' file downloads). */
function modelRequests(): number {
  return vertex.requests.filter((r) => /\/publishers\/google\/models\//.test(r.path)).length + fal.requests.length + replicate.requests.length + openrouter.requests.length;
}

beforeAll(async () => {
  vertex = await startVertexEmulator({ operationPolls: 2 });
  fal = await startFalEmulator();
  replicate = await startReplicateEmulator();
  openrouter = await startOpenAICompatible({ basePath: '/api/v1', apiKey: 'sk-or-test' });
});
afterAll(async () => {
  await Promise.all([vertex?.close(), fal?.close(), replicate?.close(), openrouter?.close()]);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
beforeEach(() => {
  vertex.requests.length = 0;
  fal.requests.length = 0;
  replicate.requests.length = 0;
  openrouter.requests.length = 0;
});

describe('usage.costUsd and costSource on every capability', () => {
  let core: Core;
  let client: Client;
  let closeClient: () => Promise<void>;

  beforeAll(async () => {
    // Replicate's community models are billed by compute time × their hardware's price: the user
    // says which hardware (here the A100 80GB rate from replicate.com/pricing) in their own file.
    const dir = mkdtempSync(join(tmpdir(), 'cost-config-'));
    dirs.push(dir);
    const userConfig = join(dir, 'providers.yaml');
    writeFileSync(
      userConfig,
      'providers:\n  replicate:\n    prices:\n      meta/musicgen: { per_compute_second: 0.0014, source: "https://replicate.com/pricing", read: "2026-12-01" }\n',
    );
    core = testCore({ ...providerEnv(), MCP_PROVIDERS_CONFIG: userConfig });
    ({ client, close: closeClient } = await inProcessClient(core, '2025-11-25'));
  });
  afterAll(async () => {
    await closeClient?.();
    await core?.shutdown();
  });

  it('text: tokens × the table price (Gemini on Vertex)', async () => {
    const { res, out, text } = await call(client, 'generate_text', { prompt: 'Name three moons', max_tokens: 50, provider: 'google-vertex', fallback: false });
    expect(res.isError, text).toBeFalsy();
    const p = price(core, 'google-vertex', 'gemini-2.5-flash');
    const u = out.usage!;
    expect(u.costSource).toBe('price-table');
    close(u.costUsd!, (u.inputTokens! * p.input_per_million_tokens! + u.outputTokens! * p.output_per_million_tokens!) / 1e6);
  });

  it("text: OpenRouter's own usage.cost, source provider", async () => {
    const { res, out, text } = await call(client, 'generate_text', { prompt: 'Say hi', max_tokens: 20, provider: 'openrouter', fallback: false });
    expect(res.isError, text).toBeFalsy();
    const u = out.usage!;
    expect(u.costSource).toBe('provider');
    close(u.costUsd!, u.inputTokens! * OPENROUTER_PRICES.perInputToken + u.outputTokens! * OPENROUTER_PRICES.perOutputToken);
  });

  it('image: images made × the per-image price (Imagen), and tokens × price (Gemini image)', async () => {
    const imagen = await call(client, 'generate_image', { prompt: 'A lighthouse', model: 'imagen-4.0-generate-001', count: 2, provider: 'google-vertex', fallback: false });
    expect(imagen.res.isError, imagen.text).toBeFalsy();
    expect(imagen.out.artifacts).toHaveLength(2);
    expect(imagen.out.usage).toMatchObject({ costSource: 'price-table' });
    close(imagen.out.usage!.costUsd!, 2 * price(core, 'google-vertex', 'imagen-4.0-generate-001').per_image!);

    const gemini = await call(client, 'generate_image', { prompt: 'A red square', provider: 'google-vertex', fallback: false });
    expect(gemini.res.isError, gemini.text).toBeFalsy();
    const p = price(core, 'google-vertex', 'gemini-2.5-flash-image');
    const u = gemini.out.usage!;
    expect(u.costSource).toBe('price-table');
    close(u.costUsd!, (u.inputTokens! * p.input_per_million_tokens! + u.outputTokens! * p.output_per_million_tokens!) / 1e6);
  });

  it('video: seconds made × the per-second price, with and without audio (Veo on Vertex, Veo 3 on fal)', async () => {
    const veo = await call(client, 'generate_video', { prompt: 'A fox', duration_seconds: 4, generate_audio: true, provider: 'google-vertex', fallback: false });
    expect(veo.res.isError, veo.text).toBeFalsy();
    const seconds = veo.out.artifacts!.reduce((a, v) => a + v.durationSeconds!, 0);
    expect(seconds).toBe(4);
    expect(veo.out.usage).toMatchObject({ costSource: 'price-table' });
    close(veo.out.usage!.costUsd!, seconds * price(core, 'google-vertex', 'veo-3.1-generate-001').per_second_with_audio!);

    const silent = await call(client, 'generate_video', { prompt: 'A quiet fox', duration_seconds: 6, generate_audio: false, model: 'fal-ai/veo3', provider: 'fal', fallback: false });
    expect(silent.res.isError, silent.text).toBeFalsy();
    expect(silent.out.usage).toMatchObject({ costSource: 'price-table' });
    close(silent.out.usage!.costUsd!, 6 * price(core, 'fal', 'fal-ai/veo3').per_second!);
  });

  it('video without audio on a model priced only with audio: the cost is unknown, said so', async () => {
    const { res, out, text } = await call(client, 'generate_video', { prompt: 'A fox', duration_seconds: 4, generate_audio: false, provider: 'google-vertex', fallback: false });
    expect(res.isError, text).toBeFalsy();
    expect(out.usage).toMatchObject({ costSource: 'unknown' });
    expect(out.usage!.costUsd).toBeUndefined();
  });

  it("audio: Replicate's predict_time × the hardware price per second, source provider", async () => {
    const { res, out, text } = await call(client, 'generate_audio', { prompt: 'calm piano', duration_seconds: 5, provider: 'replicate', fallback: false });
    expect(res.isError, text).toBeFalsy();
    const telemetry = res._meta?.['mcp-providers/telemetry'] as { providerMetadata?: { predictTimeSeconds?: number } };
    const predictTime = telemetry.providerMetadata!.predictTimeSeconds!;
    expect(predictTime).toBeGreaterThan(0);
    expect(out.usage).toMatchObject({ costSource: 'provider' });
    close(out.usage!.costUsd!, predictTime * price(core, 'replicate', 'meta/musicgen').per_compute_second!);
  });

  it('tts: characters spoken × the per-character price (Kokoro on fal); the local provider costs 0', async () => {
    const text = 'The future belongs to those who believe in the beauty of their dreams.';
    const kokoro = await call(client, 'tts', { text, provider: 'fal', fallback: false });
    expect(kokoro.res.isError, kokoro.text).toBeFalsy();
    expect(kokoro.out.usage).toMatchObject({ costSource: 'price-table' });
    close(kokoro.out.usage!.costUsd!, (text.length / 1000) * price(core, 'fal', 'fal-ai/kokoro/american-english').per_thousand_characters!);

    const local = await call(client, 'tts', { text: 'hello', provider: 'local', fallback: false });
    expect(local.res.isError, local.text).toBeFalsy();
    expect(local.out.usage).toEqual({ costUsd: 0, costSource: 'price-table' });
  });

  it('a model without a price: costSource unknown, no figure', async () => {
    const { res, out, text } = await call(client, 'generate_image', { prompt: 'a cat', provider: 'fal', fallback: false });
    expect(res.isError, text).toBeFalsy();
    expect(out.usage).toEqual({ costSource: 'unknown' });
  });

  it('list_providers shows what each provider cost today and over 30 days', async () => {
    const { out } = await call(client, 'list_providers', {});
    const rows = (out as unknown as { providers: { id: string; spend: { todayUsd: number; last30DaysUsd: number; unknownCostCalls: number } }[] }).providers;
    const vertexRow = rows.find((r) => r.id === 'google-vertex')!;
    expect(vertexRow.spend.todayUsd).toBeGreaterThan(0);
    expect(vertexRow.spend.last30DaysUsd).toBe(vertexRow.spend.todayUsd);
    expect(vertexRow.spend.unknownCostCalls).toBe(1);
    expect(rows.find((r) => r.id === 'local')!.spend).toEqual({ todayUsd: 0, last30DaysUsd: 0, unknownCostCalls: 0 });
  });
});

describe('the cap, the estimate and the daily budget', () => {
  const cores: Core[] = [];
  async function server(env: Record<string, string> = {}) {
    const core = testCore({ ...providerEnv(), ...env });
    cores.push(core);
    const { client, close: closeClient } = await inProcessClient(core, '2025-11-25');
    return { core, client, close: async () => void (await closeClient(), await core.shutdown()) };
  }

  it('generate_video of 8 s over max_cost_usd: refused with the estimate and the cap, nothing sent', async () => {
    const s = await server();
    try {
      const { res, text } = await call(s.client, 'generate_video', { prompt: 'A long fox', duration_seconds: 8, max_cost_usd: 1, provider: 'google-vertex', fallback: false });
      expect(res.isError).toBe(true);
      expect(res._meta?.['mcp-providers/error']).toMatchObject({ code: 'over_cap', retryable: false });
      expect(text).toContain('8 s of veo-3.1-generate-001 with audio ≈ $3.20 > cap $1.00; 2 s would fit.');
      expect(modelRequests()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('MCP_PROVIDERS_MAX_COST_USD is the cap when the call gives none; max_cost_usd overrides it', async () => {
    const s = await server({ MCP_PROVIDERS_MAX_COST_USD: '0.5' });
    try {
      const refused = await call(s.client, 'generate_video', { prompt: 'fox', duration_seconds: 4, provider: 'google-vertex', fallback: false });
      expect(refused.res._meta?.['mcp-providers/error']).toMatchObject({ code: 'over_cap' });
      expect(refused.text).toContain('≈ $1.60 > cap $0.50');
      expect(modelRequests()).toBe(0);
      const allowed = await call(s.client, 'generate_video', { prompt: 'fox', duration_seconds: 4, max_cost_usd: 2, provider: 'google-vertex', fallback: false });
      expect(allowed.res.isError, allowed.text).toBeFalsy();
    } finally {
      await s.close();
    }
  });

  it('estimate: true returns the estimate and its basis, and sends nothing (no job either)', async () => {
    const s = await server();
    try {
      const { res, out, text } = await call(s.client, 'generate_video', { prompt: 'A long fox', duration_seconds: 8, estimate: true, max_cost_usd: 1, provider: 'google-vertex', fallback: false });
      expect(res.isError, text).toBeFalsy();
      const p = price(s.core, 'google-vertex', 'veo-3.1-generate-001');
      expect(out.estimate).toMatchObject({
        costUsd: 3.2,
        provider: 'google-vertex',
        model: 'veo-3.1-generate-001',
        basis: [{ quantity: 8, unit: 'second of video with audio', usdPerUnit: p.per_second_with_audio, usd: 3.2 }],
        source: p.source,
        capUsd: 1,
        refused: expect.stringContaining('> cap $1.00; 2 s would fit.'),
      });
      expect(out.job).toBeUndefined();
      expect(text).toContain('Estimate (nothing was run): 8 s of veo-3.1-generate-001 with audio ≈ $3.20, on google-vertex. This call would be refused:');
      expect(modelRequests()).toBe(0);
      expect(await s.core.jobs.list({ limit: 10 })).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('the daily budget refuses a call once recorded spend would pass it, and still after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-budget-'));
    dirs.push(dir);
    const env = { MCP_PROVIDERS_DAILY_BUDGET_USD: '0.1', MCP_PROVIDERS_JOB_DB: join(dir, 'jobs.sqlite') };
    const imagen = { prompt: 'a lighthouse', model: 'imagen-4.0-generate-001', provider: 'google-vertex', fallback: false };
    const first = await server(env);
    try {
      for (let i = 0; i < 2; i++) expect((await call(first.client, 'generate_image', imagen)).res.isError).toBeFalsy();
      vertex.requests.length = 0;
      const refused = await call(first.client, 'generate_image', imagen);
      expect(refused.res._meta?.['mcp-providers/error']).toMatchObject({ code: 'over_budget' });
      expect(refused.text).toContain('1 image of imagen-4.0-generate-001 ≈ $0.04 would pass the daily budget $0.10 (MCP_PROVIDERS_DAILY_BUDGET_USD): $0.08 spent today (UTC), $0.02 left');
      expect(modelRequests()).toBe(0);
    } finally {
      await first.close();
    }
    // A new core on the same job database: the day's spend is read back from SQLite.
    const second = await server(env);
    try {
      const again = await call(second.client, 'generate_image', imagen);
      expect(again.res._meta?.['mcp-providers/error']).toMatchObject({ code: 'over_budget' });
      expect(modelRequests()).toBe(0);
      const listed = (await call(second.client, 'list_providers', {})).out as unknown as { spend: { todayUsd: number; dailyBudgetUsd: number } };
      expect(listed.spend).toMatchObject({ todayUsd: 0.08, dailyBudgetUsd: 0.1 });
      // A free call still runs.
      expect((await call(second.client, 'tts', { text: 'still free', provider: 'local', fallback: false })).res.isError).toBeFalsy();
    } finally {
      await second.close();
    }
  });

  it('the day\'s spend survives the process: the built server, stopped and started again on the same data directory, still refuses', async () => {
    // The same HOME (so the same artifact folder and jobs.sqlite) for both processes.
    const env = testEnv({ ...providerEnv(), MCP_PROVIDERS_DAILY_BUDGET_USD: '0.1', MCP_PROVIDERS_LOG_LEVEL: 'warn' });
    const imagen = { prompt: 'a lighthouse', model: 'imagen-4.0-generate-001', provider: 'google-vertex', fallback: false };
    const first = await stdioClient(env);
    try {
      for (let i = 0; i < 2; i++) expect((await call(first.client as unknown as Client, 'generate_image', imagen)).res.isError).toBeFalsy();
    } finally {
      await first.close();
    }
    vertex.requests.length = 0;
    const second = await stdioClient(env);
    try {
      const again = await call(second.client as unknown as Client, 'generate_image', imagen);
      expect(again.res._meta?.['mcp-providers/error']).toMatchObject({ code: 'over_budget' });
      expect(again.text).toContain('$0.08 spent today (UTC), $0.02 left');
      expect(modelRequests()).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('a cost known only afterwards counts too: once it used the budget up, the next paid call is refused', async () => {
    const s = await server({ MCP_PROVIDERS_DAILY_BUDGET_USD: '0.000005' });
    try {
      const paid = await call(s.client, 'generate_text', { prompt: 'Say hi', provider: 'openrouter', fallback: false });
      expect(paid.res.isError, paid.text).toBeFalsy();
      expect(paid.out.usage!.costUsd!).toBeGreaterThan(0.000005);
      openrouter.requests.length = 0;
      const refused = await call(s.client, 'generate_text', { prompt: 'Say hi again', provider: 'openrouter', fallback: false });
      expect(refused.res._meta?.['mcp-providers/error']).toMatchObject({ code: 'over_budget' });
      expect(refused.text).toMatch(/daily budget \$0\.0000050 \(MCP_PROVIDERS_DAILY_BUDGET_USD\) is used up/);
      expect(openrouter.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('an unknown estimate under a cap runs, and the result says its cost was not known beforehand', async () => {
    const s = await server();
    try {
      const { res, out, text } = await call(s.client, 'generate_text', { prompt: 'Say hi', max_cost_usd: 1, provider: 'openrouter', fallback: false });
      expect(res.isError, text).toBeFalsy();
      expect(out.warnings?.join(' ')).toMatch(/was not known before the call \(no price for openrouter .*\), so the cap \$1\.00 could not be checked/);
      expect(out.usage).toMatchObject({ costSource: 'provider' });
    } finally {
      await s.close();
    }
  });
});

describe('spend where there is no job store, or a broken one', () => {
  it('list_providers and doctor on a machine with no job database yet: no spend, and no file created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-nodb-'));
    dirs.push(dir);
    const path = join(dir, 'jobs.sqlite');
    const core = testCore({ MCP_PROVIDERS_JOB_DB: path });
    const { client, close: closeClient } = await inProcessClient(core, '2025-11-25');
    try {
      const { res, out } = await call(client, 'list_providers', {});
      expect(res.isError).toBeFalsy();
      const listed = out as unknown as { spend: { todayUsd: number }; providers: { id: string; spend: unknown }[] };
      expect(listed.spend).toMatchObject({ todayUsd: 0, last30DaysUsd: 0 });
      expect(listed.providers.find((p) => p.id === 'local')!.spend).toEqual({ todayUsd: 0, last30DaysUsd: 0, unknownCostCalls: 0 });
      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
      try {
        expect(await runDoctor(core.config, { json: true })).toBe(0);
      } finally {
        spy.mockRestore();
      }
      expect((JSON.parse(written.join('')) as { spend: unknown }).spend).toEqual({ todayUsd: 0, last30DaysUsd: 0, providers: {} });
      expect(existsSync(path)).toBe(false);
    } finally {
      await closeClient();
      await core.shutdown();
    }
  });

  it('list_providers with a job store that cannot be read still lists every provider, leaving spend out', async () => {
    // A directory where the database file should be: SQLite cannot open it.
    const dir = mkdtempSync(join(tmpdir(), 'cost-baddb-'));
    dirs.push(dir);
    const core = testCore({ MCP_PROVIDERS_JOB_DB: dir });
    const { client, close: closeClient } = await inProcessClient(core, '2025-11-25');
    try {
      const { res, out, text } = await call(client, 'list_providers', {});
      expect(res.isError, text).toBeFalsy();
      const listed = out as unknown as { spend?: unknown; providers: { id: string; spend?: unknown }[] };
      expect(listed.providers.map((p) => p.id)).toContain('local');
      expect(listed.spend).toBeUndefined();
      expect(listed.providers.every((p) => p.spend === undefined)).toBe(true);
      expect(text).toContain('Spend: not known (the job store could not be read).');
    } finally {
      await closeClient();
      await core.shutdown();
    }
  });
});
