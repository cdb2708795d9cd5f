/**
 * OpenRouter images: chat completions with `modalities: ['image', 'text']`. Images come
 * back as data URLs in `choices[0].message.images[].image_url.url`.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CallContext, GeneratedArtifact, GenerationResult, ImageOptions, Prompt, QuickService, Usage } from '../base.js';
import { ProviderError, requireCount } from '../errors.js';
import {
  buildMessages,
  createChatCompletion,
  finishReason,
  finishWarnings,
  mapUsage,
  messageText,
  sumUsage,
  type ChatBody,
  type ChatCall,
} from '../openai-compatible/chat.js';
import { field } from '../../util/field.js';
import { decodeDataUri, imageSize, mimeTypeFromName } from '../../util/media.js';
import { PROVIDER_ID, USAGE_ACCOUNTING, modelFor, openRouterMetadata, type OpenRouterDeps } from './shared.js';

export function createOpenRouterImage({ client, env, secrets }: OpenRouterDeps): QuickService<ImageOptions> {
  return {
    async generate(prompt: Prompt, options: ImageOptions, ctx: CallContext): Promise<GenerationResult> {
      requireCount(options.count, PROVIDER_ID);
      const model = modelFor(env, 'image', options.model);
      // No negative-prompt field on chat models: say it in words.
      const text = options.negativePrompt ? `${prompt.text}\n\nAvoid: ${options.negativePrompt}` : prompt.text;
      const messages = await buildMessages({ ...prompt, text }, env, PROVIDER_ID);

      const artifacts: GeneratedArtifact[] = [];
      const warnings = new Set<string>();
      const generationIds: string[] = [];
      const said: string[] = [];
      let usage: Usage | undefined;
      let last: ChatCall | undefined;

      // A model may return several images per message; ask again, one request at a time,
      // until `count` is reached. At most `count` requests, so a model that returns none stops early.
      for (let i = 0; i < options.count && artifacts.length < options.count; i++) {
        let call: ChatCall;
        try {
          call = await createChatCompletion(client, requestBody(model, messages, options, i), ctx, PROVIDER_ID, secrets);
        } catch (err) {
          // Keep the images already paid for unless the caller cancelled.
          if (i === 0 || !(err instanceof ProviderError) || err.code === 'cancelled') throw err;
          warnings.add(`Stopped after ${artifacts.length} of ${options.count} images: ${err.message}`);
          break;
        }
        last = call;
        usage = sumUsage(usage, mapUsage(call.completion.usage));
        if (call.completion.id) generationIds.push(call.completion.id);
        const reply = messageText(call.completion).trim();
        if (reply) said.push(reply);
        for (const w of finishWarnings(finishReason(call.completion))) warnings.add(w);

        const images = imagesIn(call);
        if (images.length === 0) {
          if (artifacts.length === 0) throw noImageError(call, model);
          warnings.add(`Request ${i + 1} returned no image; stopped at ${artifacts.length} of ${options.count}.`);
          break;
        }
        artifacts.push(...images.slice(0, options.count - artifacts.length));
        ctx.progress({ fraction: artifacts.length / options.count, message: `${artifacts.length} of ${options.count} images` });
      }

      if (artifacts.length < options.count && warnings.size === 0) {
        warnings.add(`OpenRouter returned ${artifacts.length} of ${options.count} requested images.`);
      }
      if (options.outputMimeType && artifacts.some((a) => a.mimeType !== options.outputMimeType)) {
        warnings.add(`The model chose its own output format (${[...new Set(artifacts.map((a) => a.mimeType))].join(', ')}); ${options.outputMimeType} cannot be requested through OpenRouter chat completions.`);
      }
      ctx.logger.debug({ provider: PROVIDER_ID, model, images: artifacts.length, generationIds }, 'openrouter image done');
      return {
        model: last?.completion.model || model,
        artifacts,
        ...(said.length > 0 ? { text: said.join('\n\n') } : {}),
        usage,
        requestId: generationIds[0] ?? last?.httpRequestId,
        ...(warnings.size > 0 ? { warnings: [...warnings] } : {}),
        providerMetadata: { generationIds, requests: generationIds.length, ...(last ? openRouterMetadata(last.completion) : {}) },
        raw: last?.completion,
      };
    },
  };
}

function requestBody(model: string, messages: ChatCompletionMessageParam[], options: ImageOptions, index: number): ChatBody {
  const { image_config: extraImageConfig, ...extra } = options.extra;
  // Merge rather than replace, so `extra.image_config` (e.g. image_size) and aspectRatio combine.
  const imageConfig: Record<string, unknown> = {
    ...(options.aspectRatio ? { aspect_ratio: options.aspectRatio } : {}),
    ...(extraImageConfig && typeof extraImageConfig === 'object' ? (extraImageConfig as Record<string, unknown>) : {}),
  };
  return {
    model,
    messages,
    // Image-only models (e.g. Flux) want ['image']; callers can set `extra.modalities`.
    modalities: ['image', 'text'],
    ...USAGE_ACCOUNTING,
    // Same seed on every request would repeat the same image.
    ...(options.seed !== undefined ? { seed: options.seed + index } : {}),
    ...extra,
    ...(Object.keys(imageConfig).length > 0 ? { image_config: imageConfig } : {}),
  };
}

/** The images in `message.images`: decoded data URLs, or URLs for the artifact layer to fetch. */
function imagesIn(call: ChatCall): GeneratedArtifact[] {
  const images = field(call.completion.choices[0]?.message, 'images');
  if (!Array.isArray(images)) return [];
  const out: GeneratedArtifact[] = [];
  for (const image of images) {
    const url = field(field(image, 'image_url'), 'url');
    if (typeof url !== 'string') continue;
    if (url.startsWith('data:')) {
      const decoded = decodeDataUri(url);
      if (!decoded) {
        throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, requestId: call.completion.id, message: 'OpenRouter returned an image data URL that could not be decoded.' });
      }
      out.push({ source: { kind: 'bytes', data: decoded.data }, mimeType: decoded.mimeType ?? 'text/plain', ...imageSize(decoded.data) });
    } else if (url.startsWith('https://')) {
      out.push({ source: { kind: 'url', url }, mimeType: mimeTypeFromName(url) ?? 'image/png' });
    }
  }
  return out;
}

function noImageError(call: ChatCall, model: string): ProviderError {
  const requestId = call.completion.id || call.httpRequestId;
  if (finishReason(call.completion) === 'content_filter') {
    return new ProviderError({ code: 'content_filtered', providerId: PROVIDER_ID, requestId, message: 'OpenRouter: the image was blocked by the content filter.' });
  }
  const reply = messageText(call.completion).trim();
  const quoted = reply ? ` The model said: "${reply.length > 300 ? `${reply.slice(0, 300)}…` : reply}"` : '';
  return new ProviderError({
    code: 'internal',
    providerId: PROVIDER_ID,
    requestId,
    message: `OpenRouter model ${model} returned no image (check that it lists "image" among its output modalities).${quoted}`,
  });
}
