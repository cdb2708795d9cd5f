/**
 * fal videos as a queue job (minutes at fal; the runner polls, the job layer persists the
 * request ids): prompt, `aspect_ratio`, `duration` in the endpoint's own form ("5", "8s", 5),
 * `negative_prompt`, `seed`, `resolution`, `generate_audio`, the first frame as `image_url` and
 * Kling's last frame as `tail_image_url`, with `extra` merged over it. A text-to-video endpoint
 * given a first frame moves to its image-to-video sibling. One video per request: `count`
 * queues that many requests.
 */
import type { LongRunningService, Prompt, VideoOptions } from '../base.js';
import { invalidRequest, requireCount } from '../errors.js';
import { imageUrlFor } from './attachments.js';
import { endpointFor, fanOut, listed, mapDurationNegativeSeed, parseExtra, unsupported } from './input.js';
import { falJobService, type FalDeps, type PreparedJob } from './job.js';
import { PROVIDER_ID, specFor } from './models.js';
import { FalVideoExtraSchema } from './video-options.js';

export function createFalVideo(deps: FalDeps): LongRunningService<VideoOptions> {
  return falJobService(deps, 'video', (prompt, options) => prepareVideo(deps, prompt, options), 5000);
}

async function prepareVideo(deps: FalDeps, prompt: Prompt, options: VideoOptions): Promise<PreparedJob> {
  requireCount(options.count, PROVIDER_ID);
  let endpoint = endpointFor(deps.env, 'video', options.model);
  let { spec, known } = specFor(endpoint, 'video');
  const warnings: string[] = [];
  if (options.image && !spec.imageInput && spec.imageVariant) {
    warnings.push(`A first frame was given, so ${spec.imageVariant} (the image-to-video endpoint of ${endpoint}) made the video.`);
    endpoint = spec.imageVariant;
    ({ spec, known } = specFor(endpoint, 'video'));
  }
  const extra = parseExtra(FalVideoExtraSchema, options.extra);
  const input: Record<string, unknown> = { [spec.promptField]: prompt.text };

  if (options.aspectRatio) {
    if (!spec.aspect) unsupported(endpoint, 'an aspect ratio', spec.imageInput?.required ? 'the first frame sets the shape' : '');
    if (spec.aspect.field === 'aspect_ratio' && spec.aspect.values && !spec.aspect.values.includes(options.aspectRatio)) {
      unsupported(endpoint, `aspect ratio ${options.aspectRatio}`, `it takes ${listed(spec.aspect.values)}`);
    }
    input.aspect_ratio = options.aspectRatio;
  }
  const seconds = options.durationSeconds;
  mapDurationNegativeSeed(input, endpoint, spec, options);
  if (options.resolution) {
    if (!spec.resolutions?.includes(options.resolution)) unsupported(endpoint, `resolution ${options.resolution}`, spec.resolutions ? `it makes ${listed(spec.resolutions)}` : '');
    input.resolution = options.resolution;
  }
  if (options.generateAudio !== undefined) {
    // "No soundtrack" is what a silent model makes anyway; asking for one it cannot make is an error.
    if (spec.generateAudio) input.generate_audio = options.generateAudio;
    else if (options.generateAudio) unsupported(endpoint, 'generate_audio', 'it makes silent video');
  }
  if (options.image) {
    if (!spec.imageInput) unsupported(endpoint, 'a first frame (image)', 'use an image-to-video endpoint such as fal-ai/kling-video/v2.5-turbo/pro/image-to-video');
    input.image_url = await imageUrlFor(options.image, deps.env, 'image');
  } else if (spec.imageInput?.required) {
    throw invalidRequest(`${endpoint} animates an image: give image (the first frame).`, PROVIDER_ID);
  }
  if (options.lastFrame) {
    if (!options.image) throw invalidRequest('last_frame needs image (the first frame) too.', PROVIDER_ID);
    if (!spec.lastFrameField) unsupported(endpoint, 'a last frame', 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video does');
    input[spec.lastFrameField] = await imageUrlFor(options.lastFrame, deps.env, 'last_frame');
  }

  if (!known) {
    warnings.push(`${endpoint} is not one of the fal video endpoints this server knows; it was sent fal's common fields (prompt, aspect_ratio, duration in seconds, negative_prompt, seed, resolution, generate_audio, image_url). Set its own in extra.`);
  }
  return {
    endpoint,
    inputs: fanOut({ ...input, ...extra }, options.count, spec, options.seed),
    count: options.count,
    warnings,
    ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
  };
}
