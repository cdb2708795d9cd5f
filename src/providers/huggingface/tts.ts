/**
 * Hugging Face speech (text-to-speech), a quick call. On hf-inference:
 * `POST /hf-inference/models/{model}` with `{inputs: text}`, answered with audio bytes. On
 * fal-ai (e.g. Kokoro): `POST /fal-ai/{fal id}` with `{text, ...}`, answered with
 * `{audio: {url}}`; on replicate: a prediction whose `output` is the audio URL.
 *
 * Common options: voice → `voice` and speed → `speed` on fal-ai and replicate (hf-inference
 * models take neither: a warning). The format cannot be chosen on any of them: the answer's
 * own type is kept, with a warning when it is not the one asked for; language likewise.
 */
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../base.js';
import type { HfDeps } from './deps.js';
import { runToEnd } from './media.js';
import { PROVIDER_ID, inferenceProviderFor, modelFor } from './models.js';
import { parseTtsExtra } from './tts-options.js';

const FORMAT_TYPES: Record<TtsOptions['format'], readonly string[]> = {
  wav: ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'],
  mp3: ['audio/mpeg', 'audio/mp3'],
  ogg: ['audio/ogg', 'audio/opus'],
};

export function createHfTts(deps: HfDeps): TtsService {
  return {
    async generate(prompt: Prompt, options: TtsOptions, ctx: CallContext): Promise<GenerationResult> {
      const model = modelFor(deps.env, 'tts', options.model);
      const { named, parameters: extra } = parseTtsExtra(options.extra);
      const chosen = inferenceProviderFor(deps.catalog, 'tts', model, named.provider);
      const route = await deps.router.route(model, chosen.provider, 'text-to-speech', ctx);
      const warnings = [...chosen.warnings, ...route.warnings];

      const p: Record<string, unknown> = {};
      const takesVoice = route.provider === 'fal-ai' || route.provider === 'replicate';
      if (options.voice !== undefined) {
        if (takesVoice) p.voice = options.voice;
        else warnings.push(`voice is not a parameter of ${route.provider} text-to-speech; ignored (the model speaks in its own voice).`);
      }
      if (options.speed !== undefined) {
        if (takesVoice) p.speed = options.speed;
        else warnings.push(`speed is not a parameter of ${route.provider} text-to-speech; ignored.`);
      }
      if (options.language) warnings.push(`language cannot be chosen on ${route.provider}; the model speaks its own (pick a model or voice for the language).`);
      const parameters = { ...p, ...extra };

      const out = await runToEnd(deps, { task: 'text-to-speech', model, route, inputs: prompt.text, parameters, ...(named.bill_to ? { billTo: named.bill_to } : {}) }, ctx);
      const artifacts = out.artifacts.slice(0, 1);
      const got = artifacts[0]?.mimeType ?? '';
      if (got && !FORMAT_TYPES[options.format].includes(got)) warnings.push(`The model returned ${got}; ${options.format} cannot be chosen on ${route.provider}.`);
      ctx.logger.debug({ provider: PROVIDER_ID, inferenceProvider: route.provider, model, mimeType: got }, 'huggingface tts done');
      return {
        model,
        artifacts,
        ...(out.falRequestId ?? out.requestId ? { requestId: out.falRequestId ?? out.requestId } : {}),
        ...(warnings.length ? { warnings } : {}),
        providerMetadata: { inferenceProvider: route.provider, providerModelId: route.entry.providerId },
      };
    },
  };
}
