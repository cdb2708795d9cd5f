/**
 * The three third-party providers together, through the built server: image fallback from fal to
 * Replicate to Hugging Face when each answers 503; `extra` that belongs to one provider never
 * reaching the next; and a provider handing back a file URL on an address we must not fetch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFalEmulator, type FalEmulator } from '../emulators/fal/index.js';
import { startHfEmulator, type HfEmulator } from '../emulators/huggingface/index.js';
import { startReplicateEmulator, type ReplicateEmulator } from '../emulators/replicate/index.js';
import { stdioClient, testEnv, type StdioSession } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';
import { readFile } from 'node:fs/promises';

interface Out {
  job: { state: string; error?: { code: string; message: string } };
  provider?: string;
  artifacts?: { path: string; sha256: string }[];
  warnings?: string[];
  telemetry?: { attempts: number; fallbackFrom?: string[] };
}

let fal: FalEmulator;
let replicate: ReplicateEmulator;
let hf: HfEmulator;

async function image(s: StdioSession, args: Record<string, unknown>): Promise<{ out: Out; isError: boolean; text: string }> {
  const res = await s.client.callTool({ name: 'generate_image', arguments: { prompt: 'a lighthouse at dusk', ...args } });
  const text = (res.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
  return { out: res.structuredContent as unknown as Out, isError: !!res.isError, text };
}

const falSubmits = () => fal.requests.filter((r) => r.method === 'POST');
const replicateCreates = () => replicate.creates();
const hfCalls = () => hf.requests.filter((r) => r.method === 'POST');

function env(falBase = fal.baseUrl): Record<string, string> {
  return testEnv({
    FAL_KEY: fal.apiKey,
    FAL_BASE_URL: falBase,
    REPLICATE_API_TOKEN: replicate.token,
    REPLICATE_BASE_URL: replicate.baseUrl,
    HUGGINGFACE_API_TOKEN: hf.token,
    HUGGINGFACE_BASE_URL: hf.baseUrl,
    MCP_PROVIDERS_POLL_MS: '20',
    MCP_PROVIDERS_RETRY_BASE_MS: '5',
    MCP_PROVIDERS_RETRY_MAX_MS: '20',
    MCP_PROVIDERS_COOLDOWN_AFTER: '1000',
  });
}

beforeAll(async () => {
  fal = await startFalEmulator({ queuePolls: 1, progressPolls: 1 });
  replicate = await startReplicateEmulator({ processingPolls: 1 });
  hf = await startHfEmulator();
});
afterAll(async () => {
  await Promise.all([fal?.close(), replicate?.close(), hf?.close()]);
});

describe('fal, Replicate and Hugging Face together', () => {
  let s: StdioSession;
  beforeAll(async () => {
    s = await stdioClient(env());
  });
  afterAll(() => s?.close());
  beforeEach(() => {
    fal.requests.length = 0;
    replicate.requests.length = 0;
    hf.requests.length = 0;
  });

  it('lists all three as usable with their capabilities', async () => {
    const res = await s.client.callTool({ name: 'list_providers', arguments: { capability: 'image' } });
    const rows = (res.structuredContent as { providers: { id: string; usable: boolean }[] }).providers;
    expect(rows.filter((p) => p.usable).map((p) => p.id)).toEqual(['fal', 'replicate', 'huggingface']);
  });

  it('image falls back fal → Replicate when fal answers 503, with fallbackFrom in telemetry', async () => {
    fal.enqueueFault(...Array.from({ length: 3 }, () => ({ status: 503, route: 'submit' as const })));
    const { out, isError } = await image(s, {});
    expect(isError).toBe(false);
    expect(out.provider).toBe('replicate');
    expect(out.telemetry?.fallbackFrom).toEqual(['fal']);
    expect(falSubmits()).toHaveLength(3);
    expect(replicateCreates()).toHaveLength(1);
    const bytes = await readFile(out.artifacts![0]!.path);
    expect(sha256(bytes)).toBe(out.artifacts![0]!.sha256);
  });

  it('… and on to Hugging Face when Replicate answers 503 too: fallbackFrom [fal, replicate]', async () => {
    fal.enqueueFault(...Array.from({ length: 3 }, () => ({ status: 503, route: 'submit' as const })));
    replicate.enqueueFault(...Array.from({ length: 3 }, () => ({ status: 503, route: 'create' as const })));
    const { out, isError } = await image(s, {});
    expect(isError).toBe(false);
    expect(out.provider).toBe('huggingface');
    expect(out.telemetry?.fallbackFrom).toEqual(['fal', 'replicate']);
    expect(hfCalls().length).toBeGreaterThanOrEqual(1);
  });

  it('a flat extra meant for fal is not sent to Replicate on fallback, and the result says so', async () => {
    fal.enqueueFault(...Array.from({ length: 3 }, () => ({ status: 503, route: 'submit' as const })));
    const { out } = await image(s, { extra: { guidance_scale: 3.5 } });
    expect(out.provider).toBe('replicate');
    expect((falSubmits()[0]!.body as Record<string, unknown>).guidance_scale).toBe(3.5);
    const input = (replicateCreates()[0]!.body as { input: Record<string, unknown> }).input;
    expect(input).not.toHaveProperty('guidance_scale');
    expect(out.warnings?.join(' ')).toMatch(/extra \(guidance_scale\) was meant for fal and was not sent to replicate/);
  });

  it('extra keyed by provider reaches each provider’s own request', async () => {
    fal.enqueueFault(...Array.from({ length: 3 }, () => ({ status: 503, route: 'submit' as const })));
    const { out } = await image(s, { extra: { fal: { guidance_scale: 3.5 }, replicate: { go_fast: false } } });
    expect(out.provider).toBe('replicate');
    const falBody = falSubmits()[0]!.body as Record<string, unknown>;
    expect(falBody.guidance_scale).toBe(3.5);
    expect(falBody).not.toHaveProperty('go_fast');
    const input = (replicateCreates()[0]!.body as { input: Record<string, unknown> }).input;
    expect(input.go_fast).toBe(false);
    expect(input).not.toHaveProperty('guidance_scale');
    expect(out.warnings?.join(' ') ?? '').not.toMatch(/was not sent/);
  });
});

describe('a provider answering with a file URL we must not fetch', () => {
  it('gets no request there, and the call fails with a clear error', async () => {
    // fal configured as http://localhost:PORT: only that origin is trusted; the emulator hands out
    // its files as http://127.0.0.1:PORT/… — another origin, on a loopback address.
    const s = await stdioClient(env(fal.baseUrl.replace('127.0.0.1', 'localhost')));
    try {
      fal.requests.length = 0;
      const { out, isError, text } = await image(s, { provider: 'fal', fallback: false });
      expect(isError).toBe(true);
      expect(out.job.state).toBe('failed');
      // Refused before any connection: plain http off the trusted origin (an https URL there would meet the address check).
      expect(text).toMatch(/refused to fetch http:\/\/127\.0\.0\.1:\d+\/files\/\S+: plain http is fetched only from the origin of a configured <PROVIDER>_BASE_URL/);
      expect(fal.requests.filter((r) => r.path.startsWith('/files/'))).toEqual([]);
      // The job itself ran once: the file was never fetched, and nothing was paid for twice.
      expect(falSubmits()).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});

describe('an attachment URL pointing at the metadata server', () => {
  it('is refused before anything is fetched', async () => {
    const s = await stdioClient(env());
    try {
      fal.requests.length = 0;
      const { isError, text } = await image(s, { attachments: [{ uri: 'http://169.254.169.254/latest/meta-data/iam/' }] });
      expect(isError).toBe(true);
      expect(text).toMatch(/attachments/);
      expect(text).toMatch(/must start with https:\/\/, gs:\/\/, data: or artifact:\/\//);
      expect(fal.requests).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
