/** concatWav: speech synthesised in pieces joined back into one playable WAV. */
import { describe, expect, it } from 'vitest';
import { concatWav, parseWav } from '../../src/util/wav.js';

/** A WAV with a LIST chunk before `data` (as many writers add), samples 0, 1, 2, … as 16-bit. */
function wav(samples: number[], opts: { sampleRate?: number; channels?: number; bits?: number; format?: number; list?: boolean } = {}): Uint8Array {
  const { sampleRate = 22050, channels = 1, bits = 16, format = 1, list = true } = opts;
  const bytesPer = bits / 8;
  const data = new Uint8Array(samples.length * bytesPer);
  const dv = new DataView(data.buffer);
  samples.forEach((s, i) => (bits === 16 ? dv.setInt16(i * 2, s, true) : dv.setUint8(i, s)));
  const listChunk = list ? [...'LIST'].map((c) => c.charCodeAt(0)).concat([4, 0, 0, 0], [...'INFO'].map((c) => c.charCodeAt(0))) : [];
  const out = new Uint8Array(12 + 24 + listChunk.length + 8 + data.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, t: string) => [...t].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  v.setUint32(4, out.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * bytesPer, true);
  v.setUint16(32, channels * bytesPer, true);
  v.setUint16(34, bits, true);
  out.set(listChunk, 36);
  const dataAt = 36 + listChunk.length;
  ascii(dataAt, 'data');
  v.setUint32(dataAt + 4, data.length, true);
  out.set(data, dataAt + 8);
  return out;
}

function samples(file: Uint8Array): number[] {
  const info = parseWav(file);
  const view = new DataView(file.buffer, file.byteOffset + info.dataOffset, info.dataBytes);
  return Array.from({ length: info.dataBytes / 2 }, (_, i) => view.getInt16(i * 2, true));
}

describe('concatWav', () => {
  it('puts every file\'s samples in order behind one canonical 44-byte header', () => {
    const { wav: joined, info } = concatWav([wav([1, 2, 3]), wav([4, 5]), wav([-6])]);
    expect(info).toMatchObject({ audioFormat: 1, sampleRate: 22050, channels: 1, bitsPerSample: 16, dataOffset: 44, dataBytes: 12 });
    expect(joined.byteLength).toBe(44 + 12);
    expect(new DataView(joined.buffer).getUint32(4, true)).toBe(joined.byteLength - 8);
    expect(samples(joined)).toEqual([1, 2, 3, 4, 5, -6]);
    expect(info.durationSeconds).toBeCloseTo(6 / 22050, 10);
  });

  it('returns a single file as it is', () => {
    const one = wav([7, 8]);
    expect(concatWav([one]).wav).toBe(one);
  });

  it('refuses files whose sample formats differ, and an empty list', () => {
    expect(() => concatWav([wav([1]), wav([2], { sampleRate: 24000 })])).toThrow(/file 2 is 24000 Hz.*cannot be joined/);
    expect(() => concatWav([wav([1]), wav([2, 3], { channels: 2 })])).toThrow(/cannot be joined/);
    expect(() => concatWav([])).toThrow(/No WAV files/);
    expect(() => concatWav([wav([1]), new Uint8Array(8)])).toThrow(/Not a WAV file/);
  });

  it('pads an odd data chunk so the RIFF stays word-aligned', () => {
    const { wav: joined, info } = concatWav([wav([1, 2, 3], { bits: 8, list: false }), wav([4, 5], { bits: 8, list: false })]);
    expect(info.dataBytes).toBe(5);
    expect(joined.byteLength).toBe(44 + 6);
    expect([...joined.subarray(44, 49)]).toEqual([1, 2, 3, 4, 5]);
  });
});
