/**
 * Veo video as a long-running job: `generateVideos` starts it (`predictLongRunning`),
 * `getVideosOperation` polls it (`fetchPredictOperation`); the runner owns the poll loop,
 * progress notifications and cancellation. The operation handed back is plain JSON, so a
 * job can be polled from anywhere. Finished videos arrive as bytes, or as gs:// objects
 * when an output bucket is configured (GOOGLE_VERTEX_OUTPUT_GCS_URI), which are streamed
 * into the artifact store.
 */
import type { GenerateVideosConfig, GenerateVideosOperation, GenerateVideosParameters } from '@google/genai';
import type { CallContext, GeneratedArtifact, GenerationResult, LongRunningService, Operation, OperationStatus, Prompt, VideoOptions } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { resolveMedia, toImage } from './attachments.js';
import { callOptions } from './client.js';
import { headerRequestId, optionalBoolean, personGeneration, pickModel, splitExtra, vertexCall, type VertexDeps } from './deps.js';
import { OperationFailure, contentFiltered, toVertexError } from './errors.js';
import { field } from '../../util/field.js';
import { gcsArtifact } from './gcs.js';
import { fromBase64 } from '../../util/media.js';
import { PROVIDER_ID } from './models.js';

/** Named `extra` options for video (everything else is merged into the request body). */
const VIDEO_EXTRA = ['person_generation', 'enhance_prompt'] as const;

/**
 * What we keep about a running Veo job: plain JSON, stored with the job. `v` is its version:
 * `asJob` reads every version this code ever wrote (v0 had no `v`), so a job stored by one
 * release is resumed by the next.
 */
interface VeoJob {
  v: 1;
  /** `projects/…/publishers/google/models/<model>/operations/<id>` */
  name: string;
  model: string;
  location: string;
  count: number;
  durationSeconds?: number;
  startedAt: number;
  warnings: string[];
}

export function createVertexVideo(deps: VertexDeps): LongRunningService<VideoOptions> {
  return {
    // Veo takes a minute or more; the runner grows the interval ×1.5 up to 10 s.
    pollIntervalMs: 5000,

    async start(prompt: Prompt, options: VideoOptions, ctx: CallContext): Promise<{ operation: Operation }> {
      const choice = pickModel(deps, 'video', options.model, {
        count: options.count,
        aspectRatio: options.aspectRatio,
        durationSeconds: options.durationSeconds,
        resolution: options.resolution,
        generateAudio: options.generateAudio,
        image: options.image,
        lastFrame: options.lastFrame,
        negativePrompt: options.negativePrompt,
        seed: options.seed,
      });
      if (options.lastFrame && !options.image) throw invalidRequest('last_frame needs image (the first frame) too.', PROVIDER_ID);
      const { named, body } = splitExtra(options.extra, VIDEO_EXTRA);
      const warnings = [...choice.warnings];

      const frame = (att: NonNullable<VideoOptions['image']>, label: string) =>
        resolveMedia(att, deps.env, { https: 'download', imagesOnly: true, label, signal: ctx.signal }).then(toImage);
      const image = options.image ? await frame(options.image, 'image') : undefined;
      const lastFrame = options.lastFrame ? await frame(options.lastFrame, 'last_frame') : undefined;

      const { outputGcsUri, mode } = deps.clients.settings;
      if (outputGcsUri && mode === 'api-key') warnings.push('GOOGLE_VERTEX_OUTPUT_GCS_URI is ignored in API-key (express) mode; the videos came back inline.');
      const person = personGeneration(named.person_generation);
      const enhance = optionalBoolean(named.enhance_prompt, 'extra.enhance_prompt');
      const config: GenerateVideosConfig = {
        numberOfVideos: options.count,
        ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
        ...(options.aspectRatio ? { aspectRatio: options.aspectRatio } : {}),
        ...(options.resolution ? { resolution: options.resolution } : {}),
        ...(options.generateAudio !== undefined ? { generateAudio: options.generateAudio } : {}),
        ...(options.negativePrompt ? { negativePrompt: options.negativePrompt } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(person ? { personGeneration: person } : {}),
        ...(enhance !== undefined ? { enhancePrompt: enhance } : {}),
        ...(lastFrame ? { lastFrame } : {}),
        ...(outputGcsUri && mode === 'adc' ? { outputGcsUri } : {}),
      };
      const call = callOptions(ctx, body);
      const params: GenerateVideosParameters = {
        model: choice.model,
        source: { prompt: prompt.text, ...(image ? { image } : {}) },
        config: { ...config, abortSignal: call.abortSignal, httpOptions: call.httpOptions },
      };
      const ai = deps.clients.client(choice.location, ctx.logger);
      const op = await vertexCall(deps, ctx, call.trace, () => ai.models.generateVideos(params));
      if (!op.name) throw new ProviderError({ code: 'unavailable', providerId: PROVIDER_ID, requestId: headerRequestId(call.trace), message: 'Vertex AI started a Veo job but returned no operation name.' });
      const job: VeoJob = {
        v: 1,
        name: op.name,
        model: choice.model,
        location: choice.location,
        count: options.count,
        ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
        startedAt: Date.now(),
        warnings,
      };
      ctx.logger.debug({ provider: PROVIDER_ID, model: choice.model, operation: op.name }, 'veo job started');
      return { operation: { ...job } satisfies Operation };
    },

    async status(operation: Operation, ctx: CallContext): Promise<OperationStatus> {
      const job = asJob(operation);
      const call = callOptions(ctx);
      const ai = deps.clients.client(job.location, ctx.logger);
      // getVideosOperation needs an SDK operation object; only its name is read.
      const current: GenerateVideosOperation = Object.assign(new deps.clients.sdk.GenerateVideosOperation(), { name: job.name });
      const op = await vertexCall(deps, ctx, call.trace, () =>
        ai.operations.getVideosOperation({ operation: current, config: { abortSignal: call.abortSignal, httpOptions: call.httpOptions } }),
      );
      // The job's own failure is a value: a google.rpc.Status with a gRPC code, mapped like every other error.
      if (op.error) {
        const failure = toVertexError(new OperationFailure(op.error), { secrets: deps.secrets });
        return { state: 'failed', code: failure.code, message: failure.message };
      }
      if (!op.done) {
        const seconds = Math.round((Date.now() - job.startedAt) / 1000);
        const percent = field(op.metadata, 'progressPercent');
        return {
          state: 'pending',
          ...(typeof percent === 'number' ? { progress: Math.min(1, Math.max(0, percent / 100)) } : {}),
          message: `google-vertex: ${job.model} generating (${seconds} s)`,
        };
      }
      const filtered = allFiltered(op);
      if (filtered) return { state: 'failed', code: 'content_filtered', message: contentFiltered(filtered).message };
      return { state: 'done', result: await finished(deps, job, op, ctx) };
    },

    /**
     * Vertex exposes no cancel for Veo prediction operations (the SDK has none, and the
     * generic operations:cancel is not offered for publisher-model jobs), so the job runs
     * to its end on Google's side, and is billed; only our polling stops.
     */
    async cancel(operation: Operation, ctx: CallContext): Promise<boolean> {
      const job = asJob(operation);
      ctx.logger.info({ provider: PROVIDER_ID, model: job.model, operation: job.name }, 'veo job abandoned: Vertex AI offers no cancel for it, it will finish (and bill) on its own');
      return false;
    },
  };
}

async function finished(deps: VertexDeps, job: VeoJob, op: GenerateVideosOperation, ctx: CallContext): Promise<GenerationResult> {
  const response = op.response;
  const warnings = [...job.warnings];
  const artifacts: GeneratedArtifact[] = [];
  const duration = job.durationSeconds !== undefined ? { durationSeconds: job.durationSeconds } : {};
  for (const generated of response?.generatedVideos ?? []) {
    const video = generated.video;
    const mimeType = video?.mimeType || 'video/mp4';
    if (video?.videoBytes) {
      artifacts.push({ source: { kind: 'bytes', data: fromBase64(video.videoBytes) }, mimeType, ...duration });
    } else if (video?.uri?.startsWith('gs://')) {
      artifacts.push(await gcsArtifact(deps, video.uri, mimeType, ctx, duration));
    } else if (video?.uri) {
      artifacts.push({ source: { kind: 'url', url: video.uri }, sourceUri: video.uri, mimeType, ...duration });
    }
  }
  const filteredCount = response?.raiMediaFilteredCount ?? 0;
  const reasons = response?.raiMediaFilteredReasons ?? [];
  if (!artifacts.length) {
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: `The Veo job ${job.name} finished without videos.` });
  }
  if (artifacts.length < job.count && !filteredCount && !reasons.length) warnings.push(`Veo returned ${artifacts.length} of ${job.count} requested videos.`);
  if (filteredCount > 0 || reasons.length) {
    warnings.push(`${filteredCount || reasons.length} video${(filteredCount || reasons.length) === 1 ? ' was' : 's were'} filtered out${reasons.length ? `: ${reasons.join('; ')}` : ''}.`);
  }
  ctx.logger.debug({ provider: PROVIDER_ID, model: job.model, operation: job.name, videos: artifacts.length }, 'veo job done');
  return {
    model: job.model,
    artifacts,
    requestId: job.name.split('/operations/')[1] ?? job.name,
    ...(warnings.length ? { warnings } : {}),
    providerMetadata: { operation: job.name, location: job.location, filtered: filteredCount },
  };
}

/** The reason every video of a finished job was filtered out, or undefined when one survived. */
function allFiltered(op: GenerateVideosOperation): string | undefined {
  const response = op.response;
  const survived = (response?.generatedVideos ?? []).some((g) => g.video?.videoBytes || g.video?.uri);
  const count = response?.raiMediaFilteredCount ?? 0;
  const reasons = response?.raiMediaFilteredReasons ?? [];
  if (survived || (!count && !reasons.length)) return undefined;
  return `all videos were filtered${reasons.length ? `: ${reasons.join('; ')}` : ` (${count})`}`;
}

function asJob(operation: Operation): VeoJob {
  const { name, model, location, count, durationSeconds, startedAt, warnings } = operation;
  if (typeof name !== 'string' || typeof model !== 'string' || typeof location !== 'string') {
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, message: 'Not a google-vertex Veo operation (name, model and location expected).' });
  }
  return {
    v: 1,
    name,
    model,
    location,
    count: typeof count === 'number' ? count : 1,
    ...(typeof durationSeconds === 'number' ? { durationSeconds } : {}),
    startedAt: typeof startedAt === 'number' ? startedAt : Date.now(),
    warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}
