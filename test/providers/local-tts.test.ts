import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import { MAX_CHUNK_CHARS, splitForSpeech } from '../../src/providers/local/chunks.js';
import local from '../../src/providers/local/index.js';
import { parseLocalTtsModel, type LocalTtsModel } from '../../src/providers/local/models.js';
import { buildJob, createLocalTts, loadVoiceCatalog, resolveVoice, runEspeak, sanitizeText, type VoiceCatalog } from '../../src/providers/local/tts.js';
import { readProvidersDocument } from '../../src/registry/config.js';
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

/** The limits as shipped in config/providers.yaml; tests that need other limits change a copy. */
const packagedModels = readProvidersDocument().providers.local!.models ?? {};
const model: LocalTtsModel = parseLocalTtsModel(packagedModels);
const withLimits = (changes: Partial<LocalTtsModel>): LocalTtsModel => ({ ...structuredClone(model), ...changes });

let tts: TtsService;
let catalog: VoiceCatalog;
beforeAll(async () => {
  tts = await createLocalTts({ model });
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

describe('local tts: declared limits (config/providers.yaml local.models.espeak-ng)', () => {
  it('ships a speed range narrower than the tool schema, a text and a speech limit, and WAV only', () => {
    expect(model).toMatchObject({ capability: 'tts', speed: { min: 0.5, max: 2.5 }, max_text_chars: 10_000, max_duration_seconds: 1800, formats: ['wav'] });
  });

  it('declares exactly the voices and variants espeak-ng can load, so list_providers shows every one and nothing that fails', () => {
    const lower = (names: Iterable<string>) => [...names].map((n) => n.toLowerCase()).sort();
    expect(lower(model.voices)).toEqual(lower(catalog.languages.keys()));
    expect(lower(model.voice_variants)).toEqual(lower(catalog.variants.keys()));
  });

  it('lists the same voices in the README local section', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /^## Local \(offline\)\n[\s\S]*?(?=^## )/m.exec(readme)?.[0] ?? '';
    expect(section).not.toBe('');
    for (const voice of model.voices) expect(section, voice).toContain(`\`${voice}\``);
    expect(section).toMatch(/0\.5–2\.5/);
  });

  it('refuses speed 3 naming local\'s range, before any synthesis, and accepts both ends of the range', async () => {
    await expect(tts.generate(prompt('hi'), opts({ speed: 3 }), ctx())).rejects.toMatchObject({
      code: 'invalid_request',
      providerId: 'local',
      message: expect.stringContaining('speed 3 is outside what local accepts (0.5–2.5)'),
    });
    // buildJob is where it is refused: nothing is planned, so no worker can start.
    expect(() => buildJob(prompt('hi'), opts({ speed: 0.4 }), catalog, model)).toThrow(/speed 0\.4 is outside what local accepts \(0\.5–2\.5\)/);
    expect(buildJob(prompt('hi'), opts({ speed: 0.5 }), catalog, model).plan.settings.speedWpm).toBe(88);
    expect(buildJob(prompt('hi'), opts({ speed: 2.5 }), catalog, model).plan.settings.speedWpm).toBe(438);
  });

  it('takes its limits from the declared model, not from constants', async () => {
    const narrow = await createLocalTts({ model: withLimits({ speed: { min: 1, max: 1.5 }, max_text_chars: 20, voices: ['en', 'fr'], voice_variants: ['f3'] }) });
    await expect(narrow.generate(prompt('hi'), opts({ speed: 2 }), ctx())).rejects.toThrow(/speed 2 is outside what local accepts \(1–1\.5\)/);
    await expect(narrow.generate(prompt('x'.repeat(21)), opts(), ctx())).rejects.toThrow(/Text is 21 characters; local accepts at most 20 \(max_text_chars\)/);
    await expect(narrow.generate(prompt('Hallo'), opts({ language: 'de' }), ctx())).rejects.toThrow(/Unknown language "de".*en, fr/);
    await expect(narrow.generate(prompt('hi'), opts({ voice: 'en+m3' }), ctx())).rejects.toThrow(/Unknown voice variant "m3"/);
    expect((await narrow.generate(prompt('Bonjour'), opts({ language: 'fr', voice: 'f3', speed: 1.5 }), ctx())).providerMetadata).toMatchObject({ voice: 'fr+f3' });
  });

  it('names the text limit as shipped', async () => {
    await expect(tts.generate(prompt('a'.repeat(10_001)), opts(), ctx())).rejects.toThrow(/Text is 10001 characters; local accepts at most 10000 \(max_text_chars\)/);
  });

  it('refuses text of only punctuation, symbols and whitespace; letters and digits of any script pass', () => {
    for (const nothing of ['...!?', '— –', '！？。、', '… \n ‽', '***', '😀']) {
      expect(() => buildJob(prompt(nothing), opts(), catalog, model), JSON.stringify(nothing)).toThrow(/nothing to speak: it needs at least one letter or digit/);
    }
    for (const something of ['你好', 'こんにちは', '안녕', 'مرحبا', '٣', '42', 'Ω', '...a!?']) {
      expect(buildJob(prompt(something), opts(), catalog, model).plan.chunks.join(''), something).toBe(something);
    }
  });

  it('warns when CJK text meets the default English voice, which would name each character', () => {
    expect(buildJob(prompt('你好'), opts(), catalog, model).warnings.join(' ')).toMatch(/"Chinese letter".*language \(cmn/);
    expect(buildJob(prompt('你好'), opts({ language: 'cmn' }), catalog, model).warnings).toEqual([]);
    expect(buildJob(prompt('Hello'), opts(), catalog, model).warnings).toEqual([]);
  });
});

describe('local tts: long text', () => {
  it('speaks text longer than one espeak run in pieces, joined into one WAV as long as speaking it whole', async () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(55); // 2,475 characters: three pieces
    const progress: number[] = [];
    const result = await tts.generate(prompt(text), opts(), ctx({ progress: (p) => void (p.fraction !== undefined && progress.push(p.fraction)) }));
    expect(result.providerMetadata).toMatchObject({ voice: 'en', pieces: 3 });
    const { data, durationSeconds } = audio(result);
    const info = parseWav(data);
    expect(info).toMatchObject({ audioFormat: 1, sampleRate: 22050, channels: 1, bitsPerSample: 16, dataOffset: 44 });
    expect(info.dataBytes).toBe(data.byteLength - 44);
    const whole = parseWav(await runEspeak({ text: sanitizeText(text), voice: 'en' }, { timeoutMs: 20_000 })).durationSeconds;
    expect(Math.abs(durationSeconds - whole) / whole).toBeLessThan(0.02);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toHaveLength(3);
  });

  it('refuses, naming max_duration_seconds, once the speech passes it — and keeps serving', async () => {
    const short = await createLocalTts({ model: withLimits({ max_duration_seconds: 5 }) });
    const text = 'Sentence number one is here. '.repeat(60); // almost two minutes of speech, in pieces of 986 and 754 characters
    await expect(short.generate(prompt(text), opts(), ctx())).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/too long: local makes at most 5 s of speech per call \(max_duration_seconds\), and the first 986 of 1740 characters already took \d+ s\. Shorten the text/),
    });
    expect(audio(await short.generate(prompt('Short.'), opts(), ctx())).durationSeconds).toBeGreaterThan(0.3);
  });
});

describe('splitForSpeech', () => {
  const check = (text: string, max: number): string[] => {
    const pieces = splitForSpeech(text, max);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(max);
    return pieces;
  };

  it('leaves text within the limit whole', () => {
    expect(splitForSpeech('One. Two.', 100)).toEqual(['One. Two.']);
    expect(MAX_CHUNK_CHARS).toBe(1000);
  });

  it('cuts at sentence ends, Latin and CJK alike', () => {
    expect(check('First one. Second one! Third?', 14)).toEqual(['First one. ', 'Second one! ', 'Third?']);
    expect(check('我们今天去公园。天气很好！你呢？', 9)).toEqual(['我们今天去公园。', '天气很好！你呢？']);
  });

  it('cuts a long sentence at clause marks, then at spaces, then by length without halving a character', () => {
    expect(check('alpha beta, gamma delta; epsilon', 14)).toEqual(['alpha beta,', ' gamma delta;', ' epsilon']);
    expect(check('天气很好，阳光明媚、我们去散步', 6)).toEqual(['天气很好，', '阳光明媚、', '我们去散步']);
    expect(check('10,000 apples and 3:30 pm', 12)).toEqual(['10,000 ', 'apples and ', '3:30 pm']);
    expect(check('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    const emoji = check('😀'.repeat(5), 3); // two UTF-16 units each
    expect(emoji).toEqual(['😀', '😀', '😀', '😀', '😀']);
  });

  it('keeps 6,000 CJK characters under the piece size', () => {
    const text = '我们今天去公园散步。天气很好，阳光明媚！'.repeat(300);
    const pieces = check(text, MAX_CHUNK_CHARS);
    expect(pieces).toHaveLength(6);
    for (const p of pieces) expect(p).toMatch(/[。！]$/);
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
    const single = await createLocalTts({ model, maxConcurrent: 1 });
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
    const hasty = await createLocalTts({ model, timeoutMs: 5 });
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
      const model = { capability: 'tts', speed: { min: 0.5, max: 2.5 }, max_text_chars: 1000, max_duration_seconds: 60, formats: ['wav'], voices: ['en'], voice_variants: [] };
      const tts = await createLocalTts({ model });
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
  const env = (vars: Record<string, string | undefined>, models: Record<string, Record<string, unknown>> = packagedModels) => ({
    info: {
      id: 'local', displayName: 'Local', capabilities: ['text' as const, 'tts' as const], defaultModels: { tts: 'espeak-ng', text: 'llama3.2' },
      credentialModes: [], capabilityKeys: {}, models, priority: 100, featureFlag: 'ENABLE_PROVIDER_LOCAL', enabledByDefault: true, baseUrlEnv: 'LOCAL_BASE_URL',
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

  it('will not load without declared limits, or with limits espeak-ng cannot honour, and says which key is wrong', async () => {
    await expect(local.load(env({}, {}))).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/no local\.models\.espeak-ng entry/) });
    const espeak = packagedModels['espeak-ng']!;
    const broken = async (changes: Record<string, unknown>) => (await local.load(env({}, { 'espeak-ng': { ...espeak, ...changes } })).catch((e: unknown) => e)) as ProviderError;
    expect(await broken({ speed: { min: 0.5, max: 4 } })).toMatchObject({ code: 'internal', message: expect.stringMatching(/local\.models\.espeak-ng is invalid: speed: espeak-ng speaks 80–450 words a minute/) });
    expect((await broken({ max_text_chars: 0 })).message).toMatch(/max_text_chars/);
    expect((await broken({ formats: ['mp3'] })).message).toMatch(/formats\.0/);
    expect((await broken({ speeed: 1 })).message).toMatch(/speeed/);
    expect(await broken({ voices: ['en', 'klingon'] })).toMatchObject({ code: 'internal', message: expect.stringMatching(/espeak-ng\.voices names what espeak-ng cannot load: "klingon"/) });
  });

  it('with local text configured, a bad espeak-ng entry fails tts alone, with the same error', async () => {
    const espeak = packagedModels['espeak-ng']!;
    const adapter = await local.load(env({ LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, { 'espeak-ng': { ...espeak, speed: { min: 0.5, max: 4 } } }));
    expect(adapter.text).toBeDefined();
    await expect(adapter.tts!.generate(prompt('hi'), opts(), ctx())).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/local\.models\.espeak-ng is invalid: speed: espeak-ng speaks 80–450 words a minute/),
    });
    const missing = await local.load(env({ LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, {}));
    expect(missing.text).toBeDefined();
    await expect(missing.tts!.generate(prompt('hi'), opts(), ctx())).rejects.toThrow(/no local\.models\.espeak-ng entry/);
  });
});
