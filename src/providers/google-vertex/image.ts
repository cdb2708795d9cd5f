/**
 * Images. The model id decides the API: `imagen-*` → Imagen (`generateImages`, the
 * Vertex `predict` endpoint), Gemini image models (`gemini-*image*`) → `generateContent`
 * with image output and reference images as parts. A `models:` entry can say `api:`.
 * RAI-filtered images come back as warnings with the reason; when all are filtered the
 * call is `content_filtered`.
 */
import type { Content, GenerateImagesConfig, GenerateImagesResponse, Part, PersonGeneration, SafetyFilterLevel } from '@google/genai';
import type { CallContext, GeneratedArtifact, GenerationResult, ImageOptions, Prompt, QuickService, Usage } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { resolveMedia, toPart } from './attachments.js';
import { callOptions } from './client.js';
import { headerRequestId, optionalBoolean, personGeneration, pickModel, requiredString, splitExtra, vertexCall, type VertexDeps } from './deps.js';
import { contentFiltered } from './errors.js';
import { addUsage, answerText, filteredReason, finishReason, generateContent, partsOf, throwIfPromptBlocked, usageOf } from './gemini.js';
import { gcsArtifact } from './gcs.js';
import { fromBase64, imageSize, sniffMimeType } from '../../util/media.js';
import { PROVIDER_ID, type ModelChoice } from './models.js';

/** Named `extra` options for images (everything else is merged into the request body). */
const IMAGE_EXTRA = ['person_generation', 'add_watermark', 'enhance_prompt', 'image_size', 'safety_filter_level'] as const;
type ImageExtra = Partial<Record<(typeof IMAGE_EXTRA)[number], unknown>>;

export function createVertexImage(deps: VertexDeps): QuickService<ImageOptions> {
  return {
    async generate(prompt: Prompt, options: ImageOptions, ctx: CallContext): Promise<GenerationResult> {
      const choice = pickModel(deps, 'image', options.model, {
        count: options.count,
        aspectRatio: options.aspectRatio,
        negativePrompt: options.negativePrompt,
        seed: options.seed,
        outputMimeType: options.outputMimeType,
        referenceImages: prompt.attachments.length,
      });
      const { named, body } = splitExtra(options.extra, IMAGE_EXTRA);
      const api = choice.spec?.api ?? (/^imagen-/i.test(choice.model) ? 'imagen' : 'gemini');
      return api === 'imagen' ? imagen(deps, prompt, options, ctx, choice, named, body) : geminiImage(deps, prompt, options, ctx, choice, named, body);
    },
  };
}

async function imagen(
  deps: VertexDeps,
  prompt: Prompt,
  options: ImageOptions,
  ctx: CallContext,
  choice: ModelChoice,
  named: ImageExtra,
  body: Record<string, unknown>,
): Promise<GenerationResult> {
  if (prompt.attachments.length) {
    throw invalidRequest(`${choice.model} (Imagen) generates from text only; for reference images use a Gemini image model such as gemini-2.5-flash-image.`, PROVIDER_ID);
  }
  const warnings = [...choice.warnings];
  const watermark = optionalBoolean(named.add_watermark, 'extra.add_watermark');
  // Imagen refuses a seed while the SynthID watermark is on.
  if (options.seed !== undefined && watermark === true) {
    throw invalidRequest('Imagen ignores a seed while add_watermark is true: drop the seed or set extra.add_watermark to false.', PROVIDER_ID);
  }
  if (options.seed !== undefined && watermark === undefined) {
    warnings.push('A seed needs the SynthID watermark off, so add_watermark was set to false for this call.');
  }
  const person = personGeneration(named.person_generation);
  const config: GenerateImagesConfig = {
    numberOfImages: options.count,
    includeRaiReason: true,
    ...(options.aspectRatio ? { aspectRatio: options.aspectRatio } : {}),
    ...(options.negativePrompt ? { negativePrompt: options.negativePrompt } : {}),
    ...(options.seed !== undefined ? { seed: options.seed, addWatermark: false } : {}),
    ...(watermark !== undefined ? { addWatermark: watermark } : {}),
    ...(options.outputMimeType ? { outputMimeType: options.outputMimeType } : {}),
    // The REST values are lower-case (dont_allow, allow_adult, allow_all); the SDK's enum type is not.
    ...(person ? { personGeneration: person as unknown as PersonGeneration } : {}),
    ...(named.enhance_prompt !== undefined ? { enhancePrompt: optionalBoolean(named.enhance_prompt, 'extra.enhance_prompt') } : {}),
    ...(named.image_size !== undefined ? { imageSize: requiredString(named.image_size, 'extra.image_size') } : {}),
    ...(named.safety_filter_level !== undefined ? { safetyFilterLevel: requiredString(named.safety_filter_level, 'extra.safety_filter_level').toUpperCase() as SafetyFilterLevel } : {}),
  };
  const call = callOptions(ctx, body);
  const ai = deps.clients.client(choice.location, ctx.logger);
  const response: GenerateImagesResponse = await vertexCall(deps, ctx, call.trace, () =>
    ai.models.generateImages({ model: choice.model, prompt: prompt.text, config: { ...config, abortSignal: call.abortSignal, httpOptions: call.httpOptions } }),
  );
  const requestId = headerRequestId(call.trace);

  const artifacts: GeneratedArtifact[] = [];
  const filtered: string[] = [];
  for (const generated of response.generatedImages ?? []) {
    const bytes = generated.image?.imageBytes;
    if (bytes) {
      const data = fromBase64(bytes);
      artifacts.push({ source: { kind: 'bytes', data }, mimeType: generated.image?.mimeType || sniffMimeType(data) || 'image/png', ...imageSize(data) });
    } else if (generated.image?.gcsUri) {
      // Only when `extra` asked for a storageUri: Vertex then writes to the bucket instead.
      artifacts.push(await gcsArtifact(deps, generated.image.gcsUri, generated.image.mimeType || 'image/png', ctx));
    } else if (generated.raiFilteredReason) {
      filtered.push(generated.raiFilteredReason);
    }
  }
  if (!artifacts.length) {
    throw filtered.length
      ? contentFiltered(`all ${options.count} image${options.count === 1 ? ' was' : 's were'} filtered: ${filtered.join('; ')}`, requestId)
      : contentFiltered('Imagen returned no image (the prompt or its results were filtered without a reason)', requestId);
  }
  for (const reason of filtered) warnings.push(`One image was filtered out: ${reason}`);
  if (artifacts.length < options.count && !filtered.length) warnings.push(`Imagen returned ${artifacts.length} of ${options.count} requested images.`);
  ctx.logger.debug({ provider: PROVIDER_ID, model: choice.model, images: artifacts.length, filtered: filtered.length }, 'vertex imagen done');
  return {
    model: choice.model,
    artifacts,
    requestId,
    ...(warnings.length ? { warnings } : {}),
    providerMetadata: { api: 'imagen', location: choice.location, filtered: filtered.length },
  };
}

async function geminiImage(
  deps: VertexDeps,
  prompt: Prompt,
  options: ImageOptions,
  ctx: CallContext,
  choice: ModelChoice,
  named: ImageExtra,
  body: Record<string, unknown>,
): Promise<GenerationResult> {
  const { Modality } = deps.clients.sdk;
  // No negative-prompt field on Gemini: say it in words.
  const text = options.negativePrompt ? `${prompt.text}\n\nAvoid: ${options.negativePrompt}` : prompt.text;
  const parts: Part[] = [{ text }];
  for (const [i, att] of prompt.attachments.entries()) {
    parts.push(toPart(await resolveMedia(att, deps.env, { https: 'pass', imagesOnly: true, label: `attachments[${i}]`, signal: ctx.signal })));
  }
  const contents: Content[] = [{ role: 'user', parts }];
  const person = personGeneration(named.person_generation);
  const imageConfig = {
    ...(options.aspectRatio ? { aspectRatio: options.aspectRatio } : {}),
    ...(options.outputMimeType ? { outputMimeType: options.outputMimeType } : {}),
    ...(named.image_size !== undefined ? { imageSize: requiredString(named.image_size, 'extra.image_size') } : {}),
    // Gemini spells "none" differently from Imagen.
    ...(person ? { personGeneration: person === 'dont_allow' ? 'ALLOW_NONE' : person.toUpperCase() } : {}),
  };

  const warnings = [...choice.warnings];
  const artifacts: GeneratedArtifact[] = [];
  const said: string[] = [];
  const responseIds: string[] = [];
  let usage: Usage | undefined;
  let model = choice.model;
  // One image per request is what these models give; ask again until `count` is reached.
  for (let i = 0; i < options.count && artifacts.length < options.count; i++) {
    let call;
    try {
      call = await generateContent(deps, ctx, choice, contents, {
        responseModalities: [Modality.TEXT, Modality.IMAGE],
        ...(Object.keys(imageConfig).length ? { imageConfig } : {}),
        // The same seed on every request would repeat the same image.
        ...(options.seed !== undefined ? { seed: options.seed + i } : {}),
      }, body);
    } catch (err) {
      // Keep the images already paid for, unless the caller cancelled.
      if (i === 0 || !(err instanceof ProviderError) || err.code === 'cancelled') throw err;
      warnings.push(`Stopped after ${artifacts.length} of ${options.count} images: ${err.message}`);
      break;
    }
    throwIfPromptBlocked(call);
    usage = addUsage(usage, usageOf(call));
    if (call.requestId) responseIds.push(call.requestId);
    model = call.response.modelVersion || model;
    const reply = answerText(call).trim();
    if (reply) said.push(reply);
    const images = partsOf(call).flatMap((p): GeneratedArtifact[] => {
      const data = p.inlineData?.data;
      if (!data || !p.inlineData?.mimeType?.startsWith('image/')) return [];
      const bytes = fromBase64(data);
      return [{ source: { kind: 'bytes', data: bytes }, mimeType: p.inlineData.mimeType, ...imageSize(bytes) }];
    });
    if (!images.length) {
      const filtered = filteredReason(call);
      if (artifacts.length === 0) {
        if (filtered) throw contentFiltered(`no image was returned (${filtered})`, call.requestId);
        throw new ProviderError({
          code: 'internal',
          providerId: PROVIDER_ID,
          requestId: call.requestId,
          message: `${choice.model} returned no image (finishReason ${finishReason(call) ?? 'none'})${reply ? `; it said: "${reply.slice(0, 300)}"` : ''}.`,
        });
      }
      warnings.push(`Request ${i + 1} returned no image${filtered ? ` (${filtered})` : ''}; stopped at ${artifacts.length} of ${options.count}.`);
      break;
    }
    artifacts.push(...images.slice(0, options.count - artifacts.length));
    ctx.progress({ fraction: artifacts.length / options.count, message: `${artifacts.length} of ${options.count} images` });
  }
  return {
    model,
    artifacts,
    ...(said.length ? { text: said.join('\n\n') } : {}),
    usage,
    requestId: responseIds[0],
    ...(warnings.length ? { warnings } : {}),
    providerMetadata: { api: 'gemini', location: choice.location, responseIds },
  };
}
