/**
 * fal speech (Kokoro, ElevenLabs…): the text as the endpoint's `prompt` or `text`, `voice`,
 * `speed` and ElevenLabs' `language_code`, with `extra` merged over it — a queue job like the
 * others. It is served as a quick call driving that job (`asQuick`) because `ProviderAdapter.tts`
 * is a QuickService: speech takes seconds, and the fal request is cancelled if the call is.
 */
import type { LongRunningService, Prompt, QuickService, TtsOptions } from '../base.js';
import { invalidRequest } from '../errors.js';
import { endpointFor, listed, parseExtra, unsupported } from './input.js';
import { asQuick, falJobService, type FalDeps, type PreparedJob } from './job.js';
import { PROVIDER_ID, specFor } from './models.js';
import { FalTtsExtraSchema } from './tts-options.js';

const FORMAT_TYPES: Record<TtsOptions['format'], string> = { wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg' };

/** The speech job itself; `createFalTts` serves it as a quick call. */
export function createFalTtsJob(deps: FalDeps): LongRunningService<TtsOptions> {
  return falJobService(deps, 'tts', (prompt, options) => prepareTts(deps, prompt, options), 1000);
}

export function createFalTts(deps: FalDeps): QuickService<TtsOptions> {
  return asQuick(createFalTtsJob(deps));
}

async function prepareTts(deps: FalDeps, prompt: Prompt, options: TtsOptions): Promise<PreparedJob> {
  const endpoint = endpointFor(deps.env, 'tts', options.model);
  const { spec, known } = specFor(endpoint, 'tts');
  const extra = parseExtra(FalTtsExtraSchema, options.extra);
  const input: Record<string, unknown> = { [spec.promptField]: prompt.text };
  const warnings: string[] = [];
  if (options.voice) {
    if (!spec.voice) unsupported(endpoint, 'a voice');
    if (spec.voice.values && !spec.voice.values.includes(options.voice)) {
      throw invalidRequest(`${endpoint} has no voice "${options.voice}"; its voices: ${listed(spec.voice.values)}.`, PROVIDER_ID);
    }
    input[spec.voice.field] = options.voice;
  }
  if (options.speed !== undefined) {
    if (!spec.speed) unsupported(endpoint, 'a speed');
    if (options.speed < spec.speed.min || options.speed > spec.speed.max) unsupported(endpoint, `speed ${options.speed}`, `it takes ${spec.speed.min} to ${spec.speed.max}`);
    input[spec.speed.field] = options.speed;
  }
  if (options.language) {
    if (spec.languageField) input[spec.languageField] = options.language;
    else warnings.push(`${endpoint} takes no language: it speaks the language its endpoint or voice is for${endpoint.startsWith('fal-ai/kokoro/') ? ' (fal-ai/kokoro/american-english, british-english, french, spanish, …)' : ''}; language was not sent.`);
  }
  if (spec.audioMimeType && FORMAT_TYPES[options.format] !== spec.audioMimeType) {
    warnings.push(`${endpoint} makes ${spec.audioMimeType}; format ${options.format} cannot be chosen on it.`);
  }
  if (!known) warnings.push(`${endpoint} is not one of the fal speech endpoints this server knows; it was sent fal's common fields (text, voice, speed). Set its own in extra.`);
  return {
    endpoint,
    inputs: [{ ...input, ...extra }],
    count: 1,
    warnings,
    ...(spec.audioMimeType ? { audioMimeType: spec.audioMimeType } : {}),
  };
}
