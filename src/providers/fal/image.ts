/**
 * fal images as a queue job: the prompt and common options mapped onto the endpoint's input —
 * `num_images` for count, `image_size` (FLUX presets or `{width, height}`) or `aspect_ratio`
 * for the aspect ratio, `seed`, `output_format`, `negative_prompt` where the endpoint has one,
 * and attachments as `image_url` / `image_urls` — with `extra` merged over it.
 */
import type { ImageOptions, LongRunningService, Prompt } from '../base.js';
import { invalidRequest, requireCount } from '../errors.js';
import { imageUrlFor } from './attachments.js';
import { FalImageExtraSchema } from './image-options.js';
import { endpointFor, fanOut, listed, parseExtra, unsupported } from './input.js';
import { falJobService, type FalDeps, type PreparedJob } from './job.js';
import { PROVIDER_ID, imageSizeFor, specFor } from './models.js';

const FORMATS = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' } as const;

const EDIT_MODELS = 'fal-ai/flux/dev/image-to-image, fal-ai/flux-pro/kontext or fal-ai/nano-banana/edit';

export function createFalImage(deps: FalDeps): LongRunningService<ImageOptions> {
  return falJobService(deps, 'image', (prompt, options) => prepareImage(deps, prompt, options), 1000);
}

async function prepareImage(deps: FalDeps, prompt: Prompt, options: ImageOptions): Promise<PreparedJob> {
  requireCount(options.count, PROVIDER_ID);
  const endpoint = endpointFor(deps.env, 'image', options.model);
  const { spec, known } = specFor(endpoint, 'image');
  const extra = parseExtra(FalImageExtraSchema, options.extra);
  const input: Record<string, unknown> = { [spec.promptField]: prompt.text };
  if (spec.countField) input[spec.countField] = options.count;

  const ratio = options.aspectRatio;
  if (ratio) {
    if (!spec.aspect) unsupported(endpoint, 'an aspect ratio');
    if (spec.aspect.field === 'image_size') input.image_size = imageSizeFor(ratio);
    else if (spec.aspect.field === 'both') Object.assign(input, { aspect_ratio: ratio, image_size: imageSizeFor(ratio) });
    else {
      const values = spec.aspect.values;
      if (values && !values.includes(ratio)) unsupported(endpoint, `aspect ratio ${ratio}`, `it takes ${listed(values)}`);
      input.aspect_ratio = ratio;
    }
  }
  if (options.negativePrompt) {
    if (!spec.negativePrompt) unsupported(endpoint, 'a negative prompt', 'describe what to leave out in the prompt instead');
    input.negative_prompt = options.negativePrompt;
  }
  if (options.seed !== undefined) {
    if (!spec.seed) unsupported(endpoint, 'a seed');
    input.seed = options.seed;
  }
  if (options.outputMimeType) {
    const format = FORMATS[options.outputMimeType];
    if (spec.outputFormats && !spec.outputFormats.includes(format)) unsupported(endpoint, `output_format ${format}`, `it makes ${listed(spec.outputFormats)}`);
    input.output_format = format;
  }

  const images = prompt.attachments;
  if (images.length) {
    const field = spec.imageInput?.field;
    if (!field) unsupported(endpoint, 'reference images', `use an image-editing endpoint such as ${EDIT_MODELS}`);
    if (field === 'image_url' && images.length > 1) unsupported(endpoint, `${images.length} images`, 'it takes one (image_url)');
    const urls = await Promise.all(images.map((a, i) => imageUrlFor(a, deps.env, `attachments[${i}]`)));
    if (field === 'image_urls' || (field === 'auto' && urls.length > 1)) input.image_urls = urls;
    else input.image_url = urls[0];
  } else if (spec.imageInput?.required) {
    throw invalidRequest(`${endpoint} edits an image: attach one (attachments).`, PROVIDER_ID);
  }

  const warnings = known
    ? []
    : [`${endpoint} is not one of the fal image endpoints this server knows; it was sent fal's common fields (prompt, num_images, image_size and aspect_ratio, seed, output_format, negative_prompt). Set its own in extra.`];
  return {
    endpoint,
    inputs: fanOut({ ...input, ...extra }, options.count, spec, options.seed),
    count: options.count,
    warnings,
  };
}
