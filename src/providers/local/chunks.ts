/**
 * Splits long text into pieces espeak-ng can speak one at a time. The WebAssembly build keeps its
 * whole WAV in memory and aborts once that passes about 100 MB ("RangeError: Invalid array
 * length"): 4,500 Chinese characters read by the English voice did it. Speaking at most
 * MAX_CHUNK_CHARS at a time keeps each synthesis far below that (1,000 such characters make about
 * 28 MB), whatever the script or voice.
 *
 * Pieces end where speech pauses anyway, so joining the audio sounds like one reading: sentence
 * ends first (Intl.Segmenter knows 。！？ as well as .!?), then clause marks (, ; : and the CJK
 * ，、；：), then whitespace, and only a run with none of these is cut by length.
 */

/** Longest piece handed to one espeak-ng run. */
export const MAX_CHUNK_CHARS = 1_000;

/** A letter or a digit in any script: without one there is nothing to speak. */
const SPEAKABLE = /[\p{L}\p{N}]/u;

export function hasSpeakableText(text: string): boolean {
  return SPEAKABLE.test(text);
}

const sentences = new Intl.Segmenter('und', { granularity: 'sentence' });
/** Finer split points, tried in order, each keeping its mark with the text before it. */
const SPLITS: readonly RegExp[] = [
  // Latin clause marks only before a space, so 10,000 and 3:30 stay whole.
  /(?<=[,;:])(?=\s)|(?<=[，、；：])/u,
  /(?<=\s)(?=\S)/u,
];

/**
 * The text in pieces of at most `maxChars`, in order, that join back into exactly the input.
 * Neighbouring parts are packed together, so a lone "…" rides along with the sentence next to it.
 */
export function splitForSpeech(text: string, maxChars: number = MAX_CHUNK_CHARS): string[] {
  if (text.length <= maxChars) return [text];
  const parts = [...sentences.segment(text)].flatMap(({ segment }) => splitLong(segment, maxChars, 0));
  return pack(parts, maxChars);
}

function splitLong(text: string, maxChars: number, level: number): string[] {
  if (text.length <= maxChars) return [text];
  const re = SPLITS[level];
  if (!re) return cutByLength(text, maxChars);
  const parts = text.split(re);
  if (parts.length === 1) return splitLong(text, maxChars, level + 1);
  return pack(parts.flatMap((p) => splitLong(p, maxChars, level + 1)), maxChars);
}

/** Cuts between code points, so a character outside the BMP (an emoji, rare Han) is never halved. */
function cutByLength(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let piece = '';
  for (const ch of text) {
    if (piece.length + ch.length > maxChars) {
      out.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece) out.push(piece);
  return out;
}

/** Joins neighbouring parts while they fit, so there are as few espeak runs (and joins) as possible. */
function pack(parts: readonly string[], maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const part of parts) {
    if (current && current.length + part.length > maxChars) {
      out.push(current);
      current = '';
    }
    current += part;
  }
  if (current) out.push(current);
  return out;
}
