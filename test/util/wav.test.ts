import { describe, expect, it } from 'vitest';
import { parseWav } from '../../src/util/wav.js';

interface Chunk {
  id: string;
  body: Uint8Array;
  /** Size to write in the header when it should differ from body.length. */
  declaredSize?: number;
}

function fmtBody(o: { format?: number; channels: number; sampleRate: number; bits: number; byteRate?: number }): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  const blockAlign = (o.channels * o.bits) / 8;
  v.setUint16(0, o.format ?? 1, true);
  v.setUint16(2, o.channels, true);
  v.setUint32(4, o.sampleRate, true);
  v.setUint32(8, o.byteRate ?? o.sampleRate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, o.bits, true);
  return body;
}

/** Builds a RIFF/WAVE file from chunks, with word-alignment padding. */
function riff(chunks: Chunk[], form = 'WAVE', magic = 'RIFF'): Uint8Array {
  const parts: number[] = [];
  const pushStr = (s: string): void => { for (const c of s) parts.push(c.charCodeAt(0)); };
  const pushU32 = (n: number): void => { parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff); };
  pushStr(form);
  for (const c of chunks) {
    pushStr(c.id);
    pushU32(c.declaredSize ?? c.body.length);
    for (const b of c.body) parts.push(b);
    if (c.body.length % 2 === 1) parts.push(0);
  }
  const out = new Uint8Array(8 + parts.length);
  out.set([...magic].map((c) => c.charCodeAt(0)), 0);
  new DataView(out.buffer).setUint32(4, parts.length, true);
  out.set(parts, 8);
  return out;
}

describe('parseWav', () => {
  it('reads a canonical 44-byte-header PCM file', () => {
    // 22050 Hz mono 16-bit: 44100 bytes per second; 22050 bytes = 0.5 s.
    const wav = riff([{ id: 'fmt ', body: fmtBody({ channels: 1, sampleRate: 22050, bits: 16 }) }, { id: 'data', body: new Uint8Array(22050) }]);
    const info = parseWav(wav);
    expect(info).toMatchObject({ audioFormat: 1, sampleRate: 22050, channels: 1, bitsPerSample: 16, byteRate: 44100, dataOffset: 44, dataBytes: 22050 });
    expect(info.durationSeconds).toBeCloseTo(0.5, 10);
  });

  it('walks past extra chunks, including an odd-sized one with a pad byte', () => {
    const wav = riff([
      { id: 'LIST', body: new Uint8Array(5) },
      { id: 'fmt ', body: fmtBody({ channels: 2, sampleRate: 48000, bits: 16 }) },
      { id: 'fact', body: new Uint8Array(4) },
      { id: 'data', body: new Uint8Array(192_000) },
    ]);
    const info = parseWav(wav);
    expect(info.channels).toBe(2);
    expect(info.sampleRate).toBe(48000);
    expect(info.dataOffset).toBe(12 + (8 + 6) + (8 + 16) + (8 + 4) + 8);
    expect(info.durationSeconds).toBeCloseTo(1, 10);
  });

  it('reads a view into a larger buffer (non-zero byteOffset)', () => {
    const wav = riff([{ id: 'fmt ', body: fmtBody({ channels: 1, sampleRate: 8000, bits: 8 }) }, { id: 'data', body: new Uint8Array(4000) }]);
    const big = new Uint8Array(wav.length + 10);
    big.set(wav, 7);
    expect(parseWav(big.subarray(7, 7 + wav.length)).durationSeconds).toBeCloseTo(0.5, 10);
  });

  it('clamps a streaming-style data size (0xFFFFFFFF) to the bytes present', () => {
    const wav = riff([{ id: 'fmt ', body: fmtBody({ channels: 1, sampleRate: 16000, bits: 16 }) }, { id: 'data', body: new Uint8Array(8000), declaredSize: 0xffffffff }]);
    const info = parseWav(wav);
    expect(info.dataBytes).toBe(8000);
    expect(info.durationSeconds).toBeCloseTo(0.25, 10);
  });

  it('derives the byte rate when the writer left it 0', () => {
    const wav = riff([{ id: 'fmt ', body: fmtBody({ channels: 1, sampleRate: 16000, bits: 16, byteRate: 0 }) }, { id: 'data', body: new Uint8Array(32000) }]);
    expect(parseWav(wav).durationSeconds).toBeCloseTo(1, 10);
  });

  it('rejects non-RIFF and non-WAVE input', () => {
    const fmt = { id: 'fmt ', body: fmtBody({ channels: 1, sampleRate: 8000, bits: 8 }) };
    const data = { id: 'data', body: new Uint8Array(8) };
    expect(() => parseWav(new TextEncoder().encode('ID3\u0003 this is an mp3'))).toThrow(/RIFF\/WAVE/);
    expect(() => parseWav(riff([fmt, data], 'AVI '))).toThrow(/RIFF\/WAVE/);
    expect(() => parseWav(riff([fmt, data], 'WAVE', 'RIFX'))).toThrow(/RIFF\/WAVE/);
    expect(() => parseWav(new Uint8Array(4))).toThrow(/shorter/);
  });

  it('rejects a WAVE without fmt or data chunks', () => {
    expect(() => parseWav(riff([{ id: 'data', body: new Uint8Array(8) }]))).toThrow(/no fmt/);
    expect(() => parseWav(riff([{ id: 'fmt ', body: fmtBody({ channels: 1, sampleRate: 8000, bits: 8 }) }]))).toThrow(/no data/);
    expect(() => parseWav(riff([{ id: 'fmt ', body: new Uint8Array(8) }, { id: 'data', body: new Uint8Array(8) }]))).toThrow(/fmt chunk too short/);
  });
});
