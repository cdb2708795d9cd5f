import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import local from '../../src/providers/local/index.js';
import { createLocalTts, loadVoiceCatalog, resolveVoice, runEspeak, sanitizeText, type VoiceCatalog } from '../../src/providers/local/tts.js';
import { createLogger } from '../../src/util/logger.js';
import { parseWav } from '../../src/util/wav.js';

const logger = createLogger('silent');

function ctx(overrides: Partial<CallContext> = {}): CallContext {
  return { signal: new AbortController().signal, progress: () => {}, logger, deadline: Date.now() + 30_000, ...overrides };
}
const prompt = (text: string): Prompt => ({ text, attachments: [] });
const opts = (o: Partial<TtsOptions> = {}): TtsOptions => ({ format: 'wav', extra: {}, ...o });

function audio(result: GenerationResult): { data: Uint8Array; durationSeconds: number } {
  const artifact = result.artifacts[0];
  if (!artifact || artifact.source.kind !== 'bytes' || artifact.durationSeconds === undefined) throw new Error('expected one bytes artifact with a duration');
  return { data: artifact.source.data, durationSeconds: artifact.durationSeconds };
}

/** Resolves with the ProviderError code the promise rejects with. */
async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return (err as ProviderError).code;
  }
  throw new Error('expected a rejection');
}

let tts: TtsService;
let catalog: VoiceCatalog;
beforeAll(async () => {
  tts = await createLocalTts();
  catalog = await loadVoiceCatalog();
});

describe('local tts: synthesis', () => {
  it('speaks "Hello world" as a WAV with a duration that matches its data', async () => {
    const result = await tts.generate(prompt('Hello world'), opts(), ctx());
    expect(result.model).toBe('espeak-ng');
    expect(result.artifacts).toHaveLength(1);
    expect(result.artifacts[0]?.mimeType).toBe('audio/wav');
    const { data, durationSeconds } = audio(result);
    expect(new TextDecoder().decode(data.subarray(0, 4))).toBe('RIFF');
    expect(new TextDecoder().decode(data.subarray(8, 12))).toBe('WAVE');
    expect(data.byteLength).toBeGreaterThan(10_000);
    expect(durationSeconds).toBeGreaterThan(0.3);
    const info = parseWav(data);
    expect(info.dataBytes).toBeLessThanOrEqual(data.byteLength - 44);
    expect(durationSeconds).toBeCloseTo(info.dataBytes / (info.sampleRate * info.channels * (info.bitsPerSample / 8)), 6);
  });

  it('speaks text that starts with "-w x.wav" instead of parsing it as options, and the process survives', async () => {
    const result = await tts.generate(prompt('-w x.wav test'), opts(), ctx());
    expect(audio(result).durationSeconds).toBeGreaterThan(0.5);
    // Still alive and still working afterwards.
    expect(audio(await tts.generate(prompt('ok'), opts(), ctx())).data.byteLength).toBeGreaterThan(1000);
  });

  it('strips NUL characters instead of truncating at them', async () => {
    const withNul = audio(await tts.generate(prompt('one\0 two three four five'), opts(), ctx())).durationSeconds;
    const firstWordOnly = audio(await tts.generate(prompt('one'), opts(), ctx())).durationSeconds;
    expect(withNul).toBeGreaterThan(firstWordOnly + 0.5);
  });

  it('makes speech faster with a higher speed', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const [fast, slow] = await Promise.all([
      tts.generate(prompt(text), opts({ speed: 2 }), ctx()),
      tts.generate(prompt(text), opts({ speed: 0.5 }), ctx()),
    ]);
    expect(audio(fast).durationSeconds * 2).toBeLessThan(audio(slow).durationSeconds);
    expect(fast.providerMetadata).toMatchObject({ wordsPerMinute: 350 });
  });

  it('uses language as the voice, applies variants, pitch and amplitude', async () => {
    const fr = await tts.generate(prompt('Bonjour'), opts({ language: 'fr' }), ctx());
    expect(fr.providerMetadata).toMatchObject({ voice: 'fr' });
    const variant = await tts.generate(prompt('Hallo'), opts({ language: 'de', voice: 'f3', extra: { pitch: 80, amplitude: 150, foo: 1 } }), ctx());
    expect(variant.providerMetadata).toMatchObject({ voice: 'de+f3' });
    expect(variant.warnings?.join(' ')).toMatch(/foo/);
    expect(audio(variant).data.byteLength).toBeGreaterThan(1000);
  });
});

describe('local tts: validation', () => {
  it('rejects an unknown voice, variant or language with invalid_request listing allowed voices', async () => {
    await expect(tts.generate(prompt('hi'), opts({ voice: 'klingon' }), ctx())).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/klingon.*en-us.*f3/) });
    expect(await errorCode(tts.generate(prompt('hi'), opts({ voice: 'en+nope' }), ctx()))).toBe('invalid_request');
    expect(await errorCode(tts.generate(prompt('hi'), opts({ language: 'xx-yy' }), ctx()))).toBe('invalid_request');
  });

  it('rejects bad speed, format, model, text and extra values', async () => {
    for (const bad of [
      opts({ speed: -1 }),
      opts({ speed: 0 }),
      opts({ speed: 3 }),
      opts({ speed: Number.NaN }),
      opts({ format: 'mp3' }),
      opts({ format: 'ogg' }),
      opts({ model: 'tts-1' }),
      opts({ extra: { pitch: 100 } }),
      opts({ extra: { amplitude: -1 } }),
      opts({ extra: { pitch: '50' } }),
    ]) {
      expect(await errorCode(tts.generate(prompt('hi'), bad, ctx())), JSON.stringify(bad)).toBe('invalid_request');
    }
    await expect(tts.generate(prompt('hi'), opts({ format: 'mp3' }), ctx())).rejects.toThrow(/WAV only/);
    expect(await errorCode(tts.generate(prompt('  \n\t'), opts(), ctx()))).toBe('invalid_request');
    expect(await errorCode(tts.generate(prompt('\0\0'), opts(), ctx()))).toBe('invalid_request');
    expect(await errorCode(tts.generate(prompt('a'.repeat(10_001)), opts(), ctx()))).toBe('invalid_request');
  });

  it('resolves voice names case-insensitively to what espeak loads', () => {
    expect(resolveVoice(catalog, 'EN-us')).toBe(resolveVoice(catalog, 'en-us'));
    expect(resolveVoice(catalog, undefined, 'en_GB')).toBe('en-gb');
    expect(resolveVoice(catalog, 'en+F3')).toBe('en+f3');
    expect(resolveVoice(catalog, 'en+Mr serious')).toBe('en+Mr serious');
    expect(resolveVoice(catalog)).toBe('en');
  });

  it('never lets text begin with "-"', () => {
    expect(sanitizeText('-w x.wav')).toBe(' -w x.wav');
    expect(sanitizeText('a\0b')).toBe(' ab');
  });
});

describe('local tts: supervision', () => {
  it('cancels when the signal aborts mid-synthesis', async () => {
    const controller = new AbortController();
    const pending = tts.generate(prompt('This sentence is long enough that it is still being synthesised.'), opts(), ctx({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    expect(await errorCode(pending)).toBe('cancelled');
  });

  it('cancels at once when the signal is already aborted', async () => {
    expect(await errorCode(tts.generate(prompt('hi'), opts(), ctx({ signal: AbortSignal.abort() })))).toBe('cancelled');
  });

  it('queues calls beyond maxConcurrent, and a queued call can be cancelled', async () => {
    const single = await createLocalTts({ maxConcurrent: 1 });
    const controller = new AbortController();
    const first = single.generate(prompt('first'), opts(), ctx());
    const queued = single.generate(prompt('second'), opts(), ctx({ signal: controller.signal }));
    const third = single.generate(prompt('third'), opts(), ctx());
    controller.abort();
    expect(await errorCode(queued)).toBe('cancelled');
    expect(audio(await first).durationSeconds).toBeGreaterThan(0.2);
    expect(audio(await third).durationSeconds).toBeGreaterThan(0.2);
  });

  it('times out a slow synthesis and when the deadline has passed', async () => {
    const hasty = await createLocalTts({ timeoutMs: 5 });
    expect(await errorCode(hasty.generate(prompt('Hello world'), opts(), ctx()))).toBe('timeout');
    expect(await errorCode(tts.generate(prompt('hi'), opts(), ctx({ deadline: Date.now() - 1 })))).toBe('timeout');
  });

  it('turns an espeak crash (unsanitised "-w" argv) into an internal error without taking the process down', async () => {
    const err = await runEspeak({ text: '-w x.wav test' }, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'internal', message: expect.stringMatching(/espeak-ng crashed/) });
    // A voice espeak cannot find makes it call exit() and never answer: also internal.
    await expect(runEspeak({ text: ' hi', voice: 'nonexistent' }, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/voice does not exist/),
    });
    expect(audio(await tts.generate(prompt('still here'), opts(), ctx())).durationSeconds).toBeGreaterThan(0.3);
  });

  it('keeps every byte of espeak output off stdout (child process)', async () => {
    // The child imports the TypeScript sources directly: Node strips types, and this hook
    // maps the NodeNext-style "./x.js" specifiers to the "./x.ts" files that exist in src.
    const ttsUrl = pathToFileURL(path.resolve('src/providers/local/tts.ts')).href;
    const script = `
      import { registerHooks } from 'node:module';
      registerHooks({ resolve(spec, context, next) {
        try { return next(spec, context); }
        catch (err) { if (spec.startsWith('.') && spec.endsWith('.js')) return next(spec.slice(0, -3) + '.ts', context); throw err; }
      } });
      const { createLocalTts, runEspeak } = await import(${JSON.stringify(ttsUrl)});
      const tts = await createLocalTts();
      const ctx = { signal: new AbortController().signal, progress() {}, logger: { debug() {} }, deadline: Date.now() + 30000 };
      const result = await tts.generate({ text: 'Hello world', attachments: [] }, { format: 'wav', extra: {} }, ctx);
      // Unsanitised on purpose: espeak console.logs a stack trace, i.e. writes to its stdout.
      const crash = await runEspeak({ text: '-w x.wav test' }, { timeoutMs: 20000 }).then(() => 'resolved', (e) => e.code);
      process.stderr.write('RESULT ' + JSON.stringify({ bytes: result.artifacts[0].source.data.byteLength, crash }) + '\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(stderr, stderr).toMatch(/^RESULT /m);
    const result = JSON.parse(/^RESULT (.*)$/m.exec(stderr)?.[1] ?? '{}') as { bytes: number; crash: string };
    expect(code).toBe(0);
    expect(result.bytes).toBeGreaterThan(10_000);
    expect(result.crash).toBe('internal');
    expect(stdout).toBe('');
    // The stack espeak printed on its stdout (and the worker's own uncaught-error report)
    // arrived on stderr instead.
    expect(stderr.match(/TypeError: Cannot read properties of undefined \(reading 'contents'\)/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });
});

describe('local provider module', () => {
  const env = (vars: Record<string, string | undefined>) => ({
    info: {
      id: 'local', displayName: 'Local', capabilities: ['text' as const, 'tts' as const], defaultModels: { tts: 'espeak-ng', text: 'llama3.2' },
      credentialModes: [], capabilityKeys: {}, models: {}, priority: 100, featureFlag: 'ENABLE_PROVIDER_LOCAL', enabledByDefault: true, baseUrlEnv: 'LOCAL_BASE_URL',
    },
    env: vars,
    resolveArtifact: () => Promise.reject(new Error('unused')),
    appName: 'test',
    appUrl: 'http://localhost',
  });

  it('always offers tts, and text only with LOCAL_OPENAI_BASE_URL', async () => {
    expect(local.id).toBe('local');
    const offline = await local.load(env({}));
    expect(offline.tts).toBeDefined();
    expect(offline.text).toBeUndefined();
    const withServer = await local.load(env({ LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }));
    expect(withServer.tts).toBeDefined();
    expect(withServer.text).toBeDefined();
  });
});
