/**
 * Hugging Face images (text-to-image), a quick call: one request per image, asked again up to
 * `count` (seed + i each time). On hf-inference: `POST /hf-inference/models/{model}` with
 * `{inputs, parameters}`, answered with the image bytes. On fal-ai: `POST /fal-ai/{fal id}?_subdomain=queue`,
 * a queue job polled to its end (media.ts). On together / nscale: `/v1/images/generations`,
 * base64 in the answer; on replicate: a prediction with `Prefer: wait`, an output URL.
 *
 * Common options, per inference provider (the HF task spec names width/height; fal and
 * replicate take their own fields):
 * - aspect_ratio → `width`/`height` (long side 1024, multiples of 16); fal-ai `image_size: {width, height}`;
 *   replicate `aspect_ratio`. `extra.width`/`extra.height` win.
 * - negative_prompt → `negative_prompt`; seed → `seed` (+ i for image i).
 * - output_mime_type → fal-ai / replicate `output_format`; elsewhere the model's own format, with a warning.
 */
import type { AspectRatio, CallContext, GeneratedArtifact, GenerationResult, ImageOptions, Prompt, QuickService } from '../base.js';
import { invalidRequest, ProviderError, requireCount } from '../errors.js';
import type { HfDeps } from './deps.js';
import { parseImageExtra } from './image-options.js';
import { runToEnd } from './media.js';
import { PROVIDER_ID, inferenceProviderFor, modelFor } from './models.js';

export function createHfImage(deps: HfDeps): QuickService<ImageOptions> {
  return {
    async generate(prompt: Prompt, options: ImageOptions, ctx: CallContext): Promise<GenerationResult> {
      requireCount(options.count, PROVIDER_ID);
      if (prompt.attachments.length) throw invalidRequest('huggingface text-to-image takes no attachments (image-to-image is not offered here).', PROVIDER_ID);
      const model = modelFor(deps.env, 'image', options.model);
      const { named, parameters: extra } = parseImageExtra(options.extra);
      const chosen = inferenceProviderFor(deps.catalog, 'image', model, named.provider);
      const route = await deps.router.route(model, chosen.provider, 'text-to-image', ctx);
      const warnings = [...chosen.warnings, ...route.warnings];

      const artifacts: GeneratedArtifact[] = [];
      const requestIds: string[] = [];
      for (let i = 0; i < options.count; i++) {
        const parameters = imageParameters(route.provider, options, named, extra, i);
        let out;
        try {
          out = await runToEnd(deps, { task: 'text-to-image', model, route, inputs: prompt.text, parameters, ...(named.bill_to ? { billTo: named.bill_to } : {}) }, ctx, (st) =>
            ctx.progress({ fraction: artifacts.length / options.count, message: `image ${artifacts.length + 1} of ${options.count}: fal ${st.status === 'IN_QUEUE' ? `queued${st.position !== undefined ? ` (position ${st.position})` : ''}` : 'generating'}` }),
          );
        } catch (err) {
          // Keep the images already paid for unless the caller cancelled.
          if (i === 0 || !(err instanceof ProviderError) || err.code === 'cancelled') throw err;
          warnings.push(`Stopped after ${artifacts.length} of ${options.count} images: ${err.message}`);
          break;
        }
        artifacts.push(...out.artifacts.slice(0, options.count - artifacts.length));
        const id = out.falRequestId ?? out.requestId;
        if (id) requestIds.push(id);
        ctx.progress({ fraction: Math.min(1, artifacts.length / options.count), message: `${artifacts.length} of ${options.count} images` });
        if (artifacts.length >= options.count) break;
      }
      if (options.outputMimeType && !OUTPUT_FORMAT_PROVIDERS.has(route.provider) && artifacts.some((a) => a.mimeType !== options.outputMimeType)) {
        warnings.push(`The model chose its own output format (${[...new Set(artifacts.map((a) => a.mimeType))].join(', ')}); ${options.outputMimeType} cannot be requested on ${route.provider}.`);
      }
      ctx.logger.debug({ provider: PROVIDER_ID, inferenceProvider: route.provider, model, images: artifacts.length }, 'huggingface image done');
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

const OUTPUT_FORMAT_PROVIDERS = new Set(['fal-ai', 'replicate']);

/** The task's `parameters` for image i, in the inference provider's naming; `extra` last, so it wins. */
export function imageParameters(
  provider: string,
  options: ImageOptions,
  named: { width?: number; height?: number },
  extra: Record<string, unknown>,
  index: number,
): Record<string, unknown> {
  const size = named.width || named.height ? { width: named.width, height: named.height } : options.aspectRatio ? sizeFor(options.aspectRatio) : undefined;
  const p: Record<string, unknown> = {};
  if (options.negativePrompt) p.negative_prompt = options.negativePrompt;
  if (options.seed !== undefined) p.seed = options.seed + index;
  if (provider === 'fal-ai') {
    if (size?.width && size.height) p.image_size = { width: size.width, height: size.height };
    if (options.outputMimeType) p.output_format = options.outputMimeType === 'image/jpeg' ? 'jpeg' : options.outputMimeType.slice('image/'.length);
  } else if (provider === 'replicate') {
    if (named.width || named.height) Object.assign(p, clean({ width: named.width, height: named.height }));
    else if (options.aspectRatio) p.aspect_ratio = options.aspectRatio;
    if (options.outputMimeType) p.output_format = options.outputMimeType === 'image/jpeg' ? 'jpg' : options.outputMimeType.slice('image/'.length);
  } else if (size) {
    Object.assign(p, clean(size));
  }
  return { ...p, ...extra };
}

/** Width and height for an aspect ratio: the long side 1024 px, both multiples of 16. */
export function sizeFor(ratio: AspectRatio): { width: number; height: number } {
  const [w, h] = ratio.split(':').map(Number) as [number, number];
  const short = Math.round((1024 * Math.min(w, h)) / Math.max(w, h) / 16) * 16;
  return w >= h ? { width: 1024, height: short } : { width: short, height: 1024 };
}

function clean(o: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;
}
