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
