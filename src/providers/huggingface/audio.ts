/**
 * Hugging Face audio (text-to-audio: music and sound), a quick call, one request per clip up
 * to `count`. On hf-inference: `POST /hf-inference/models/{model}` with `{inputs, parameters}`,
 * answered with audio bytes. On fal-ai (e.g. Stable Audio): a queue job polled to its end,
 * whose result holds `audio_file.url` or `audio.url`.
 *
 * Common options: on fal-ai seed → `seed` (+ i for clip i), negative_prompt → `negative_prompt`,
 * duration_seconds → `seconds_total` (Stable Audio's length field). hf-inference models take
 * none of them (the task's parameters are generation settings only): a warning for each.
 */
import type { AudioOptions, CallContext, GeneratedArtifact, GenerationResult, Prompt, QuickService } from '../base.js';
import { ProviderError, requireCount } from '../errors.js';
import { parseAudioExtra } from './audio-options.js';
import type { HfDeps } from './deps.js';
import { runToEnd } from './media.js';
import { PROVIDER_ID, inferenceProviderFor, modelFor } from './models.js';

export function createHfAudio(deps: HfDeps): QuickService<AudioOptions> {
  return {
    async generate(prompt: Prompt, options: AudioOptions, ctx: CallContext): Promise<GenerationResult> {
      requireCount(options.count, PROVIDER_ID);
      const model = modelFor(deps.env, 'audio', options.model);
      const { named, parameters: extra } = parseAudioExtra(options.extra);
      const chosen = inferenceProviderFor(deps.catalog, 'audio', model, named.provider);
      const route = await deps.router.route(model, chosen.provider, 'text-to-audio', ctx);
      const warnings = [...chosen.warnings, ...route.warnings];
      const fal = route.provider === 'fal-ai';
      if (!fal) {
        for (const [name, given] of [['seed', options.seed], ['negative_prompt', options.negativePrompt], ['duration_seconds', options.durationSeconds]] as const) {
          if (given !== undefined) warnings.push(`${name} is not a parameter of ${route.provider} text-to-audio; ignored (model settings go in extra).`);
        }
      }

      const artifacts: GeneratedArtifact[] = [];
      const requestIds: string[] = [];
      for (let i = 0; i < options.count; i++) {
        const p: Record<string, unknown> = {};
        if (fal && options.seed !== undefined) p.seed = options.seed + i;
        if (fal && options.negativePrompt) p.negative_prompt = options.negativePrompt;
        if (fal && options.durationSeconds !== undefined) p.seconds_total = options.durationSeconds;
        let out;
        try {
          out = await runToEnd(deps, { task: 'text-to-audio', model, route, inputs: prompt.text, parameters: { ...p, ...extra }, ...(named.bill_to ? { billTo: named.bill_to } : {}) }, ctx, (st) =>
            ctx.progress({ fraction: artifacts.length / options.count, message: `clip ${artifacts.length + 1} of ${options.count}: fal ${st.status === 'IN_QUEUE' ? `queued${st.position !== undefined ? ` (position ${st.position})` : ''}` : 'generating'}` }),
          );
        } catch (err) {
          if (i === 0 || !(err instanceof ProviderError) || err.code === 'cancelled') throw err;
          warnings.push(`Stopped after ${artifacts.length} of ${options.count} clips: ${err.message}`);
          break;
        }
        const clip = out.artifacts[0];
        if (clip) artifacts.push(fal && options.durationSeconds !== undefined && clip.durationSeconds === undefined ? { ...clip, durationSeconds: options.durationSeconds } : clip);
        const id = out.falRequestId ?? out.requestId;
        if (id) requestIds.push(id);
        ctx.progress({ fraction: artifacts.length / options.count, message: `${artifacts.length} of ${options.count} clips` });
      }
      ctx.logger.debug({ provider: PROVIDER_ID, inferenceProvider: route.provider, model, clips: artifacts.length }, 'huggingface audio done');
      return {
        model,
        artifacts,
        ...(requestIds[0] ? { requestId: requestIds[0] } : {}),
        ...(warnings.length ? { warnings } : {}),
        providerMetadata: { inferenceProvider: route.provider, providerModelId: route.entry.providerId, requestIds },
      };
    },
  };
}
