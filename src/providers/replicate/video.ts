/**
 * Replicate video: a long job, one prediction per video (video models make one each), polled by
 * the runner and cancelled at Replicate on cancel. MiniMax Hailuo inputs: prompt, duration (6 or
 * 10 s), resolution (768p for our 720p, or 1080p), first_frame_image and last_frame_image (URLs
 * or data: URIs; our artifact:// URIs are sent inline).
 */
import type { CallContext, LongRunningService, Operation, OperationStatus, Prompt, VideoOptions } from '../base.js';
import { invalidRequest, requireCount } from '../errors.js';
import { parseExtra, put, type ReplicateDeps } from './deps.js';
import { fileInput } from './files.js';
import { PROVIDER_ID, checkRequest, chooseModel, resolutionInput } from './models.js';
import { cancelJob, jobStatus, startPredictions } from './predictions.js';
import { VIDEO_EXTRA } from './video-options.js';

export function createReplicateVideo(deps: ReplicateDeps): LongRunningService<VideoOptions> {
  return {
    pollIntervalMs: 5_000,

    async start(prompt: Prompt, options: VideoOptions, ctx: CallContext): Promise<{ operation: Operation }> {
      requireCount(options.count, PROVIDER_ID);
      const choice = chooseModel('video', options.model, deps.env.info.defaultModels.video);
      const { profile } = choice;
      if (profile.generic && (options.image || options.lastFrame)) {
        throw invalidRequest(`replicate does not know which inputs of ${choice.model} take the first and last frame; pass their https or data: URIs under the model's own input names in extra.`, PROVIDER_ID);
      }
      checkRequest(choice, {
        aspectRatio: options.aspectRatio,
        negativePrompt: options.negativePrompt,
        seed: options.seed,
        durationSeconds: options.durationSeconds,
        resolution: options.resolution,
        generateAudio: profile.generic ? undefined : options.generateAudio,
        image: Boolean(options.image),
        lastFrame: Boolean(options.lastFrame),
      });
      const extra = parseExtra(VIDEO_EXTRA[profile.id], options.extra, choice.model);
      const inputs = profile.inputs;
      const warnings = [...choice.warnings];
      if (profile.generic && options.generateAudio !== undefined) warnings.push(`generate_audio was not sent: replicate does not know ${choice.model}'s input for it (set it in extra).`);

      const base: Record<string, unknown> = { [inputs.prompt]: prompt.text };
      put(base, inputs.duration?.input, options.durationSeconds);
      put(base, inputs.resolution?.input, resolutionInput(profile, options.resolution, options.durationSeconds, warnings));
      put(base, inputs.aspectRatio?.input, options.aspectRatio);
      put(base, inputs.negativePrompt, options.negativePrompt);
      if (options.image) put(base, inputs.image, await fileInput(options.image, deps.env, 'image'));
      if (options.lastFrame) put(base, inputs.lastFrame, await fileInput(options.lastFrame, deps.env, 'last_frame'));
      Object.assign(base, extra);

      const perVideo = Array.from({ length: options.count }, (_, k) => {
        const input = { ...base };
        put(input, inputs.seed, options.seed === undefined ? undefined : options.seed + k);
        return input;
      });
      return startPredictions(deps.client, choice, perVideo, ctx, {
        capability: 'video',
        mimeType: profile.mimeType,
        count: options.count,
        ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
        warnings,
      });
    },

    status: (operation: Operation, ctx: CallContext): Promise<OperationStatus> => jobStatus(deps.client, operation, ctx),
    cancel: (operation: Operation, ctx: CallContext): Promise<boolean> => cancelJob(deps.client, operation, ctx),
  };
}
