/**
 * Worker thread entry: runs one espeak-ng (text2wav, Emscripten/WebAssembly) synthesis
 * and posts the WAV back. One worker per call, then it exits.
 *
 * Why a worker: the Emscripten build prints to stdout, installs process-wide
 * uncaughtException/unhandledRejection handlers that rethrow/abort, and can throw from
 * async callbacks. Inside a worker all of that stays contained: the parent captures the
 * worker's stdout/stderr and sees a crash only as an 'error'/'exit' event.
 *
 * Constraints on this file: it is run both as compiled dist/…/espeak-worker.js and, in
 * tests from src, as the .ts file itself through Node's built-in type stripping. So it
 * imports only node: built-ins and uses only erasable TypeScript syntax (no enums,
 * no parameter properties, no relative imports that would need .js→.ts mapping).
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

/** Arguments for one synthesis; `text` must already be sanitised by the caller. */
export interface EspeakJob {
  text: string;
  /** espeak-ng `-v` value, e.g. `en-us` or `en+f3`. */
  voice?: string;
  /** Words per minute (`-s`). */
  speedWpm?: number;
  /** 0..99 (`-p`). */
  pitch?: number;
  /** 0..200 (`-a`). */
  amplitude?: number;
}

export type EspeakReply = { ok: true; wav: Uint8Array } | { ok: false; message: string };

type Text2Wav = (text: string, opts?: Record<string, string>) => Promise<Uint8Array>;

function isJob(value: unknown): value is EspeakJob {
  return typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('espeak-worker must run as a worker thread.');
  if (!isJob(workerData)) throw new Error('espeak-worker: invalid job.');
  const job = workerData;

  // The Emscripten loader tries WebAssembly.instantiateStreaming(fetch(<file path>)) when
  // fetch exists, which always fails on a path and prints a warning; without fetch it
  // reads the .wasm file directly. This realm only ever runs espeak, so removing it is safe.
  Reflect.deleteProperty(globalThis, 'fetch');

  const text2wav = createRequire(import.meta.url)('text2wav') as Text2Wav;
  // text2wav passes option values straight into argv, so they must be strings.
  const opts: Record<string, string> = {};
  if (job.voice !== undefined) opts.voice = job.voice;
  if (job.speedWpm !== undefined) opts.speed = String(Math.round(job.speedWpm));
  if (job.pitch !== undefined) opts.pitch = String(Math.round(job.pitch));
  if (job.amplitude !== undefined) opts.amplitude = String(Math.round(job.amplitude));

  const wav = await text2wav(job.text, opts);
  const reply: EspeakReply = { ok: true, wav };
  // Transfer rather than copy: the buffer can be tens of MB.
  port.postMessage(reply, [wav.buffer as ArrayBuffer]);
}

main().catch((err: unknown) => {
  const reply: EspeakReply = { ok: false, message: err instanceof Error ? err.message : String(err) };
  parentPort?.postMessage(reply);
});
