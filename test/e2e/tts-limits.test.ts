/**
 * Honest limits for `tts`, through real MCP clients against our server: local's declared speed
 * range, text and speech limits and voices in list_providers; refusals that name them before any
 * synthesis; 6,000 CJK characters giving one WAV (or, read by the wrong voice, a clear error),
 * after which the server still serves. No credentials, so local is the only usable tts provider.
 */
import { readFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '../../src/util/wav.js';
import { inProcessClient, testCore } from '../helpers/in-process.js';
import { stdioClient, testEnv, type StdioSession } from '../helpers/server-process.js';

const REVISIONS = ['2025-11-25', '2026-07-28'] as const;

type Artifact = { uri: string; mimeType: string; size: number; path: string; durationSeconds?: number };
type LocalStatus = { id: string; models?: Record<string, Record<string, unknown>> };

const textOf = (res: Pick<CallToolResult, 'content'>): string => res.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
const errorMeta = (res: CallToolResult) => res._meta?.['mcp-providers/error'] as { code: string; providerId?: string } | undefined;

/** 6,000 characters of ordinary Mandarin prose, sentences ending in 。 and ！. */
const CJK_6000 = '我们今天去公园散步。天气很好，阳光明媚！'.repeat(300);

describe.each(REVISIONS)('tts limits, in process (%s)', (revision) => {
  let client: Awaited<ReturnType<typeof inProcessClient>>['client'];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client, close } = await inProcessClient(testCore(), revision));
  });
  afterAll(async () => close());

  const call = async (args: Record<string, unknown>) => (await client.callTool({ name: 'tts', arguments: args })) as CallToolResult;

  it('refuses speed 3 at local, naming its range, with nothing synthesised or stored', async () => {
    for (const args of [{ text: 'Too fast.', speed: 3 }, { text: 'Too fast.', speed: 3, provider: 'local' }]) {
      const res = await call(args);
      expect(res.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(res)).toMatch(/speed 3 is outside what local accepts \(0\.5–2\.5\)/);
      expect(errorMeta(res)).toMatchObject({ code: 'invalid_request', providerId: 'local' });
      expect(res.content.some((c) => c.type === 'resource_link')).toBe(false);
    }
    expect((await client.listResources()).resources).toEqual([]);
    // The tool's own range still applies to every provider.
    expect(textOf(await call({ text: 'hi', speed: 5 }))).toMatch(/speed.*at most 4/);
  });

  it('lists local\'s speed range, text and speech limits, formats and voices in list_providers', async () => {
    const res = (await client.callTool({ name: 'list_providers', arguments: { capability: 'tts' } })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    const providers = (res.structuredContent as { providers: LocalStatus[] }).providers;
    const espeak = providers.find((p) => p.id === 'local')?.models?.['espeak-ng'];
    expect(espeak).toMatchObject({ capability: 'tts', speed: { min: 0.5, max: 2.5 }, max_text_chars: 10_000, max_duration_seconds: 1800, formats: ['wav'] });
    const voices = espeak?.voices as string[];
    expect(voices).toEqual(expect.arrayContaining(['en', 'en-US', 'fr', 'de', 'cmn', 'yue', 'ja']));
    expect(voices.length).toBeGreaterThan(100);
    expect(espeak?.voice_variants).toEqual(expect.arrayContaining(['f3', 'm1', 'whisper']));
    // Agents that read only the text see it too.
    const text = textOf(res);
    expect(text).toMatch(/^ {2}tts espeak-ng: speed 0\.5–2\.5; max_text_chars 10000; max_duration_seconds 1800; formats wav; voices af, am, .*\bcmn\b.*; voice_variants .*\bf3\b/m);
  });

  it('refuses text with nothing to speak, as it refuses whitespace, and speaks any script', async () => {
    for (const nothing of ['...!?', '— –', '！？。']) {
      const res = await call({ text: nothing });
      expect(res.isError, nothing).toBe(true);
      expect(textOf(res)).toMatch(/text.*has nothing to speak: give at least one letter or digit/);
    }
    expect(textOf(await call({ text: '   ' }))).toMatch(/not only whitespace/);
    const chinese = await call({ text: '你好，世界。', language: 'cmn' });
    expect(chinese.isError, textOf(chinese)).toBeFalsy();
    expect((chinese.structuredContent as { artifacts: Artifact[] }).artifacts[0]?.mimeType).toBe('audio/wav');
  });

  it('refuses text over max_text_chars naming the limit', async () => {
    const res = await call({ text: 'a '.repeat(5_001) });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/Text is 10002 characters; local accepts at most 10000 \(max_text_chars\)/);
  });
});

describe('6,000 CJK characters, built server over stdio', () => {
  let s: StdioSession;
  beforeAll(async () => {
    s = await stdioClient(testEnv());
  });
  afterAll(async () => s?.close());

  const call = async (args: Record<string, unknown>) =>
    (await s.client.callTool({ name: 'tts', arguments: { wait_seconds: 120, ...args } }, undefined, { timeout: 120_000 })) as CallToolResult;

  it('with language cmn: one WAV of about 28 minutes, and the server serves the next call', async () => {
    const res = await call({ text: CJK_6000, language: 'cmn' });
    expect(res.isError, textOf(res)).toBeFalsy();
    const [artifact] = (res.structuredContent as { artifacts: Artifact[] }).artifacts;
    expect(artifact?.mimeType).toBe('audio/wav');
    const bytes = readFileSync(artifact!.path);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString('latin1')).toBe('WAVE');
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    const info = parseWav(bytes);
    // One continuous file from six pieces: canonical header, every byte accounted for.
    expect(info).toMatchObject({ audioFormat: 1, sampleRate: 22050, channels: 1, bitsPerSample: 16, dataOffset: 44, dataBytes: bytes.length - 44 });
    // Mandarin at espeak's normal rate is 3–4.5 characters a second; the declared cap is 1800 s.
    expect(info.durationSeconds).toBeGreaterThan(6000 / 4.5);
    expect(info.durationSeconds).toBeLessThanOrEqual(1800);
    expect(artifact!.durationSeconds).toBeCloseTo(info.durationSeconds, 3);

    const next = await call({ text: 'Still serving.' });
    expect(next.isError, textOf(next)).toBeFalsy();
  }, 180_000);

  it('without a language (read as "Chinese letter" each): a clear error naming max_duration_seconds, then the next call works', async () => {
    const res = await call({ text: CJK_6000 });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/invalid_request.*too long: local makes at most 1800 s \(30 minutes\) of speech per call \(max_duration_seconds\).*of 6000 characters already took \d+ s\. Shorten the text.*language \(cmn for Mandarin/);
    expect(s.stderr()).not.toMatch(/RangeError|Invalid array length/);

    const next = await call({ text: 'Still serving.' });
    expect(next.isError, textOf(next)).toBeFalsy();
  }, 180_000);
});
