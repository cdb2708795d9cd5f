/**
 * Replicate music and sound: a long job, one prediction per clip, polled by the runner. MusicGen
 * (a community model, run by its pinned version) takes prompt, duration in whole seconds and
 * seed; Lyria 2 takes prompt, negative_prompt and seed and makes 30-second clips.
 */
import type { AudioOptions, CallContext, LongRunningService, Operation, OperationStatus, Prompt } from '../base.js';
import { requireCount } from '../errors.js';
import { AUDIO_EXTRA } from './audio-options.js';
import { parseExtra, put, type ReplicateDeps } from './deps.js';
import { PROVIDER_ID, checkRequest, chooseModel } from './models.js';
import { cancelJob, jobStatus, startPredictions } from './predictions.js';

export function createReplicateAudio(deps: ReplicateDeps): LongRunningService<AudioOptions> {
  return {
    pollIntervalMs: 2_000,

    async start(prompt: Prompt, options: AudioOptions, ctx: CallContext): Promise<{ operation: Operation }> {
      requireCount(options.count, PROVIDER_ID);
      const choice = chooseModel('audio', options.model, deps.env.info.defaultModels.audio);
      const { profile } = choice;
      checkRequest(choice, { negativePrompt: options.negativePrompt, seed: options.seed, durationSeconds: options.durationSeconds });
      const extra = parseExtra(AUDIO_EXTRA[profile.id], options.extra, choice.model);
      const inputs = profile.inputs;

      const base: Record<string, unknown> = { [inputs.prompt]: prompt.text };
      put(base, inputs.duration?.input, options.durationSeconds);
      put(base, inputs.negativePrompt, options.negativePrompt);
      Object.assign(base, extra);
      const perClip = Array.from({ length: options.count }, (_, k) => {
        const input = { ...base };
        put(input, inputs.seed, options.seed === undefined ? undefined : options.seed + k);
        return input;
      });
      const mimeType = extra.output_format === 'mp3' ? 'audio/mpeg' : profile.mimeType;
      return startPredictions(deps.client, choice, perClip, ctx, {
        capability: 'audio',
        mimeType,
        count: options.count,
        ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
        warnings: [...choice.warnings],
      });
    },

    status: (operation: Operation, ctx: CallContext): Promise<OperationStatus> => jobStatus(deps.client, operation, ctx),
    cancel: (operation: Operation, ctx: CallContext): Promise<boolean> => cancelJob(deps.client, operation, ctx),
  };
}
