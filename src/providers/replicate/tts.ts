/**
 * Replicate speech: one prediction of a TTS model, created in sync mode (`Prefer: wait`) and
 * polled here if it outlives the wait; the audio file's URL goes to the artifact store. Kokoro
 * (a community model, run by its pinned version) takes text, voice and speed, and writes WAV.
 */
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../base.js';
import { ProviderError } from '../errors.js';
import { parseExtra, put, type ReplicateDeps } from './deps.js';
import { PROVIDER_ID, checkRequest, chooseModel } from './models.js';
import { outputFiles, predictionMetadata, runToCompletion } from './predictions.js';
import { TTS_EXTRA } from './tts-options.js';

const FORMAT_MIME: Record<TtsOptions['format'], string> = { wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg' };

export function createReplicateTts(deps: ReplicateDeps): TtsService {
  return {
    async generate(prompt: Prompt, options: TtsOptions, ctx: CallContext): Promise<GenerationResult> {
      const choice = chooseModel('tts', options.model, deps.env.info.defaultModels.tts);
      const { profile } = choice;
      checkRequest(choice, { voice: options.voice, speed: options.speed, format: options.format });
      const extra = parseExtra(TTS_EXTRA[profile.id], options.extra, choice.model);
      const inputs = profile.inputs;
      const warnings = [...choice.warnings];
      if (options.language) warnings.push(`${choice.model} has no language input: the voice sets the language and accent (language "${options.language}" was not sent).`);

      const input: Record<string, unknown> = { [inputs.prompt]: prompt.text };
      put(input, inputs.voice, options.voice);
      put(input, inputs.speed?.input, options.speed);
      Object.assign(input, extra);

      const p = await runToCompletion(deps.client, choice, input, ctx, deps.quickPollMs);
      const [audio] = outputFiles(p, profile.generic ? FORMAT_MIME[options.format] : profile.mimeType);
      if (!audio) {
        throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, retryable: false, requestId: p.id, message: `The Replicate prediction ${p.id} (${choice.model}) succeeded without an audio file.` });
      }
      if (audio.mimeType !== FORMAT_MIME[options.format]) warnings.push(`${choice.model} returned ${audio.mimeType}, not ${options.format}.`);
      ctx.logger.info({ provider: PROVIDER_ID, model: choice.model, prediction: p.id, predictTimeSeconds: p.metrics?.predict_time }, 'replicate prediction succeeded');
      return {
        model: choice.model,
        artifacts: [audio],
        requestId: p.id,
        ...(warnings.length ? { warnings } : {}),
        providerMetadata: predictionMetadata([p], choice.ref.kind === 'version' ? choice.ref.version : undefined),
        raw: p,
      };
    },
  };
}
