/**
 * Replicate images: a long job of one or more predictions (`num_outputs` per prediction up to
 * the model's maximum — 4 for FLUX schnell — and more predictions for the rest), polled by the
 * runner. Output files are URLs the artifact store downloads.
 */
import type { CallContext, ImageOptions, LongRunningService, Operation, OperationStatus, Prompt } from '../base.js';
import { invalidRequest, requireCount } from '../errors.js';
import { parseExtra, put, type ReplicateDeps } from './deps.js';
import { IMAGE_EXTRA } from './image-options.js';
import { PROVIDER_ID, checkRequest, chooseModel, type ImageMime } from './models.js';
import { cancelJob, jobStatus, startPredictions } from './predictions.js';

export function createReplicateImage(deps: ReplicateDeps): LongRunningService<ImageOptions> {
  return {
    pollIntervalMs: 1_000,

    async start(prompt: Prompt, options: ImageOptions, ctx: CallContext): Promise<{ operation: Operation }> {
      requireCount(options.count, PROVIDER_ID);
      const choice = chooseModel('image', options.model, deps.env.info.defaultModels.image);
      const { profile } = choice;
      if (profile.generic && prompt.attachments.length) {
        throw invalidRequest(`replicate does not know which input of ${choice.model} takes a reference image; pass its https or data: URI under the model's own input name in extra.`, PROVIDER_ID);
      }
      checkRequest(choice, {
        aspectRatio: options.aspectRatio,
        negativePrompt: options.negativePrompt,
        seed: options.seed,
        attachments: prompt.attachments.length,
        outputMimeType: options.outputMimeType,
      });
      const extra = parseExtra(IMAGE_EXTRA[profile.id], options.extra, choice.model);
      const inputs = profile.inputs;
      const warnings = [...choice.warnings];

      const base: Record<string, unknown> = { [inputs.prompt]: prompt.text };
      put(base, inputs.aspectRatio?.input, options.aspectRatio);
      put(base, inputs.negativePrompt, options.negativePrompt);
      if (options.outputMimeType) {
        const format = inputs.outputFormat?.values[options.outputMimeType as ImageMime];
        if (format) put(base, inputs.outputFormat!.input, format);
        else if (profile.generic) warnings.push(`output_format was not sent: replicate does not know ${choice.model}'s input for it (set it in extra).`);
      }
      Object.assign(base, extra);

      // One prediction per `max` outputs (or per output, for models without a count input); seeds differ per prediction.
      const perPrediction = inputs.count?.max ?? 1;
      const inputsPerPrediction: Record<string, unknown>[] = [];
      for (let left = options.count, k = 0; left > 0; left -= perPrediction, k++) {
        const input = { ...base };
        put(input, inputs.count?.input, Math.min(perPrediction, left));
        put(input, inputs.seed, options.seed === undefined ? undefined : options.seed + k);
        inputsPerPrediction.push(input);
      }
      const mimeType = options.outputMimeType ?? (typeof extra.output_format === 'string' ? formatMime(extra.output_format) : undefined) ?? profile.mimeType;
      return startPredictions(deps.client, choice, inputsPerPrediction, ctx, { capability: 'image', mimeType, count: options.count, warnings });
    },

    status: (operation: Operation, ctx: CallContext): Promise<OperationStatus> => jobStatus(deps.client, operation, ctx),
    cancel: (operation: Operation, ctx: CallContext): Promise<boolean> => cancelJob(deps.client, operation, ctx),
  };
}

function formatMime(format: string): string | undefined {
  return ({ png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' } as Record<string, string>)[format];
}
