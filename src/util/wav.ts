/**
 * Minimal RIFF/WAVE header reader: enough to report format and duration of a WAV
 * produced by a provider without decoding samples.
 */

export interface WavInfo {
  /** 1 = integer PCM, 3 = IEEE float, 0xFFFE = WAVE_FORMAT_EXTENSIBLE, … */
  audioFormat: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Bytes per second of audio, from the fmt chunk (derived when the writer left it 0). */
  byteRate: number;
  /** Offset of the first sample byte within the input. */
  dataOffset: number;
  /** Sample bytes actually present (a declared size past the end of the input is clamped). */
  dataBytes: number;
  durationSeconds: number;
}

const ascii = (view: DataView, offset: number): string =>
  String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));

/**
 * Parses the header of a RIFF/WAVE file. Walks the chunk list rather than assuming
 * the canonical 44-byte layout, because writers add LIST/fact/JUNK chunks.
 * Throws an Error for anything that is not a readable RIFF/WAVE with fmt and data chunks.
 */
export function parseWav(bytes: Uint8Array): WavInfo {
  if (bytes.byteLength < 12) throw new Error('Not a WAV file: shorter than a RIFF header.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii(view, 0) !== 'RIFF' || ascii(view, 8) !== 'WAVE') throw new Error('Not a WAV file: missing RIFF/WAVE signature.');

  let fmt: Pick<WavInfo, 'audioFormat' | 'channels' | 'sampleRate' | 'byteRate' | 'bitsPerSample'> & { blockAlign: number } | undefined;
  let data: { offset: number; bytes: number } | undefined;

  let offset = 12;
  while (offset + 8 <= bytes.byteLength && !(fmt && data)) {
    const id = ascii(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const available = bytes.byteLength - body;
    if (id === 'fmt ') {
      if (size < 16 || available < 16) throw new Error('Malformed WAV: fmt chunk too short.');
      fmt = {
        audioFormat: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        byteRate: view.getUint32(body + 8, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      // Streaming writers put 0xFFFFFFFF here and never patch it; truncated files
      // declare more than they hold. Either way, count the bytes we actually have.
      data = { offset: body, bytes: Math.min(size, available) };
      if (size > available) break;
    }
    // Chunks are word-aligned: an odd size is followed by one pad byte.
    offset = body + size + (size & 1);
  }

  if (!fmt) throw new Error('Malformed WAV: no fmt chunk.');
  if (!data) throw new Error('Malformed WAV: no data chunk.');
  const byteRate = fmt.byteRate || fmt.sampleRate * (fmt.blockAlign || (fmt.channels * fmt.bitsPerSample) / 8);
  if (!(byteRate > 0)) throw new Error('Malformed WAV: byte rate is zero.');

  return {
    audioFormat: fmt.audioFormat,
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    bitsPerSample: fmt.bitsPerSample,
    byteRate,
    dataOffset: data.offset,
    dataBytes: data.bytes,
    durationSeconds: data.bytes / byteRate,
  };
}

/**
 * Joins WAV files of one sample format into one canonical WAV (a 44-byte header, then every
 * file's samples in order). Used to put speech synthesised in pieces back together. A single
 * file is returned as it is. Throws when the formats differ (the samples would play as noise)
 * or are not plain PCM/float, whose header this writer can state in 16 bytes of fmt.
 */
export function concatWav(files: readonly Uint8Array[]): { wav: Uint8Array; info: WavInfo } {
  const first = files[0];
  if (!first) throw new Error('No WAV files to join.');
  const infos = files.map((f) => parseWav(f));
  const head = infos[0]!;
  if (files.length === 1) return { wav: first, info: head };
  if (head.audioFormat !== 1 && head.audioFormat !== 3) throw new Error(`Cannot join WAV files of format ${head.audioFormat}: only PCM (1) and float (3).`);
  for (const [i, info] of infos.entries()) {
    if (info.audioFormat !== head.audioFormat || info.sampleRate !== head.sampleRate || info.channels !== head.channels || info.bitsPerSample !== head.bitsPerSample) {
      throw new Error(
        `WAV file ${i + 1} is ${info.sampleRate} Hz × ${info.channels} ch × ${info.bitsPerSample} bit (format ${info.audioFormat}), ` +
          `the first ${head.sampleRate} Hz × ${head.channels} ch × ${head.bitsPerSample} bit (format ${head.audioFormat}); they cannot be joined.`,
      );
    }
  }
  const blockAlign = (head.channels * head.bitsPerSample) / 8;
  if (!Number.isInteger(blockAlign) || blockAlign <= 0) throw new Error(`Cannot join WAV files of ${head.channels} ch × ${head.bitsPerSample} bit.`);
  // A partial sample frame at the end of one file would shift every sample after it.
  const sizes = infos.map((info) => info.dataBytes - (info.dataBytes % blockAlign));
  const dataBytes = sizes.reduce((a, b) => a + b, 0);
  const pad = dataBytes & 1;
  if (36 + dataBytes + pad > 0xffffffff) throw new Error('Joined WAV would pass the 4 GiB a RIFF header can state.');

  const wav = new Uint8Array(44 + dataBytes + pad);
  const view = new DataView(wav.buffer);
  const ascii = (offset: number, text: string) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes + pad, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, head.audioFormat, true);
  view.setUint16(22, head.channels, true);
  view.setUint32(24, head.sampleRate, true);
  view.setUint32(28, head.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, head.bitsPerSample, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  let at = 44;
  for (const [i, file] of files.entries()) {
    const info = infos[i]!;
    wav.set(file.subarray(info.dataOffset, info.dataOffset + sizes[i]!), at);
    at += sizes[i]!;
  }
  return { wav, info: parseWav(wav) };
}
