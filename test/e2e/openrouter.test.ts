/**
 * The server, through OpenRouter (its real adapter and the openai SDK) against the loopback
 * emulator, with a local OpenAI-compatible server as the next text provider for fallback.
 */
import { readFile } from 'node:fs/promises';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { start, type Emulator } from '../emulators/openai-compatible.js';
import { stdioClient, testEnv, type StdioSession } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

const KEY = 'sk-or-v1-emulated-key-abcdef123456';
let openrouter: Emulator;
let localServer: Emulator;
let s: StdioSession;

interface Out {
  provider: string;
  model: string;
  text?: string;
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
  artifacts: { uri: string; sha256: string; size: number; path: string; mimeType: string }[];
  warnings?: string[];
  telemetry: { attempts: number; fallbackFrom?: string[]; requestId?: string; latencyMs: number };
}

async function call(name: string, args: Record<string, unknown>) {
  const res = (await s.client.callTool({ name, arguments: args })) as CallToolResult;
  return { res, out: res.structuredContent as unknown as Out };
}

beforeAll(async () => {
  openrouter = await start({ basePath: '/api/v1', apiKey: KEY });
  localServer = await start({ basePath: '/v1' });
  s = await stdioClient(
    testEnv({
      OPENROUTER_API_KEY: KEY,
      OPENROUTER_BASE_URL: openrouter.url,
      LOCAL_OPENAI_BASE_URL: localServer.url,
      MCP_PROVIDERS_RETRY_BASE_MS: '10',
      // Keep each test independent of the previous one's failures.
      MCP_PROVIDERS_COOLDOWN_AFTER: '1000',
    }),
  );
});
afterAll(async () => {
  await s?.close();
  await openrouter?.close();
  await localServer?.close();
});
beforeEach(() => {
  openrouter.requests.length = 0;
  localServer.requests.length = 0;
});

describe('OpenRouter through the server', () => {
  it('generates text with usage and cost reported', async () => {
    const { res, out } = await call('generate_text', { prompt: 'Say hi', system: 'Be brief', max_tokens: 50 });
    expect(res.isError).toBeFalsy();
    expect(out.provider).toBe('openrouter');
    expect(out.model).toBe('openai/gpt-4o-mini');
    expect(out.text).toBeTruthy();
    expect(res.content[0]).toMatchObject({ type: 'text', text: out.text });
    const sent = openrouter.requests[0];
    expect(sent.path).toBe('/api/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toMatchObject({ model: 'openai/gpt-4o-mini', max_tokens: 50, messages: [{ role: 'system', content: 'Be brief' }, { role: 'user' }] });
    const usage = (sent.response as { usage: { prompt_tokens: number; completion_tokens: number; cost: number } }).usage;
    expect(out.usage).toEqual({ inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, costUsd: usage.cost, costSource: 'provider' });
    expect(out.usage!.costUsd).toBeGreaterThan(0);
    expect(out.telemetry).toMatchObject({ attempts: 1, requestId: expect.any(String) });
    expect(res._meta?.['mcp-providers/telemetry']).toMatchObject({ providerId: 'openrouter', costUsd: usage.cost });
  });

  it('stores a generated image byte-identical to what the provider returned', async () => {
    const { res, out } = await call('generate_image', { prompt: 'A red square', aspect_ratio: '16:9' });
    expect(res.isError).toBeFalsy();
    expect(openrouter.requests[0].body).toMatchObject({ modalities: ['image', 'text'], image_config: { aspect_ratio: '16:9' } });
    const sentPng = openrouter.sentImages.at(-1)!;
    const [art] = out.artifacts;
    expect(art.mimeType).toBe('image/png');
    expect(art.sha256).toBe(sha256(sentPng));
    expect(await readFile(art.path)).toEqual(Buffer.from(sentPng));
    // A resource_link plus an inline preview (a JPEG, here as small as the original) naming the artifact.
    const types = res.content.map((c) => c.type);
    expect(types.filter((t) => t !== 'text')).toEqual(['resource_link', 'image']);
    expect(res.content.find((c) => c.type === 'image')).toMatchObject({ mimeType: 'image/jpeg', _meta: { 'mcp-providers/preview': { of: art.uri, width: 8, height: 8 } } });
  });
});

describe('the runner against real HTTP failures', () => {
  it('retries a 429 then 200 once: attempts 2', async () => {
    openrouter.enqueueFault({ status: 429, retryAfter: '0' });
    const { res, out } = await call('generate_text', { prompt: 'retry me' });
    expect(res.isError).toBeFalsy();
    expect(out.provider).toBe('openrouter');
    expect(out.telemetry.attempts).toBe(2);
    expect(out.telemetry.fallbackFrom).toBeUndefined();
    expect(openrouter.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(localServer.requests).toHaveLength(0);
  });

  it('falls back to the next text provider on a persistent 503: fallbackFrom set', async () => {
    openrouter.enqueueFault({ status: 503 }, { status: 503 }, { status: 503 });
    const { res, out } = await call('generate_text', { prompt: 'fall back', model: 'anthropic/claude-sonnet-4' });
    expect(res.isError).toBeFalsy();
    expect(out.provider).toBe('local');
    expect(out.model).toBe('llama3.2');
    expect(out.telemetry.fallbackFrom).toEqual(['openrouter']);
    expect(out.telemetry.attempts).toBe(4);
    expect(out.warnings?.join(' ')).toMatch(/"anthropic\/claude-sonnet-4" belongs to openrouter/);
    expect(openrouter.requests).toHaveLength(3);
    expect(localServer.requests).toHaveLength(1);
    expect(localServer.requests[0].body).toMatchObject({ model: 'llama3.2' });
  });

  it('returns a 400 as an error and calls no other provider', async () => {
    openrouter.enqueueFault({ status: 400, message: 'max_tokens is too large for this model' });
    const { res } = await call('generate_text', { prompt: 'bad request' });
    expect(res.isError).toBe(true);
    const text = (res.content[0] as { text: string }).text;
    expect(text).toMatch(/openrouter: invalid_request \(HTTP 400\)/);
    expect(text).toMatch(/max_tokens is too large/);
    expect(openrouter.requests).toHaveLength(1);
    expect(localServer.requests).toHaveLength(0);
    expect(JSON.stringify(res)).not.toContain(KEY);
    expect(s.stderr()).not.toContain(KEY);
  });
});

describe('an upstream that echoes the key as its request id', () => {
  it('leaves no trace of the key in the result, its telemetry or the artifact record', async () => {
    const key = 'sk-or-v1-echoed-secret-0123456789abcdef';
    const echo = await start({ basePath: '/api/v1', apiKey: key, responseId: key });
    const session = await stdioClient(testEnv({ OPENROUTER_API_KEY: key, OPENROUTER_BASE_URL: echo.url }));
    try {
      const res = await session.client.callTool({ name: 'generate_text', arguments: { prompt: 'hello', provider: 'openrouter' } });
      expect(res.isError).toBeFalsy();
      const all = JSON.stringify(res);
      expect(all).not.toContain(key);
      expect((res.structuredContent as { telemetry: { requestId?: string } }).telemetry.requestId).toBe('[redacted]');
      expect(session.stderr()).not.toContain(key);
    } finally {
      await session.close();
      await echo.close();
    }
  });
});
