/**
 * Hugging Face video (text-to-video) as a long-running job. hf-inference has no text-to-video;
 * the inference provider here is fal-ai through the router, whose queue is what makes this
 * long-running rather than quick: a video takes minutes, and a submitted job is paid for, so it
 * must survive a restart of this server (polled again from the stored operation, never
 * submitted twice) and be cancellable at fal.
 *
 * - start:  `POST /fal-ai/{fal id}?_subdomain=queue` with `{prompt, ...}` (built by the client) →
 *           `{request_id, response_url, status_url, cancel_url}`
 * - status: `GET /fal-ai{response path}/status?_subdomain=queue` → `{status: IN_QUEUE | IN_PROGRESS | COMPLETED}`;
 *           once COMPLETED, `GET /fal-ai{response path}?_subdomain=queue` → `{video: {url}}`
 * - cancel: `PUT /fal-ai{response path}/cancel?_subdomain=queue` (fal's queue cancel, through the router)
 *
 * Common options → fal input: negative_prompt → `negative_prompt`, seed → `seed`,
 * aspect_ratio → `aspect_ratio`, resolution → `resolution`, generate_audio → `generate_audio`.
 * Length is each model's own field (`num_frames` for Wan, `duration` for Kling): give it in
 * `extra`; duration_seconds alone is not mapped (a warning). One video per job.
 */
import type { CallContext, GeneratedArtifact, GenerationResult, LongRunningService, Operation, OperationStatus, Prompt, VideoOptions } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import type { HfDeps } from './deps.js';
import { falCancel, falResult, falStatus, submit, type FalJob } from './media.js';
import { PROVIDER_ID, inferenceProviderFor, modelFor } from './models.js';
import { parseVideoExtra } from './video-options.js';

/**
 * What we keep about a running fal video job: plain JSON, stored with the job, holding no
 * secret. URLs are the canonical router ones (routed when fetched). `v` is its version;
 * `asJob` reads every version this code ever wrote.
 */
interface FalVideoJob extends FalJob {
  v: 1;
  model: string;
  inferenceProvider: string;
  providerModelId: string;
  startedAt: number;
  warnings: string[];
}

export function createHfVideo(deps: HfDeps): LongRunningService<VideoOptions> {
  return {
    // fal video takes a minute or more; the runner grows the interval ×1.5 up to 10 s.
    pollIntervalMs: 3000,

    async start(prompt: Prompt, options: VideoOptions, ctx: CallContext): Promise<{ operation: Operation }> {
      if (options.count !== 1) throw invalidRequest('huggingface video makes one video per job: set count to 1 and ask again for more.', PROVIDER_ID);
      if (options.image || options.lastFrame || prompt.attachments.length) {
        throw invalidRequest('huggingface video is text-to-video only: image (first frame), last_frame and attachments are not offered.', PROVIDER_ID);
      }
      const model = modelFor(deps.env, 'video', options.model);
      const { named, parameters: extra } = parseVideoExtra(options.extra);
      const chosen = inferenceProviderFor(deps.catalog, 'video', model, named.provider);
      const route = await deps.router.route(model, chosen.provider, 'text-to-video', ctx);
      const warnings = [...chosen.warnings, ...route.warnings];
      if (options.durationSeconds !== undefined && !('duration' in extra) && !('num_frames' in extra)) {
        warnings.push("duration_seconds is not mapped: each fal video model names its length differently (num_frames for Wan, duration for Kling); give the model's own field in extra.");
      }
      const p: Record<string, unknown> = {};
      if (options.negativePrompt) p.negative_prompt = options.negativePrompt;
      if (options.seed !== undefined) p.seed = options.seed;
      if (options.aspectRatio) p.aspect_ratio = options.aspectRatio;
      if (options.resolution) p.resolution = options.resolution;
      if (options.generateAudio !== undefined) p.generate_audio = options.generateAudio;

      const submitted = await submit(deps, { task: 'text-to-video', model, route, inputs: prompt.text, parameters: { ...p, ...extra }, ...(named.bill_to ? { billTo: named.bill_to } : {}) }, ctx);
      if (submitted.kind !== 'queued') {
        throw new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, ...(submitted.requestId ? { requestId: submitted.requestId } : {}), message: `huggingface: ${route.provider} answered a text-to-video submit without a queue job.` });
      }
      const job: FalVideoJob = {
        v: 1,
        ...submitted.job,
        model,
        inferenceProvider: route.provider,
        providerModelId: route.entry.providerId,
        startedAt: Date.now(),
        warnings,
      };
      ctx.logger.debug({ provider: PROVIDER_ID, model, falRequest: job.requestId }, 'huggingface video job submitted');
      return { operation: { ...job } satisfies Operation };
    },

    async status(operation: Operation, ctx: CallContext): Promise<OperationStatus> {
      const job = asJob(operation);
      const status = await falStatus(deps, job, ctx);
      if (status.state === 'pending') {
        const seconds = Math.round((Date.now() - job.startedAt) / 1000);
        const where = status.status === 'IN_QUEUE' ? `queued${status.position !== undefined ? ` (position ${status.position})` : ''}` : 'generating';
        return { state: 'pending', message: `huggingface: ${job.model} on ${job.inferenceProvider} ${where} (${seconds} s)` };
      }
      if (status.state === 'failed') return { state: 'failed', code: 'unavailable', message: `huggingface: the fal job ${job.requestId} failed: ${status.message}` };
      const result = await falResult(deps, job, 'text-to-video', ctx);
      if (!result.ok) return { state: 'failed', code: result.error.code, message: result.error.message };
      return { state: 'done', result: finished(job, result.artifacts) };
    },

    /** fal's queue cancel: accepted for a job still queued; one already running may finish (and bill). */
    async cancel(operation: Operation, ctx: CallContext): Promise<boolean> {
      const job = asJob(operation);
      const told = await falCancel(deps, job, ctx);
      ctx.logger.info({ provider: PROVIDER_ID, model: job.model, falRequest: job.requestId }, 'fal video job cancel requested');
      return told;
    },
  };
}

function finished(job: FalVideoJob, artifacts: GeneratedArtifact[]): GenerationResult {
  return {
    model: job.model,
    artifacts: artifacts.slice(0, 1),
    requestId: job.requestId,
    ...(job.warnings.length ? { warnings: job.warnings } : {}),
    providerMetadata: { inferenceProvider: job.inferenceProvider, providerModelId: job.providerModelId, falRequestId: job.requestId },
  };
}

function asJob(operation: Operation): FalVideoJob {
  const { requestId, statusUrl, resultUrl, cancelUrl, model, inferenceProvider, providerModelId, startedAt, warnings } = operation;
  if (typeof requestId !== 'string' || typeof statusUrl !== 'string' || typeof resultUrl !== 'string' || typeof model !== 'string') {
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: 'Not a huggingface video operation (requestId, statusUrl, resultUrl and model expected).' });
  }
  return {
    v: 1,
    requestId,
    statusUrl,
    resultUrl,
    cancelUrl: typeof cancelUrl === 'string' ? cancelUrl : statusUrl.replace(/\/status(\?|$)/, '/cancel$1'),
    model,
    inferenceProvider: typeof inferenceProvider === 'string' ? inferenceProvider : 'fal-ai',
    providerModelId: typeof providerModelId === 'string' ? providerModelId : model,
    startedAt: typeof startedAt === 'number' ? startedAt : Date.now(),
    warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}
