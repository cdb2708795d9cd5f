/**
 * Offline text-to-speech with espeak-ng (the `text2wav` WebAssembly build).
 *
 * Every synthesis runs in its own worker thread (see espeak-worker.ts for why). This
 * module validates and sanitises input, maps TtsOptions to espeak arguments, supervises
 * the worker (abort, timeout, crash) and reads the WAV header for the duration.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { parseWav } from '../../util/wav.js';
import type { EspeakJob, EspeakReply } from './espeak-worker.js';

const PROVIDER_ID = 'local';
export const ESPEAK_MODEL = 'espeak-ng';

/** espeak-ng's normal rate, words per minute; TtsOptions.speed multiplies it. */
const BASE_WPM = 175;
/**
 * Accepted speed multipliers. We reject rather than clamp so the caller learns the
 * request was not honoured; 0.5..2.5 (87..437 wpm) sits inside espeak's 80..450 wpm.
 */
export const SPEED_RANGE = { min: 0.5, max: 2.5 } as const;
const PITCH_RANGE = { min: 0, max: 99 } as const;
const AMPLITUDE_RANGE = { min: 0, max: 200 } as const;
/**
 * Longest text accepted. The wasm build crashed on 100k characters in our tests (50k
 * worked). 10k characters of English is ~8 minutes of speech, ~22 MB of WAV; denser
 * scripts (e.g. Chinese) produce several times more.
 */
export const MAX_TEXT_CHARS = 10_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_CONCURRENT = 2;
/** How much worker output to keep, and to quote in an error message (stack frames dropped). */
const OUTPUT_KEEP_CHARS = 8_000;
const OUTPUT_QUOTE_CHARS = 400;

export interface LocalTtsConfig {
  /** Directory holding espeak-ng-data; defaults to the one shipped in the text2wav package. */
  dataDir?: string;
  /** Upper bound for one synthesis, ms; the call's own deadline can shorten it. */
  timeoutMs?: number;
  /** Workers allowed at once; further calls wait their turn (each worker holds a wasm heap). */
  maxConcurrent?: number;
}

/** The voices espeak-ng can actually load from the data directory. */
export interface VoiceCatalog {
  /** Lower-cased name or language code → the name passed to `-v`. */
  languages: Map<string, string>;
  /** Lower-cased variant name → file name under voices/!v (used as `voice+variant`). */
  variants: Map<string, string>;
}

/** Path of text2wav's bundled espeak-ng-data. */
export function defaultEspeakDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve('text2wav/package.json');
  return path.join(path.dirname(pkg), 'espeak-ng-data');
}

/**
 * Lists voices from espeak-ng-data: every file under lang/ is a voice named after the file
 * (e.g. `en-US`), and its `language` lines add the codes it answers to (e.g. `en-us`, `en`).
 * MBROLA voices (voices/mb) are left out: they need MBROLA databases text2wav does not ship.
 */
export async function loadVoiceCatalog(dataDir: string = defaultEspeakDataDir()): Promise<VoiceCatalog> {
  const languages = new Map<string, string>();
  const langDir = path.join(dataDir, 'lang');
  const entries = await readdir(langDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    languages.set(entry.name.toLowerCase(), entry.name);
    const content = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of content.matchAll(/^language\s+(\S+)/gm)) {
      const code = match[1];
      if (code !== undefined && !languages.has(code.toLowerCase())) languages.set(code.toLowerCase(), code);
    }
  }
  if (languages.size === 0) throw new Error(`No espeak-ng voices found under ${langDir}.`);

  const variants = new Map<string, string>();
  for (const entry of await readdir(path.join(dataDir, 'voices', '!v'), { withFileTypes: true })) {
    if (entry.isFile()) variants.set(entry.name.toLowerCase(), entry.name);
  }
  return { languages, variants };
}

function sample(names: Iterable<string>, preferred: readonly string[], count: number): string {
  const all = [...new Set(names)];
  const head = preferred.filter((n) => all.includes(n));
  const rest = all.filter((n) => !head.includes(n)).sort();
  return [...head, ...rest].slice(0, count).join(', ') + (all.length > count ? `, … (${all.length} in total)` : '');
}

function unknownVoice(what: string, catalog: VoiceCatalog): ProviderError {
  return invalidRequest(
    `${what} Use an espeak-ng voice such as ${sample(catalog.languages.keys(), ['en', 'en-us', 'en-gb', 'fr', 'de', 'es', 'it', 'pt', 'ru', 'zh', 'ja'], 16)}` +
      `; optionally add a variant as voice+variant (e.g. en+f3), variants: ${sample(catalog.variants.values(), ['f1', 'f2', 'f3', 'm1', 'm2', 'm3'], 12)}.`,
    PROVIDER_ID,
  );
}

/**
 * Resolves `voice` / `language` to an espeak `-v` value. `voice` wins; `language` is the
 * voice when none is given. A bare variant (`voice: "f3"`) is applied to the language.
 */
export function resolveVoice(catalog: VoiceCatalog, voice?: string, language?: string): string {
  const norm = (s: string | undefined): string | undefined => {
    const t = s?.trim().replace(/_/g, '-');
    return t ? t : undefined;
  };
  const v = norm(voice);
  const lang = norm(language);
  const lookupLanguage = (name: string, label: string): string => {
    const found = catalog.languages.get(name.toLowerCase());
    if (!found) throw unknownVoice(`Unknown ${label} "${name}".`, catalog);
    return found;
  };

  if (!v) return lookupLanguage(lang ?? 'en', 'language');

  const plus = v.indexOf('+');
  let base = plus === -1 ? v : v.slice(0, plus);
  let variantName = plus === -1 ? undefined : v.slice(plus + 1);
  if (variantName === undefined && !catalog.languages.has(base.toLowerCase()) && catalog.variants.has(base.toLowerCase())) {
    variantName = base;
    base = '';
  }
  const resolvedBase = base ? lookupLanguage(base, 'voice') : lookupLanguage(lang ?? 'en', 'language');
  if (variantName === undefined) return resolvedBase;
  const variant = catalog.variants.get(variantName.toLowerCase());
  if (!variant) throw unknownVoice(`Unknown voice variant "${variantName}".`, catalog);
  return `${resolvedBase}+${variant}`;
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

function numberInRange(value: unknown, name: string, range: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max) {
    throw invalidRequest(`${name} must be a number from ${range.min} to ${range.max}.`, PROVIDER_ID);
  }
  return value;
}

/** Validates the request and builds the worker job; throws invalid_request on bad input. */
export function buildJob(prompt: Prompt, options: TtsOptions, catalog: VoiceCatalog): { job: EspeakJob; warnings: string[] } {
  if (options.model !== undefined && options.model !== ESPEAK_MODEL) {
    throw invalidRequest(`Unknown model "${options.model}" for local text-to-speech; the only model is ${ESPEAK_MODEL}.`, PROVIDER_ID);
  }
  if (options.format !== 'wav') {
    // invalid_request (final) rather than unsupported: the caller asked for a format, and
    // falling back to a paid provider silently would not be what they chose 'local' for.
    throw invalidRequest(`Local text-to-speech produces WAV only; format "${String(options.format)}" is not available offline. Use format "wav".`, PROVIDER_ID);
  }
  const text = prompt.text.replace(/\0/g, '');
  if (text.trim() === '') throw invalidRequest('Text to speak is empty.', PROVIDER_ID);
  if (text.length > MAX_TEXT_CHARS) {
    throw invalidRequest(`Text is ${text.length} characters; local text-to-speech accepts at most ${MAX_TEXT_CHARS}.`, PROVIDER_ID);
  }

  const job: EspeakJob = { text: sanitizeText(text), voice: resolveVoice(catalog, options.voice, options.language) };
  if (options.speed !== undefined) {
    job.speedWpm = Math.round(BASE_WPM * numberInRange(options.speed, 'speed', SPEED_RANGE));
  }

  const warnings: string[] = [];
  for (const [key, value] of Object.entries(options.extra)) {
    if (key === 'pitch') job.pitch = numberInRange(value, 'extra.pitch', PITCH_RANGE);
    else if (key === 'amplitude') job.amplitude = numberInRange(value, 'extra.amplitude', AMPLITUDE_RANGE);
    else warnings.push(`Ignored extra option "${key}": local text-to-speech understands pitch and amplitude only.`);
  }
  if (prompt.attachments.length > 0) warnings.push('Attachments are ignored by local text-to-speech.');
  return { job, warnings };
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

/** The `local` provider's TtsService. Reads the voice list once, here. */
export async function createLocalTts(config: LocalTtsConfig = {}): Promise<TtsService> {
  const catalog = await loadVoiceCatalog(config.dataDir ?? defaultEspeakDataDir());
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const gate = new Gate(Math.max(1, config.maxConcurrent ?? DEFAULT_MAX_CONCURRENT));

  return {
    async generate(prompt: Prompt, options: TtsOptions, ctx: CallContext): Promise<GenerationResult> {
      const { job, warnings } = buildJob(prompt, options, catalog);
      if (ctx.signal.aborted) throw cancelled();
      const wav = await gate.run(ctx.signal, () =>
        runEspeak(job, { signal: ctx.signal, timeoutMs: Math.min(timeoutMs, ctx.deadline - Date.now()) }),
      );

      let durationSeconds: number;
      try {
        durationSeconds = parseWav(wav).durationSeconds;
      } catch (err) {
        throw new ProviderError({ code: 'internal', message: `espeak-ng returned unreadable audio: ${(err as Error).message}`, providerId: PROVIDER_ID, cause: err });
      }
      ctx.logger.debug({ voice: job.voice, bytes: wav.byteLength, durationSeconds }, 'local tts done');
      return {
        model: ESPEAK_MODEL,
        artifacts: [{ source: { kind: 'bytes', data: wav }, mimeType: 'audio/wav', durationSeconds }],
        ...(warnings.length > 0 ? { warnings } : {}),
        providerMetadata: { voice: job.voice, ...(job.speedWpm !== undefined ? { wordsPerMinute: job.speedWpm } : {}) },
      };
    },
  };
}
