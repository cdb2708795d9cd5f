/**
 * The OpenRouter adapter, through the real `openai` SDK, against the loopback emulator.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterEnv, CallContext, ImageOptions, ProviderAdapter, QuickService, TextOptions } from '../../src/providers/base.js';
import openrouter from '../../src/providers/openrouter/index.js';
import { createLogger } from '../../src/util/logger.js';
import { PRICES, start, type Emulator, type RecordedRequest } from '../emulators/openai-compatible.js';
import { providerError } from '../helpers/provider-kit.js';

const KEY = 'sk-or-v1-test-0123456789abcdef';
const ARTIFACT_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

function makeEnv(baseUrl: string, overrides: Partial<Record<string, string>> = {}): AdapterEnv {
  return {
    info: {
      id: 'openrouter',
      displayName: 'OpenRouter',
      capabilities: ['text', 'image'],
      defaultModels: { text: 'openai/gpt-4o-mini', image: 'google/gemini-2.5-flash-image' },
      credentialModes: [{ name: 'api key', requires: [['OPENROUTER_API_KEY']] }],
      capabilityKeys: {}, models: {},
      priority: 20,
      featureFlag: 'ENABLE_PROVIDER_OPENROUTER',
      enabledByDefault: false,
     
      baseUrlEnv: 'OPENROUTER_BASE_URL',
      baseUrl,
    },
    env: { OPENROUTER_API_KEY: KEY, ...overrides },
    async resolveArtifact(uri) {
      if (uri !== 'artifact://img/1') throw new Error(`unknown artifact ${uri}`);
      return { data: ARTIFACT_BYTES, mimeType: 'image/png' };
    },
    appName: 'mcp-providers-test',
    appUrl: 'https://example.test/mcp-providers',
  };
}

function makeCtx(overrides: Partial<CallContext> = {}): CallContext & { progressCalls: Array<{ fraction?: number; message?: string }> } {
  const progressCalls: Array<{ fraction?: number; message?: string }> = [];
  return {
    signal: new AbortController().signal,
    progress: (p) => void progressCalls.push(p),
    logger: createLogger('silent'),
    deadline: Date.now() + 20_000,
    progressCalls,
    ...overrides,
  };
}

const textOpts = (o: Partial<TextOptions> = {}): TextOptions => ({ extra: {}, ...o });
const imageOpts = (o: Partial<ImageOptions> = {}): ImageOptions => ({ count: 1, extra: {}, ...o });

function body(req: RecordedRequest | undefined): Record<string, unknown> {
  expect(req?.body).toBeTypeOf('object');
  return req!.body as Record<string, unknown>;
}

describe('openrouter adapter', () => {
  let emu: Emulator;
  let adapter: ProviderAdapter;
  let text: QuickService<TextOptions>;
  let image: QuickService<ImageOptions>;

  beforeEach(async () => {
    emu = await start({ basePath: '/api/v1', apiKey: KEY });
    adapter = await openrouter.load(makeEnv(emu.url));
    text = adapter.text!;
    image = adapter.image as QuickService<ImageOptions>;
    expect('generate' in image).toBe(true);
  });
  afterEach(async () => {
    await emu.close();
  });

  it('registers as openrouter with text and image services', () => {
    expect(openrouter.id).toBe('openrouter');
    expect(Object.keys(adapter).sort()).toEqual(['image', 'text']);
  });

  describe('text', () => {
    it('sends the OpenAI wire format with auth, attribution, options, usage accounting and extra', async () => {
      const result = await text.generate(
        {
          system: 'Be brief.',
          text: 'describe these pictures',
          attachments: [
            { data: new Uint8Array([1, 2, 3]), mimeType: 'image/jpeg' },
            { uri: 'https://img.example.test/cat.png' },
            { uri: 'artifact://img/1' },
          ],
        },
        textOpts({ maxTokens: 64, temperature: 0.3, topP: 0.9, seed: 42, responseFormat: 'json', extra: { transforms: ['middle-out'] } }),
        makeCtx(),
      );

      expect(emu.requests).toHaveLength(1);
      const req = emu.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/api/v1/chat/completions');
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.headers['http-referer']).toBe('https://example.test/mcp-providers');
      expect(req.headers['x-title']).toBe('mcp-providers-test');
      const sent = body(req);
      expect(sent).toMatchObject({
        model: 'openai/gpt-4o-mini',
        max_tokens: 64,
        temperature: 0.3,
        top_p: 0.9,
        seed: 42,
        response_format: { type: 'json_object' },
        usage: { include: true },
        transforms: ['middle-out'],
        stream: false,
      });
      expect(sent.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'describe these pictures' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AQID' } },
            { type: 'image_url', image_url: { url: 'https://img.example.test/cat.png' } },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(ARTIFACT_BYTES).toString('base64')}` } },
          ],
        },
      ]);

      // The emulator answers JSON mode with {"echo": <last user text>}.
      expect(JSON.parse(result.text!)).toEqual({ echo: 'describe these pictures' });
      expect(result.model).toBe('openai/gpt-4o-mini');
      expect(result.artifacts).toEqual([]);
      expect(result.requestId).toBe('gen-1');
      expect(result.warnings).toBeUndefined();
      expect(result.providerMetadata).toMatchObject({ httpRequestId: req.requestId, upstreamProvider: 'Emulator', finishReason: 'stop' });
      const sentUsage = (req.response as { usage: { prompt_tokens: number; completion_tokens: number; cost: number } }).usage;
      expect(result.usage).toEqual({ inputTokens: sentUsage.prompt_tokens, outputTokens: sentUsage.completion_tokens, costUsd: sentUsage.cost });
      expect(result.usage!.costUsd).toBeCloseTo(
        sentUsage.prompt_tokens * PRICES.perInputToken + sentUsage.completion_tokens * PRICES.perOutputToken,
        12,
      );
    });

    it('sends plain string content without attachments and names the requested model', async () => {
      const result = await text.generate({ text: 'hello there', attachments: [] }, textOpts({ model: 'anthropic/claude-3.5-haiku' }), makeCtx());
      const sent = body(emu.requests[0]);
      expect(sent.messages).toEqual([{ role: 'user', content: 'hello there' }]);
      expect(sent.model).toBe('anthropic/claude-3.5-haiku');
      expect(sent).not.toHaveProperty('max_tokens');
      expect(sent).not.toHaveProperty('response_format');
      expect(result.text).toBe('echo: hello there');
      expect(result.model).toBe('anthropic/claude-3.5-haiku');
    });

    it('rejects audio/video attachments and unsupported URI schemes before any request', async () => {
      const audio = await providerError(() =>
        text.generate({ text: 'x', attachments: [{ data: new Uint8Array([1]), mimeType: 'audio/wav' }] }, textOpts(), makeCtx()),
      );
      expect(audio.code).toBe('invalid_request');
      expect(audio.message).toMatch(/only image attachments.*audio\/wav/);
      const video = await providerError(() =>
        text.generate({ text: 'x', attachments: [{ uri: 'https://v.example.test/a.mp4', mimeType: 'video/mp4' }] }, textOpts(), makeCtx()),
      );
      expect(video.code).toBe('invalid_request');
      const gs = await providerError(() => text.generate({ text: 'x', attachments: [{ uri: 'gs://bucket/a.png' }] }, textOpts(), makeCtx()));
      expect(gs.code).toBe('invalid_request');
      expect(gs.message).toContain('gs:');
      expect(emu.requests).toHaveLength(0);
    });

    it('passes image data: URIs through as they are and rejects non-image ones', async () => {
      await text.generate({ text: 'x', attachments: [{ uri: 'data:image/gif;base64,R0lGODlh' }] }, textOpts(), makeCtx());
      const content = (body(emu.requests[0]).messages as Array<{ content: unknown }>)[0]!.content;
      expect(content).toEqual([
        { type: 'text', text: 'x' },
        { type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lGODlh' } },
      ]);
      const err = await providerError(() => text.generate({ text: 'x', attachments: [{ uri: 'data:audio/wav;base64,UklG' }] }, textOpts(), makeCtx()));
      expect(err.code).toBe('invalid_request');
      expect(emu.requests).toHaveLength(1);
    });

    it('warns when the answer was cut off at the token limit', async () => {
      emu.enqueueFault({ reply: { finishReason: 'length', content: 'partial ans' } });
      const result = await text.generate({ text: 'long story', attachments: [] }, textOpts({ maxTokens: 2 }), makeCtx());
      expect(result.text).toBe('partial ans');
      expect(result.warnings).toEqual([expect.stringContaining('length')]);
    });

    it('maps a content-filtered empty answer to content_filtered (final)', async () => {
      emu.enqueueFault({ reply: { finishReason: 'content_filter', content: null } });
      const err = await providerError(() => text.generate({ text: 'bad', attachments: [] }, textOpts(), makeCtx()));
      expect(err.code).toBe('content_filtered');
      expect(err.final).toBe(true);
      expect(err.requestId).toBe('gen-1');
    });
  });

  describe('image', () => {
    it('asks for image+text modalities and aspect ratio, and returns the exact PNG bytes', async () => {
      const ctx = makeCtx();
      const result = await image.generate(
        { text: 'a lighthouse at dusk', attachments: [] },
        imageOpts({ aspectRatio: '16:9', negativePrompt: 'blurry, text' }),
        ctx,
      );

      expect(emu.requests).toHaveLength(1);
      const req = emu.requests[0]!;
      expect(req.path).toBe('/api/v1/chat/completions');
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.headers['x-title']).toBe('mcp-providers-test');
      const sent = body(req);
      expect(sent).toMatchObject({
        model: 'google/gemini-2.5-flash-image',
        modalities: ['image', 'text'],
        image_config: { aspect_ratio: '16:9' },
        usage: { include: true },
      });
      expect(sent.messages).toEqual([{ role: 'user', content: 'a lighthouse at dusk\n\nAvoid: blurry, text' }]);

      expect(result.artifacts).toHaveLength(1);
      const art = result.artifacts[0]!;
      expect(art.mimeType).toBe('image/png');
      expect(art.source.kind).toBe('bytes');
      expect(art.source.kind === 'bytes' && Buffer.from(art.source.data).equals(Buffer.from(emu.sentImages[0]!))).toBe(true);
      expect(art).toMatchObject({ width: 8, height: 8 });
      expect(result.model).toBe('google/gemini-2.5-flash-image');
      expect(result.requestId).toBe('gen-1');
      expect(result.text).toBe('Here is your image of a lighthouse at dusk\n\nAvoid: blurry, text');
      const cost = (req.response as { usage: { cost: number } }).usage.cost;
      expect(cost).toBeGreaterThan(PRICES.perImage);
      expect(result.usage?.costUsd).toBe(cost);
      expect(ctx.progressCalls.at(-1)).toMatchObject({ fraction: 1 });
    });

    it('makes further requests, one at a time, until count is reached and sums usage', async () => {
      await emu.close();
      emu = await start({ basePath: '/api/v1', apiKey: KEY, imagesPerResponse: 2 });
      const img = (await openrouter.load(makeEnv(emu.url))).image as QuickService<ImageOptions>;

      const result = await img.generate({ text: 'three cats', attachments: [] }, imageOpts({ count: 3, seed: 7 }), makeCtx());

      // 2 images in the first answer, 2 more in the second (one dropped): 2 requests for 3 images.
      expect(emu.requests).toHaveLength(2);
      expect(emu.requests.map((r) => body(r).seed)).toEqual([7, 8]);
      expect(result.artifacts).toHaveLength(3);
      result.artifacts.forEach((a, i) => {
        expect(a.source.kind === 'bytes' && Buffer.from(a.source.data).equals(Buffer.from(emu.sentImages[i]!))).toBe(true);
      });
      // Distinct images, not one repeated.
      expect(Buffer.from(emu.sentImages[0]!).equals(Buffer.from(emu.sentImages[1]!))).toBe(false);
      const usages = emu.requests.map((r) => (r.response as { usage: { prompt_tokens: number; completion_tokens: number; cost: number } }).usage);
      expect(result.usage?.inputTokens).toBe(usages[0]!.prompt_tokens + usages[1]!.prompt_tokens);
      expect(result.usage?.outputTokens).toBe(usages[0]!.completion_tokens + usages[1]!.completion_tokens);
      expect(result.usage?.costUsd).toBeCloseTo(usages[0]!.cost + usages[1]!.cost, 12);
      expect(result.providerMetadata).toMatchObject({ generationIds: ['gen-1', 'gen-2'] });
      expect(result.warnings).toBeUndefined();
    });

    it('keeps images already made when a later request fails, with a warning', async () => {
      emu.enqueueFault({ reply: {} }, { status: 503 });
      const result = await image.generate({ text: 'two dogs', attachments: [] }, imageOpts({ count: 2 }), makeCtx());
      expect(emu.requests).toHaveLength(2);
      expect(result.artifacts).toHaveLength(1);
      expect(result.warnings).toEqual([expect.stringMatching(/1 of 2 images.*503/)]);
    });

    it('merges extra.image_config with aspectRatio and passes other extra fields untouched', async () => {
      await image.generate(
        { text: 'x', attachments: [] },
        imageOpts({ aspectRatio: '1:1', extra: { image_config: { image_size: '2K' }, provider: { sort: 'price' } } }),
        makeCtx(),
      );
      expect(body(emu.requests[0])).toMatchObject({ image_config: { aspect_ratio: '1:1', image_size: '2K' }, provider: { sort: 'price' } });
    });

    it('reports what the model said when it returns no image', async () => {
      emu.enqueueFault({ reply: { images: 0, content: 'I can only describe images, not draw them.' } });
      const err = await providerError(() => image.generate({ text: 'a cat', attachments: [] }, imageOpts(), makeCtx()));
      expect(err.code).toBe('internal');
      expect(err.message).toContain('I can only describe images, not draw them.');
      expect(emu.requests).toHaveLength(1);
    });

    it('maps a content-filtered answer without images to content_filtered', async () => {
      emu.enqueueFault({ reply: { images: 0, content: '', finishReason: 'content_filter' } });
      const err = await providerError(() => image.generate({ text: 'a cat', attachments: [] }, imageOpts({ count: 2 }), makeCtx()));
      expect(err.code).toBe('content_filtered');
      expect(emu.requests).toHaveLength(1);
    });
  });

  describe('errors', () => {
    const hello = () => text.generate({ text: 'hello', attachments: [] }, textOpts(), makeCtx());

    it('429 → rate_limited, retryable, retryAfterMs from Retry-After, provider message and request id', async () => {
      emu.enqueueFault({ status: 429, retryAfter: '7', message: 'Rate limit exceeded: free-models-per-min' });
      const err = await providerError(hello);
      expect(err.code).toBe('rate_limited');
      expect(err.retryable).toBe(true);
      expect(err.retryAfterMs).toBe(7000);
      expect(err.status).toBe(429);
      expect(err.providerId).toBe('openrouter');
      expect(err.message).toContain('Rate limit exceeded: free-models-per-min');
      expect(err.requestId).toBe(emu.requests[0]!.requestId);
      expect(emu.requests).toHaveLength(1);
    });

    it('503 → unavailable after exactly one request (maxRetries 0)', async () => {
      emu.enqueueFault({ status: 503 });
      const err = await providerError(hello);
      expect(err.code).toBe('unavailable');
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('No available model provider');
      // An SDK retry would happen before the call rejects, so one request now means none.
      expect(emu.requests).toHaveLength(1);
    });

    it('400 → invalid_request, not retryable, final', async () => {
      emu.enqueueFault({ status: 400, message: 'max_tokens must be positive' });
      const err = await providerError(hello);
      expect(err.code).toBe('invalid_request');
      expect(err.retryable).toBe(false);
      expect(err.final).toBe(true);
      expect(err.message).toContain('max_tokens must be positive');
    });

    it('402 → quota; 403 with moderation metadata → content_filtered', async () => {
      emu.enqueueFault({ status: 402 }, { status: 403, message: 'Input flagged', metadata: { reasons: ['violence'], flagged_input: 'x' } });
      expect((await providerError(hello)).code).toBe('quota');
      expect((await providerError(hello)).code).toBe('content_filtered');
    });

    it('401 → auth, and the key never appears in the message', async () => {
      const wrong = await openrouter.load(makeEnv(emu.url, { OPENROUTER_API_KEY: 'sk-or-v1-wrong-key-999999' }));
      const err = await providerError(() => wrong.text!.generate({ text: 'hi', attachments: [] }, textOpts(), makeCtx()));
      expect(err.code).toBe('auth');
      expect(err.status).toBe(401);
      expect(err.message).toContain('No auth credentials found');
      expect(err.message).not.toContain('sk-or-v1-wrong-key-999999');
      expect(emu.requests[0]!.headers.authorization).toBe('Bearer sk-or-v1-wrong-key-999999');
    });

    it('scrubs the API key if the provider echoes it back', async () => {
      emu.enqueueFault({ status: 400, message: `Key ${KEY} is malformed (Authorization: Bearer ${KEY})` });
      const err = await providerError(hello);
      expect(err.message).not.toContain(KEY);
      expect(err.message).toContain('[redacted]');
    });

    it('a malformed JSON body → unavailable (retryable)', async () => {
      emu.enqueueFault({ malformed: true });
      const err = await providerError(hello);
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/not valid JSON/);
    });

    it('abort via AbortController → cancelled, and the HTTP request is torn down', async () => {
      emu.enqueueFault({ delayMs: 15_000 });
      const controller = new AbortController();
      const pending = text.generate({ text: 'slow', attachments: [] }, textOpts(), makeCtx({ signal: controller.signal }));
      await emu.waitForRequests(1);
      controller.abort();
      const err = await providerError(() => pending);
      expect(err.code).toBe('cancelled');
      expect(err.final).toBe(true);
      await expect.poll(() => emu.requests[0]!.clientAborted).toBe(true);
    });

    it('a deadline that passes mid-request → timeout', async () => {
      emu.enqueueFault({ delayMs: 15_000 });
      const err = await providerError(() => text.generate({ text: 'slow', attachments: [] }, textOpts(), makeCtx({ deadline: Date.now() + 300 })));
      expect(err.code).toBe('timeout');
      expect(err.retryable).toBe(true);
      expect(emu.requests).toHaveLength(1);
    });

    it('a deadline already past → timeout without a request', async () => {
      const err = await providerError(() => text.generate({ text: 'late', attachments: [] }, textOpts(), makeCtx({ deadline: Date.now() - 1 })));
      expect(err.code).toBe('timeout');
      expect(emu.requests).toHaveLength(0);
    });

    it('a server that is gone → unavailable', async () => {
      await emu.close();
      const err = await providerError(hello);
      expect(err.code).toBe('unavailable');
      emu = await start({ basePath: '/api/v1', apiKey: KEY }); // for afterEach
    });
  });

  it('load() without OPENROUTER_API_KEY → auth error', async () => {
    const env = makeEnv(emu.url, {});
    const err = await providerError(() => openrouter.load({ ...env, env: {} }));
    expect(err.code).toBe('auth');
    expect(err.message).toContain('OPENROUTER_API_KEY');
  });
});

describe('emulator PNG', () => {
  it('is a valid PNG: signature, chunk CRCs (checked with zlib.crc32), IHDR and inflatable IDAT', async () => {
    const emu = await start({ imageSize: 4 });
    try {
      const res = await fetch(`${emu.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], modalities: ['image', 'text'] }),
      });
      expect(res.headers.get('x-request-id')).toBe(emu.requests[0]!.requestId);
      const json = (await res.json()) as { choices: Array<{ message: { images: Array<{ image_url: { url: string } }> } }> };
      const url = json.choices[0]!.message.images[0]!.image_url.url;
      expect(url.startsWith('data:image/png;base64,')).toBe(true);
      const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
      expect(png.equals(Buffer.from(emu.sentImages[0]!))).toBe(true);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const types: string[] = [];
      let idat = Buffer.alloc(0);
      for (let off = 8; off < png.length; ) {
        const len = png.readUInt32BE(off);
        const typeAndData = png.subarray(off + 4, off + 8 + len);
        expect(png.readUInt32BE(off + 8 + len)).toBe(zlibCrc32(typeAndData));
        const type = typeAndData.subarray(0, 4).toString('ascii');
        types.push(type);
        if (type === 'IHDR') expect([typeAndData.readUInt32BE(4), typeAndData.readUInt32BE(8)]).toEqual([4, 4]);
        if (type === 'IDAT') idat = Buffer.concat([idat, typeAndData.subarray(4)]);
        off += 12 + len;
      }
      expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect(inflateSync(idat).length).toBe(4 * (1 + 4 * 3));
    } finally {
      await emu.close();
    }
  });
});

describe('start-up cost', () => {
  it('no adapter source value-imports the openai SDK (type-only imports and load() only)', () => {
    const root = fileURLToPath(new URL('../../src/providers', import.meta.url));
    const files = [
      ...readdirSync(join(root, 'openrouter')).map((f) => join(root, 'openrouter', f)),
      join(root, 'openai-compatible/chat.ts'),
      join(root, 'local/text.ts'),
    ].filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const valueImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*from\s+'openai[^']*'/gm)];
      expect(valueImports, file).toEqual([]);
    }
    expect(readFileSync(join(root, 'openrouter/index.ts'), 'utf8')).toMatch(/await import\('openai'\)/);
  });
});

