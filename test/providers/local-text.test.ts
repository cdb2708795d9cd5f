/**
 * Local text (any OpenAI-compatible server) through the real `openai` SDK, against the emulator.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterEnv, CallContext, TextOptions } from '../../src/providers/base.js';
import { createLocalText } from '../../src/providers/local/text.js';
import { createLogger } from '../../src/util/logger.js';
import { start, type Emulator } from '../emulators/openai-compatible.js';
import { providerError } from '../helpers/provider-kit.js';

function makeEnv(vars: Record<string, string | undefined>): AdapterEnv {
  return {
    info: {
      id: 'local',
      displayName: 'Local (offline)',
      capabilities: ['text', 'tts'],
      defaultModels: { text: 'llama3.2', tts: 'espeak-ng' },
      credentialModes: [],
      capabilityKeys: { text: [['LOCAL_OPENAI_BASE_URL']] },
      models: {},
      priority: 100,
      featureFlag: 'ENABLE_PROVIDER_LOCAL',
      enabledByDefault: true,
     
      baseUrlEnv: 'LOCAL_BASE_URL',
    },
    env: vars,
    async resolveArtifact(uri) {
      throw new Error(`no artifacts in this test: ${uri}`);
    },
    appName: 'mcp-providers-test',
    appUrl: 'https://example.test/mcp-providers',
  };
}

function makeCtx(overrides: Partial<CallContext> = {}): CallContext {
  return {
    signal: new AbortController().signal,
    progress: () => {},
    logger: createLogger('silent'),
    deadline: Date.now() + 20_000,
    ...overrides,
  };
}

const opts = (o: Partial<TextOptions> = {}): TextOptions => ({ extra: {}, ...o });

describe('local text', () => {
  let emu: Emulator;

  beforeEach(async () => {
    emu = await start({ basePath: '/v1' });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('calls <LOCAL_OPENAI_BASE_URL>/chat/completions with the default model and a placeholder key', async () => {
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: emu.url }), OpenAI);
    const result = await text.generate(
      { system: 'You are terse.', text: 'what is 2+2', attachments: [] },
      opts({ maxTokens: 16, temperature: 0, topP: 0.5, seed: 3 }),
      makeCtx(),
    );

    expect(emu.requests).toHaveLength(1);
    const req = emu.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer not-needed');
    // No OpenRouter attribution or usage accounting for a local server.
    expect(req.headers['x-title']).toBeUndefined();
    expect(req.headers['http-referer']).toBeUndefined();
    const body = req.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'llama3.2', max_tokens: 16, temperature: 0, top_p: 0.5, seed: 3, stream: false });
    expect(body).not.toHaveProperty('usage');
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'what is 2+2' },
    ]);

    expect(result.text).toBe('echo: what is 2+2');
    expect(result.model).toBe('llama3.2');
    const sent = (req.response as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    expect(result.usage).toEqual({ inputTokens: sent.prompt_tokens, outputTokens: sent.completion_tokens, costUsd: 0 });
    expect(result.requestId).toBe('gen-1');
    expect(result.providerMetadata).toMatchObject({ httpRequestId: req.requestId });
  });

  it('sends LOCAL_OPENAI_API_KEY when set, honours model and JSON mode', async () => {
    await emu.close();
    emu = await start({ basePath: '/v1', apiKey: 'lm-studio-key-123' });
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: emu.url, LOCAL_OPENAI_API_KEY: 'lm-studio-key-123' }), OpenAI);
    const result = await text.generate({ text: 'list colours', attachments: [] }, opts({ model: 'qwen2.5:7b', responseFormat: 'json' }), makeCtx());
    const req = emu.requests[0]!;
    expect(req.headers.authorization).toBe('Bearer lm-studio-key-123');
    expect(req.body).toMatchObject({ model: 'qwen2.5:7b', response_format: { type: 'json_object' } });
    expect(JSON.parse(result.text!)).toEqual({ echo: 'list colours' });
  });

  it('creates without LOCAL_OPENAI_BASE_URL and fails at generate with an auth error naming it', async () => {
    const text = createLocalText(makeEnv({}), OpenAI);
    const err = await providerError(() => text.generate({ text: 'hi', attachments: [] }, opts(), makeCtx()));
    expect(err.code).toBe('auth');
    expect(err.providerId).toBe('local');
    expect(err.message).toContain('LOCAL_OPENAI_BASE_URL');
  });

  it('a server that is not running → unavailable (retryable), so the runner can fall back', async () => {
    const url = emu.url;
    await emu.close();
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: url }), OpenAI);
    const err = await providerError(() => text.generate({ text: 'hi', attachments: [] }, opts(), makeCtx()));
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
    emu = await start({ basePath: '/v1' }); // for afterEach
  });

  it('a model the server lacks (404) → not_found with the server message', async () => {
    emu.enqueueFault({ status: 404, message: 'model "llama9" not found, try pulling it first' });
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: emu.url }), OpenAI);
    const err = await providerError(() => text.generate({ text: 'hi', attachments: [] }, opts({ model: 'llama9' }), makeCtx()));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('try pulling it first');
  });

  it('429 → rate_limited with retryAfterMs; 503 → one request only', async () => {
    emu.enqueueFault({ status: 429, retryAfter: '2' }, { status: 503 });
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: emu.url }), OpenAI);
    const limited = await providerError(() => text.generate({ text: 'a', attachments: [] }, opts(), makeCtx()));
    expect(limited.code).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(2000);
    const down = await providerError(() => text.generate({ text: 'b', attachments: [] }, opts(), makeCtx()));
    expect(down.code).toBe('unavailable');
    expect(emu.requests).toHaveLength(2);
  });

  it('abort → cancelled and the emulator sees the connection dropped', async () => {
    emu.enqueueFault({ delayMs: 15_000 });
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: emu.url }), OpenAI);
    const controller = new AbortController();
    const pending = text.generate({ text: 'slow', attachments: [] }, opts(), makeCtx({ signal: controller.signal }));
    await emu.waitForRequests(1);
    controller.abort();
    const err = await providerError(() => pending);
    expect(err.code).toBe('cancelled');
    await expect.poll(() => emu.requests[0]!.clientAborted).toBe(true);
  });

  it('rejects non-image attachments before calling the server', async () => {
    const text = createLocalText(makeEnv({ LOCAL_OPENAI_BASE_URL: emu.url }), OpenAI);
    const err = await providerError(() =>
      text.generate({ text: 'hi', attachments: [{ data: new Uint8Array([0]), mimeType: 'video/mp4' }] }, opts(), makeCtx()),
    );
    expect(err.code).toBe('invalid_request');
    expect(err.message).toContain('video/mp4');
    expect(emu.requests).toHaveLength(0);
  });
});
