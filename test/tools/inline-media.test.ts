/**
 * Previews, not floods (MCP_PROVIDERS_INLINE): by default an image comes back as its resource_link
 * plus a small JPEG preview (≤ 512 px), audio and video as links only; `full` inlines small images
 * and audio as they are; `none` inlines nothing. Through the real stack in process: the OpenRouter
 * adapter against its emulator serving a noisy 2048×2048 PNG, and offline espeak-ng for tts.
 */
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePreview, PREVIEW_MAX_PX } from '../../src/artifacts/preview.js';
import type { ArtifactRecord, ArtifactStore } from '../../src/artifacts/store.js';
import type { JobRecord } from '../../src/jobs/job-record.js';
import { loadConfig } from '../../src/registry/config.js';
import { inlineMedia } from '../../src/tools/answer-job.js';
import { PREVIEW_META_KEY } from '../../src/tools/to-tool-result.js';
import { start, type Emulator } from '../emulators/openai-compatible.js';
import { encodeNoisyPng } from '../emulators/media.js';
import { inProcessClient, testCore } from '../helpers/in-process.js';

const KEY = 'sk-or-v1-emulated-key-abcdef123456';
const REVISIONS = ['2025-11-25', '2026-07-28'] as const;
let openrouter: Emulator;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  openrouter = await start({ basePath: '/api/v1', apiKey: KEY, imageSize: 2048, imageNoise: true });
});
afterAll(async () => {
  await openrouter?.close();
});
afterEach(async () => {
  while (closers.length) await closers.pop()!().catch(() => undefined);
});

async function client(env: Record<string, string> = {}, revision: (typeof REVISIONS)[number] = '2025-11-25') {
  const c = await inProcessClient(testCore({ OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: openrouter.url, ...env }), revision);
  closers.push(c.close);
  return c.client;
}

type Artifact = { uri: string; mimeType: string; size: number; width?: number; height?: number };

function artifactsOf(res: CallToolResult): Artifact[] {
  return (res.structuredContent as { artifacts: Artifact[] }).artifacts;
}
const media = (res: CallToolResult) => res.content.filter((c): c is Extract<ContentBlock, { type: 'image' | 'audio' }> => c.type === 'image' || c.type === 'audio');

/** Width and height from a baseline or progressive JPEG's SOF segment. */
function jpegSize(jpeg: Buffer): { width: number; height: number } {
  expect(jpeg.readUInt16BE(0)).toBe(0xffd8);
  let at = 2;
  while (at < jpeg.length) {
    const marker = jpeg.readUInt16BE(at);
    const length = jpeg.readUInt16BE(at + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xffc0 && marker <= 0xffcf && ![0xffc4, 0xffc8, 0xffcc].includes(marker)) {
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  throw new Error('no SOF segment');
}

describe.each(REVISIONS)('an image at %s', (revision) => {
  it('comes back as a resource_link to the full 2048×2048 file plus an inline preview of at most 512 px under 100 kB', async () => {
    const c = await client({}, revision);
    const res = (await c.callTool({ name: 'generate_image', arguments: { prompt: 'noise', provider: 'openrouter' } })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    const [art] = artifactsOf(res);
    const original = openrouter.sentImages.at(-1)!;
    expect(art).toMatchObject({ mimeType: 'image/png', size: original.byteLength });
    expect(original.byteLength).toBeGreaterThan(4_000_000);

    const link = res.content.find((b) => b.type === 'resource_link');
    expect(link).toMatchObject({ type: 'resource_link', uri: art.uri, mimeType: 'image/png', size: art.size });
    const blocks = media(res);
    expect(blocks).toHaveLength(1);
    const preview = blocks[0]!;
    expect(preview).toMatchObject({ type: 'image', mimeType: 'image/jpeg', _meta: { [PREVIEW_META_KEY]: { of: art.uri, width: 512, height: 512 } } });
    const bytes = Buffer.from(preview.data, 'base64');
    expect(bytes.length).toBeLessThan(100_000);
    expect(jpegSize(bytes)).toEqual({ width: 512, height: 512 });
    const { default: sharp } = await import('sharp');
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 512, height: 512 });
    // The full file is still there behind the link.
    const read = await c.readResource({ uri: art.uri });
    expect(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64').equals(Buffer.from(original))).toBe(true);
    console.log(`preview of a ${original.byteLength}-byte 2048×2048 PNG: ${bytes.length} bytes JPEG (${preview.data.length} base64 chars)`);
  });
});

describe('MCP_PROVIDERS_INLINE', () => {
  it('tts: no inline audio by default; full inlines the small clip; none inlines nothing', async () => {
    const byDefault = (await (await client()).callTool({ name: 'tts', arguments: { text: 'Hello.' } })) as CallToolResult;
    expect(byDefault.isError).toBeFalsy();
    expect(artifactsOf(byDefault)[0]!.mimeType).toMatch(/^audio\//);
    expect(byDefault.content.map((b) => b.type)).toContain('resource_link');
    expect(media(byDefault)).toEqual([]);

    const full = (await (await client({ MCP_PROVIDERS_INLINE: 'full' })).callTool({ name: 'tts', arguments: { text: 'Hello.' } })) as CallToolResult;
    const [art] = artifactsOf(full);
    const audio = media(full);
    expect(audio).toHaveLength(1);
    expect(audio[0]).toMatchObject({ type: 'audio', mimeType: art!.mimeType });
    expect(Buffer.from(audio[0]!.data, 'base64').length).toBe(art!.size);
    console.log(`tts clip: ${art!.size} bytes, ${audio[0]!.data.length} base64 chars when inlined (full)`);

    const none = (await (await client({ MCP_PROVIDERS_INLINE: 'none' })).callTool({ name: 'tts', arguments: { text: 'Hello.' } })) as CallToolResult;
    expect(media(none)).toEqual([]);
    expect(none.content.map((b) => b.type)).toContain('resource_link');
  });

  it('none: an image gets its resource_link only', async () => {
    const res = (await (await client({ MCP_PROVIDERS_INLINE: 'none' })).callTool({ name: 'generate_image', arguments: { prompt: 'noise', provider: 'openrouter' } })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    expect(res.content.filter((b) => b.type !== 'text').map((b) => b.type)).toEqual(['resource_link']);
  });

  it('full: an image over MCP_PROVIDERS_INLINE_MAX_BYTES is a link only, as before', async () => {
    const res = (await (await client({ MCP_PROVIDERS_INLINE: 'full' })).callTool({ name: 'generate_image', arguments: { prompt: 'noise', provider: 'openrouter' } })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    expect(media(res)).toEqual([]);
  });

  it('the tool descriptions say how media comes back, per mode', async () => {
    const descriptions = async (env: Record<string, string>) =>
      Object.fromEntries((await (await client(env)).listTools()).tools.map((t) => [t.name, t.description ?? '']));
    const preview = await descriptions({});
    expect(preview.generate_image).toContain('small inline preview (at most 512 px); audio and video as links only');
    expect(preview.tts).toContain('audio and video as links only');
    expect(preview.generate_text).not.toContain('preview');
    expect((await descriptions({ MCP_PROVIDERS_INLINE: 'none' })).generate_image).toContain('resource links only');
  });

  it('refuses an unknown mode at start-up', () => {
    expect(() => loadConfig({ MCP_PROVIDERS_INLINE: 'thumbnails' })).toThrow(/MCP_PROVIDERS_INLINE must be preview, none or full, got "thumbnails"/);
  });
});

describe('previews', () => {
  it('keep transparency as WebP, never enlarge a small image, and skip a corrupt one without an error', async () => {
    const { default: sharp } = await import('sharp');
    const rgba = await sharp({ create: { width: 1000, height: 250, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
    expect(await makePreview(rgba)).toMatchObject({ mimeType: 'image/webp', width: PREVIEW_MAX_PX, height: 128 });
    expect(await makePreview(Buffer.from(encodeNoisyPng(64, 32)))).toMatchObject({ mimeType: 'image/jpeg', width: 64, height: 32 });
    expect(await makePreview(Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'))).toBeUndefined();

    // A corrupt image artifact in a finished job: no inline block, no error.
    const record = { id: 'a1', uri: 'artifact://a1', mimeType: 'image/png', size: 30 } as ArtifactRecord;
    const store = { read: async () => ({ record, data: Buffer.from('not an image at all, only text bytes') }) } as unknown as ArtifactStore;
    const job = { state: 'succeeded', result: { artifacts: [record] } } as unknown as JobRecord;
    expect((await inlineMedia({ config: loadConfig({}), store }, job)).size).toBe(0);
    expect((await inlineMedia({ config: loadConfig({ MCP_PROVIDERS_INLINE: 'full' }), store }, job)).get('a1')).toMatchObject({ mimeType: 'image/png' });
  });
});
