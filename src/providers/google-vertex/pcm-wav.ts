/**
 * Gemini speech comes back as raw PCM (`audio/L16;codec=pcm;rate=24000`): 16-bit signed
 * little-endian samples with no header. WAV's PCM is also little-endian, so the bytes go
 * in unchanged behind a 44-byte RIFF header; only the rate (and channel count) come from
 * the MIME type. (RFC 2586's audio/L16 is big-endian, but Gemini's is not — swapping
 * would turn speech into noise.)
 */

export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

/** Rate and channels from `audio/L16;codec=pcm;rate=24000[;channels=1]`; undefined when not L16 PCM. */
export function parsePcmMimeType(mimeType: string): PcmFormat | undefined {
  const [type = '', ...params] = mimeType.split(';').map((p) => p.trim());
  if (!/^audio\/(l16|pcm)$/i.test(type)) return undefined;
  const param = (name: string) => params.find((p) => p.toLowerCase().startsWith(`${name}=`))?.split('=')[1];
  const sampleRate = Number(param('rate') ?? 24000);
  const channels = Number(param('channels') ?? 1);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || !Number.isInteger(channels) || channels <= 0) return undefined;
  return { sampleRate, channels };
}

/** A canonical 16-bit PCM WAV file around `pcm`, which is copied as is (no byte swapping). */
export function pcmToWav(pcm: Uint8Array, format: PcmFormat): { wav: Uint8Array; durationSeconds: number } {
  const blockAlign = format.channels * 2;
  // A partial sample frame at the end cannot be played; drop it rather than misalign the file.
  const dataBytes = pcm.byteLength - (pcm.byteLength % blockAlign);
  const wav = new Uint8Array(44 + dataBytes);
  const view = new DataView(wav.buffer);
  const ascii = (offset: number, text: string) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // integer PCM
  view.setUint16(22, format.channels, true);
  view.setUint32(24, format.sampleRate, true);
  view.setUint32(28, format.sampleRate * blockAlign, true); // byte rate
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  wav.set(pcm.subarray(0, dataBytes), 44);
  return { wav, durationSeconds: dataBytes / (format.sampleRate * blockAlign) };
}
