/**
 * Small but real media files the emulators return: PNG, baseline JPEG, ISO-BMFF (MP4),
 * RIFF/WAVE and raw 16-bit little-endian PCM, plus the checksums GCS reports (CRC32C, MD5).
 * Everything is generated, deterministic and a few KB at most.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export type Rgb = readonly [number, number, number];

export const COLOURS: ReadonlyArray<Rgb> = [
  [220, 40, 40], [40, 160, 60], [40, 80, 220], [240, 200, 30], [160, 60, 200], [20, 180, 190],
];

export function colour(index: number): Rgb {
  return COLOURS[((index % COLOURS.length) + COLOURS.length) % COLOURS.length]!;
}

function u8(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---------------------------------------------------------------------------
// CRC-32 (PNG, zlib polynomial) and CRC-32C (Castagnoli, what GCS reports in x-goog-hash)
// ---------------------------------------------------------------------------

function crcTable(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

function crc(table: Uint32Array, bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
export const crc32 = (bytes: Uint8Array): number => crc(CRC32_TABLE, bytes);
export const crc32c = (bytes: Uint8Array): number => crc(CRC32C_TABLE, bytes);

/** GCS `x-goog-hash` / object resource form: base64 of the big-endian CRC32C. */
export function crc32cBase64(bytes: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(bytes), 0);
  return out.toString('base64');
}
export function md5Base64(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('base64');
}

// ---------------------------------------------------------------------------
// PNG: signature, IHDR, one IDAT (zlib of filter-0 scanlines), IEND.
// ---------------------------------------------------------------------------

function pngChunk(type: string, data: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return out;
}

/** A solid-colour 8-bit RGB PNG. */
export function encodePng(width: number, height: number, [r, g, b]: Rgb): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  const row = Buffer.alloc(1 + width * 3); // leading 0 = filter None
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return u8(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]));
}

/**
 * An 8-bit RGB PNG of a colour gradient with pseudo-random noise (deterministic per seed), so it
 * does not compress to almost nothing: 2048×2048 is ≈ 8 MB. For tests of large images.
 */
export function encodeNoisyPng(width: number, height: number, seed = 1): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 3));
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      // xorshift32
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const n = (state >>> 0) & 0x3f;
      const i = row + 1 + x * 3;
      raw[i] = ((x * 255) / width + n) & 0xff;
      raw[i + 1] = ((y * 255) / height + (n >> 1)) & 0xff;
      raw[i + 2] = (128 + n) & 0xff;
    }
  }
  return u8(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 1 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]));
}

// ---------------------------------------------------------------------------
// JPEG: a baseline (SOF0) JFIF of one solid colour, YCbCr 4:4:4, width/height multiples of 8.
// A solid 8x8 block has only a DC coefficient (DCT-II of a constant v is 8v at (0,0)), so every
// block is "DC difference + EOB". Quantisation table of all 1s; the DC Huffman table is the
// standard luminance DC table of ITU-T T.81 Annex K.3; the AC table holds the single symbol EOB.
// ---------------------------------------------------------------------------

const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]; // T.81 Table K.3
const DC_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALS = [0x00]; // EOB only

/** Canonical Huffman codes (T.81 Annex C) → symbol → [code, length]. */
function huffmanCodes(bits: number[], vals: number[]): Map<number, [number, number]> {
  const codes = new Map<number, [number, number]>();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < bits[len - 1]!; i++) codes.set(vals[k++]!, [code++, len]);
    code <<= 1;
  }
  return codes;
}
const DC_CODES = huffmanCodes(DC_BITS, DC_VALS);
const AC_CODES = huffmanCodes(AC_BITS, AC_VALS);

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00); // byte stuffing
    this.acc = 0;
    this.n = 0;
  }
  finish(): Buffer {
    while (this.n !== 0) this.write(1, 1); // pad with 1 bits
    return Buffer.from(this.bytes);
  }
}

function segment(marker: number, payload: number[] | Buffer): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** A solid-colour baseline JPEG; width and height are rounded up to multiples of 8. */
export function encodeJpeg(width: number, height: number, [r, g, b]: Rgb): Uint8Array {
  const w = Math.max(8, Math.ceil(width / 8) * 8);
  const h = Math.max(8, Math.ceil(height / 8) * 8);
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  const ycc = [ // JFIF RGB → YCbCr
    clamp(0.299 * r + 0.587 * g + 0.114 * b),
    clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128),
    clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128),
  ];
  const dc = ycc.map((v) => 8 * (v - 128)); // quantiser 1
  const bw = new BitWriter();
  const pred = [0, 0, 0];
  const blocks = (w / 8) * (h / 8);
  for (let blk = 0; blk < blocks; blk++) {
    for (let c = 0; c < 3; c++) {
      const diff = dc[c]! - pred[c]!;
      pred[c] = dc[c]!;
      const size = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      const [code, len] = DC_CODES.get(size)!;
      bw.write(code, len);
      if (size > 0) bw.write(diff > 0 ? diff : diff + (1 << size) - 1, size);
      const [eob, eobLen] = AC_CODES.get(0)!;
      bw.write(eob, eobLen);
    }
  }
  const sof = [8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0];
  return u8(Buffer.concat([
    Buffer.from([0xff, 0xd8]), // SOI
    segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // APP0 JFIF 1.01
    segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]), // DQT 0, 8-bit, all ones
    segment(0xc0, sof), // SOF0 baseline
    segment(0xc4, [0x00, ...DC_BITS, ...DC_VALS]), // DHT DC 0
    segment(0xc4, [0x10, ...AC_BITS, ...AC_VALS]), // DHT AC 0
    segment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]), // SOS
    bw.finish(),
    Buffer.from([0xff, 0xd9]), // EOI
  ]));
}

// ---------------------------------------------------------------------------
// MP4 (ISO/IEC 14496-12): ftyp, moov { mvhd }, mdat. Parses as ISO-BMFF; not a playable video.
// ---------------------------------------------------------------------------

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'ascii');
  return Buffer.concat([head, body]);
}

/** A minimal ISO-BMFF file; `index` goes into the mdat so each video differs. */
export function encodeMp4(index: number, durationSeconds = 1): Uint8Array {
  const ftyp = box('ftyp', Buffer.from('isom', 'ascii'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'ascii'));
  const mvhd = Buffer.alloc(100); // version 0, flags 0
  const timescale = 1000;
  mvhd.writeUInt32BE(timescale, 12);
  mvhd.writeUInt32BE(Math.round(durationSeconds * timescale), 16);
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  mvhd.writeUInt16BE(0x0100, 24); // volume 1.0
  const matrix = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
  matrix.forEach((v, i) => mvhd.writeUInt32BE(v, 36 + i * 4));
  mvhd.writeUInt32BE(1, 96); // next_track_ID
  const mdat = box('mdat', Buffer.from(`vertex-emulator video #${index}`, 'ascii'));
  return u8(Buffer.concat([ftyp, box('moov', box('mvhd', mvhd)), mdat]));
}

// ---------------------------------------------------------------------------
// PCM and WAV
// ---------------------------------------------------------------------------

/** 16-bit little-endian PCM sine tone, interleaved when channels > 1. */
export function pcmTone(opts: { sampleRate: number; channels: number; seconds: number; frequency: number }): Uint8Array {
  const frames = Math.round(opts.sampleRate * opts.seconds);
  const out = Buffer.alloc(frames * opts.channels * 2);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(Math.sin((2 * Math.PI * opts.frequency * i) / opts.sampleRate) * 0.3 * 32767);
    for (let c = 0; c < opts.channels; c++) out.writeInt16LE(v, (i * opts.channels + c) * 2);
  }
  return u8(out);
}

/** RIFF/WAVE with a canonical 44-byte header around 16-bit PCM. */
export function encodeWav(pcm: Uint8Array, sampleRate: number, channels: number): Uint8Array {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return u8(Buffer.concat([header, pcm]));
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
