/**
 * Offline text-to-speech with espeak-ng (the `text2wav` WebAssembly build).
 *
 * Every synthesis runs in its own worker thread (see espeak-worker.ts for why). This
 * module validates input against the limits config/providers.yaml declares (models.ts),
 * maps TtsOptions to espeak arguments, speaks long text piece by piece (chunks.ts) and
 * joins the pieces into one WAV, and supervises each worker (abort, timeout, crash).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { concatWav, parseWav, type WavInfo } from '../../util/wav.js';
import { hasSpeakableText, splitForSpeech } from './chunks.js';
import type { EspeakJob, EspeakReply } from './espeak-worker.js';
import { BASE_WPM, ESPEAK_MODEL, type LocalTtsModel } from './models.js';
import { declaredVoices, defaultEspeakDataDir, loadVoiceCatalog, resolveVoice, type VoiceCatalog } from './voices.js';

export { ESPEAK_MODEL } from './models.js';
export { declaredVoices, defaultEspeakDataDir, loadVoiceCatalog, resolveVoice, type VoiceCatalog } from './voices.js';

const PROVIDER_ID = 'local';
/** espeak's own argv ranges for the extra options (not advertised limits: extra is provider-specific). */
const PITCH_RANGE = { min: 0, max: 99 } as const;
const AMPLITUDE_RANGE = { min: 0, max: 200 } as const;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_CONCURRENT = 2;
/** How much worker output to keep, and to quote in an error message (stack frames dropped). */
const OUTPUT_KEEP_CHARS = 8_000;
const OUTPUT_QUOTE_CHARS = 400;
/** What a refused speed's message tells the caller to do. */
const SPEED_HINT = "use a speed in that range (1 is normal), or a provider that takes it (list_providers shows each model's limits).";
/** Scripts the default English voice cannot read: it says "Chinese letter" / "Japanese letter" for every character. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const CJK_HINT =
  'The text has Chinese or Japanese characters and no voice or language was given, so the default English voice reads each one ' +
  'as "Chinese letter" or "Japanese letter"; pass language (cmn for Mandarin, yue for Cantonese, ja for Japanese).';

export interface LocalTtsConfig {
  /** What espeak-ng accepts, as config/providers.yaml declares it (parseLocalTtsModel). */
  model: LocalTtsModel;
  /** Directory holding espeak-ng-data; defaults to the one shipped in the text2wav package. */
  dataDir?: string;
  /** Upper bound for one call's synthesis (all its pieces), ms; the call's own deadline can shorten it. */
  timeoutMs?: number;
  /** Workers allowed at once; further calls wait their turn (each worker holds a wasm heap). */
  maxConcurrent?: number;
}

/**
 * Makes user text safe as espeak's argv: text2wav puts it first in argv and espeak-ng
 * parses argv with getopt, so text starting with '-' would be read as options (and crash
 * the wasm runtime). A leading space makes it a plain argument without changing speech.
 * NUL would truncate the C string.
 */
export function sanitizeText(text: string): string {
  return ' ' + text.replace(/\0/g, '');
}

/**
 * `value`, when it is a finite number in `range`; else invalid_request. With `hint` (what to do
 * instead), the message names the value and says the range is local's own.
 */
function numberInRange(value: unknown, name: string, range: { min: number; max: number }, hint?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max) {
    const message = hint === undefined ? `${name} must be a number from ${range.min} to ${range.max}.` : `${name} ${String(value)} is outside what local accepts (${range.min}–${range.max}); ${hint}`;
    throw invalidRequest(message, PROVIDER_ID);
  }
  return value;
}

/** What one call speaks: espeak's settings and the text in the pieces it is spoken in. */
export interface SpeechPlan {
  /** The job for each piece, less its text. */
  settings: Omit<EspeakJob, 'text'> & { voice: string };
  /** The text (NUL removed) in pieces of at most MAX_CHUNK_CHARS, not yet sanitised. */
  chunks: string[];
  /** Characters in the text, for progress and messages. */
  textChars: number;
}

/**
 * Validates the request against the model's declared limits and plans the synthesis; throws
 * invalid_request, naming the limit, on anything outside them. Nothing here runs espeak.
 */
export function buildJob(prompt: Prompt, options: TtsOptions, catalog: VoiceCatalog, model: LocalTtsModel): { plan: SpeechPlan; warnings: string[] } {
  if (options.model !== undefined && options.model !== ESPEAK_MODEL) {
    throw invalidRequest(`Unknown model "${options.model}" for local text-to-speech; the only model is ${ESPEAK_MODEL}.`, PROVIDER_ID);
  }
  if (!(model.formats as readonly string[]).includes(options.format)) {
    // invalid_request (final) rather than unsupported: the caller asked for a format, and
    // falling back to a paid provider silently would not be what they chose 'local' for.
    const formats = model.formats.map((f) => f.toUpperCase()).join(', ');
    throw invalidRequest(`Local text-to-speech produces ${formats} only; format "${String(options.format)}" is not available offline. Use format "${model.formats[0]}".`, PROVIDER_ID);
  }
  const text = prompt.text.replace(/\0/g, '');
  if (text.trim() === '') throw invalidRequest('Text to speak is empty.', PROVIDER_ID);
  if (!hasSpeakableText(text)) {
    throw invalidRequest('Text has nothing to speak: it needs at least one letter or digit (punctuation, symbols and whitespace alone make no speech).', PROVIDER_ID);
  }
  if (text.length > model.max_text_chars) {
    throw invalidRequest(`Text is ${text.length} characters; local accepts at most ${model.max_text_chars} (max_text_chars). Split it across several calls.`, PROVIDER_ID);
  }
  // Refused, not clamped, so the caller learns the request was not honoured. The range is local's
  // own, narrower than the tool's, so the message names whose range it is.
  const speed = options.speed === undefined ? undefined : numberInRange(options.speed, 'speed', model.speed, SPEED_HINT);

  const settings: SpeechPlan['settings'] = { voice: resolveVoice(catalog, options.voice, options.language) };
  if (speed !== undefined) settings.speedWpm = Math.round(BASE_WPM * speed);

  const warnings: string[] = [];
  for (const [key, value] of Object.entries(options.extra)) {
    if (key === 'pitch') settings.pitch = numberInRange(value, 'extra.pitch', PITCH_RANGE);
    else if (key === 'amplitude') settings.amplitude = numberInRange(value, 'extra.amplitude', AMPLITUDE_RANGE);
    else warnings.push(`Ignored extra option "${key}": local text-to-speech understands pitch and amplitude only.`);
  }
  if (prompt.attachments.length > 0) warnings.push('Attachments are ignored by local text-to-speech.');
  if (!options.voice?.trim() && !options.language?.trim() && CJK.test(text)) warnings.push(CJK_HINT);
  return { plan: { settings, chunks: splitForSpeech(text), textChars: text.length }, warnings };
}

/**
 * The worker script next to this module. Built: espeak-worker.js, emitted by tsc like any
 * other source into dist/providers/local/, and by esbuild as an entry point of its own into
 * dist/bundle/, beside the chunk this code ends up in (scripts/build.mjs). From src (vitest):
 * there is no .js sibling, so we run the .ts itself with Node's type stripping (default since
 * Node 22.18; the flag covers older 22.x). The worker is written to need nothing else (see
 * its header), which is what lets the same file run both ways without a build step in tests.
 *
 * execArgv is explicit so the worker does not inherit the parent's flags: some are
 * invalid for a worker (--input-type, -e) and --import preloads have no business there.
 */
function workerLocation(): { url: URL; execArgv: string[] } {
  const js = new URL('./espeak-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js, execArgv: [] };
  return { url: new URL('./espeak-worker.ts', import.meta.url), execArgv: ['--experimental-strip-types'] };
}

/** Keeps the last few hundred characters a worker printed, to quote in errors. */
class OutputTail {
  private text = '';
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-OUTPUT_KEEP_CHARS);
  }
  suffix(): string {
    const lines = this.text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at '));
    const quoted = [...new Set(lines)].join(' | ').slice(-OUTPUT_QUOTE_CHARS);
    return quoted ? ` Output: ${quoted}` : '';
  }
}

function cancelled(): ProviderError {
  return new ProviderError({ code: 'cancelled', message: 'Speech synthesis was cancelled.', providerId: PROVIDER_ID });
}

function isReply(value: unknown): value is EspeakReply {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

export interface RunEspeakOptions {
  signal?: AbortSignal;
  timeoutMs: number;
}

/**
 * Runs one synthesis in a fresh worker and resolves with the WAV bytes. The job is passed
 * through as is: callers must sanitise text first (buildJob does). The worker's stdout
 * and stderr are captured (never our stdout, which carries MCP in stdio mode) and copied
 * to our stderr. Abort → cancelled, timeout → timeout, crash or silent exit → internal;
 * in every case the worker is terminated.
 */
export function runEspeak(job: EspeakJob, opts: RunEspeakOptions): Promise<Uint8Array> {
  const { signal, timeoutMs } = opts;
  if (signal?.aborted) return Promise.reject(cancelled());
  if (!(timeoutMs > 0)) {
    return Promise.reject(new ProviderError({ code: 'timeout', message: 'No time left for speech synthesis before the deadline.', providerId: PROVIDER_ID }));
  }

  return new Promise<Uint8Array>((resolve, reject) => {
    const { url, execArgv } = workerLocation();
    let worker: Worker;
    try {
      worker = new Worker(url, { workerData: job, stdout: true, stderr: true, execArgv });
    } catch (err) {
      reject(new ProviderError({ code: 'internal', message: `Could not start the espeak-ng worker: ${(err as Error).message}`, providerId: PROVIDER_ID, cause: err }));
      return;
    }
    const tail = new OutputTail();
    const forward = (chunk: Buffer): void => {
      process.stderr.write(chunk);
      tail.push(chunk);
    };
    worker.stdout.on('data', forward);
    worker.stderr.on('data', forward);

    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const internal = (message: string, cause?: unknown): ProviderError =>
      new ProviderError({ code: 'internal', message: message + tail.suffix(), providerId: PROVIDER_ID, cause });

    const onAbort = (): void => settle(() => reject(cancelled()));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => settle(() => reject(new ProviderError({ code: 'timeout', message: `Speech synthesis took longer than ${timeoutMs} ms.`, providerId: PROVIDER_ID }))),
      timeoutMs,
    );

    worker.on('message', (reply: unknown) => {
      if (!isReply(reply) || (reply.ok && !(reply.wav instanceof Uint8Array))) {
        settle(() => reject(internal('espeak-ng worker sent an unexpected message.')));
      } else if (reply.ok) settle(() => resolve(reply.wav));
      else settle(() => reject(internal(`espeak-ng failed: ${reply.message}.`)));
    });
    // The Emscripten runtime throws strings (e.g. "abort({}) at Error\n<stack>"), not Errors.
    worker.on('error', (err: unknown) => {
      const detail = err instanceof Error ? err.message : String(err).split('\n', 1)[0];
      settle(() => reject(internal(`espeak-ng crashed: ${detail}.`, err)));
    });
    // espeak calls exit() on some bad input (e.g. an unknown voice) and never resolves.
    // Wait a tick so the worker's last output is read into the tail before quoting it.
    worker.on('exit', (code: number) => {
      setImmediate(() => settle(() => reject(internal(`espeak-ng stopped (exit code ${code}) without producing audio.`))));
    });
  });
}

/** Lets at most `limit` tasks run at once; waiting callers can give up via their signal. */
class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;
  // No parameter properties: tests load this file through Node's type stripping.
  constructor(limit: number) {
    this.limit = limit;
  }

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = this.waiting.indexOf(go);
          if (i !== -1) this.waiting.splice(i, 1);
          reject(cancelled());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(go);
      });
    } else {
      this.running++;
    }
    // A slot handed over by the finally below keeps `running` unchanged.
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

function readWav(bytes: Uint8Array, what: string): WavInfo {
  try {
    return parseWav(bytes);
  } catch (err) {
    throw new ProviderError({ code: 'internal', message: `espeak-ng returned unreadable audio${what}: ${(err as Error).message}`, providerId: PROVIDER_ID, cause: err });
  }
}

const minutes = (seconds: number): string => (seconds % 60 === 0 ? ` (${seconds / 60} minutes)` : '');

/**
 * Speaks the plan's pieces one after another (each in its own worker) and joins their audio.
 * Stops, with invalid_request, as soon as the speech passes max_duration_seconds: the caller
 * can shorten the text, and nothing past the limit is synthesised or held in memory.
 */
async function speak(plan: SpeechPlan, model: LocalTtsModel, until: number, budgetMs: number, ctx: CallContext, hint: string | undefined): Promise<{ wav: Uint8Array; info: WavInfo }> {
  const parts: Uint8Array[] = [];
  let seconds = 0;
  let done = 0;
  for (const [i, chunk] of plan.chunks.entries()) {
    // A piece of bare punctuation between two full ones would only add a blip of silence.
    if (hasSpeakableText(chunk)) {
      let bytes: Uint8Array;
      try {
        bytes = await runEspeak({ ...plan.settings, text: sanitizeText(chunk) }, { signal: ctx.signal, timeoutMs: until - Date.now() });
      } catch (err) {
        if (err instanceof ProviderError && err.code === 'timeout' && plan.chunks.length > 1) {
          throw new ProviderError({
            code: 'timeout',
            providerId: PROVIDER_ID,
            message: `Speech synthesis did not finish within ${budgetMs} ms or the call's deadline: ${done} of ${plan.textChars} characters were spoken.`,
            cause: err,
          });
        }
        throw err;
      }
      seconds += readWav(bytes, plan.chunks.length > 1 ? ` for piece ${i + 1} of ${plan.chunks.length}` : '').durationSeconds;
      parts.push(bytes);
    }
    done += chunk.length;
    if (seconds > model.max_duration_seconds) {
      throw invalidRequest(
        `The speech would be too long: local makes at most ${model.max_duration_seconds} s${minutes(model.max_duration_seconds)} of speech per call ` +
          `(max_duration_seconds), and the first ${done} of ${plan.textChars} characters already took ${Math.round(seconds)} s. ` +
          `Shorten the text or split it across several calls.${hint ? ` ${hint}` : ''}`,
        PROVIDER_ID,
      );
    }
    if (plan.chunks.length > 1) ctx.progress({ fraction: done / plan.textChars, message: `spoke ${done} of ${plan.textChars} characters` });
  }
  try {
    return concatWav(parts);
  } catch (err) {
    throw new ProviderError({ code: 'internal', message: `Could not join espeak-ng's audio: ${(err as Error).message}`, providerId: PROVIDER_ID, cause: err });
  }
}

/** The `local` provider's TtsService. Reads the voice list once, here, and checks the declared voices against it. */
export async function createLocalTts(config: LocalTtsConfig): Promise<TtsService> {
  const { model } = config;
  const voices = declaredVoices(await loadVoiceCatalog(config.dataDir ?? defaultEspeakDataDir()), model);
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const gate = new Gate(Math.max(1, config.maxConcurrent ?? DEFAULT_MAX_CONCURRENT));

  return {
    async generate(prompt: Prompt, options: TtsOptions, ctx: CallContext): Promise<GenerationResult> {
      const { plan, warnings } = buildJob(prompt, options, voices, model);
      if (ctx.signal.aborted) throw cancelled();
      // One slot for the whole call: its pieces run one after another, never beside each other.
      const { wav, info } = await gate.run(ctx.signal, () => {
        const until = Math.min(Date.now() + timeoutMs, ctx.deadline);
        return speak(plan, model, until, timeoutMs, ctx, warnings.includes(CJK_HINT) ? CJK_HINT : undefined);
      });
      const { durationSeconds } = info;
      ctx.logger.debug({ voice: plan.settings.voice, bytes: wav.byteLength, durationSeconds, pieces: plan.chunks.length }, 'local tts done');
      return {
        model: ESPEAK_MODEL,
        artifacts: [{ source: { kind: 'bytes', data: wav }, mimeType: 'audio/wav', durationSeconds }],
        ...(warnings.length > 0 ? { warnings } : {}),
        providerMetadata: {
          voice: plan.settings.voice,
          ...(plan.settings.speedWpm !== undefined ? { wordsPerMinute: plan.settings.speedWpm } : {}),
          ...(plan.chunks.length > 1 ? { pieces: plan.chunks.length } : {}),
        },
      };
    },
  };
}
