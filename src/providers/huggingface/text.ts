/**
 * Hugging Face text: one non-streaming `chatCompletion` through the client. Without a named
 * inference provider the client posts to the router's own auto-router
 * (`POST /v1/chat/completions`, model as given); with one (`extra.provider` or the model's
 * YAML `provider`) it first reads the Hub mapping, then posts to
 * `/{provider}/v1/chat/completions` (hf-inference: `/hf-inference/models/{model}/v1/chat/completions`)
 * with the provider's own model id. Both through the routed fetch, with retries off.
 */
import type { InferenceProviderOrPolicy, chatCompletion } from '@huggingface/inference';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CallContext, GenerationResult, Prompt, TextModelService, TextOptions } from '../base.js';
import { invalidRequest } from '../errors.js';
import { buildMessages, textParams, toTextResult } from '../openai-compatible/chat.js';
import { hfCall, type HfDeps } from './deps.js';
import type { CallTrace } from './errors.js';
import { AUTO, PROVIDER_ID, inferenceProviderFor, modelFor } from './models.js';
import { parseTextExtra } from './text-options.js';

/** The client's chat types, taken from its function (they live in @huggingface/tasks, not a direct dependency). */
type ChatCompletionInput = Parameters<typeof chatCompletion>[0];
type ChatCompletionOutput = Awaited<ReturnType<typeof chatCompletion>>;

export function createHfText(deps: HfDeps): TextModelService {
  return {
    async generate(prompt: Prompt, options: TextOptions, ctx: CallContext): Promise<GenerationResult> {
      const model = modelFor(deps.env, 'text', options.model);
      const { named, body } = parseTextExtra(options.extra);
      const { provider, warnings } = inferenceProviderFor(deps.catalog, 'text', model, named.provider);
      if (provider !== AUTO && !(deps.clients.sdk.INFERENCE_PROVIDERS as readonly string[]).includes(provider)) {
        throw invalidRequest(`extra.provider "${provider}" is not an inference provider the client knows (${deps.clients.sdk.INFERENCE_PROVIDERS.join(', ')}, or auto).`, PROVIDER_ID);
      }
      const messages = await buildMessages(prompt, deps.env, PROVIDER_ID);
      const args = {
        ...body,
        ...textParams(options),
        model,
        provider: provider as InferenceProviderOrPolicy,
        messages: messages as ChatCompletionInput['messages'],
      } as ChatCompletionInput & { provider: InferenceProviderOrPolicy };
      const trace: CallTrace = {};
      const completion: ChatCompletionOutput = await hfCall(deps, ctx, trace, provider, () =>
        deps.clients.client.chatCompletion(args, {
          signal: ctx.signal,
          fetch: deps.clients.fetchFor(ctx, trace),
          retry_on_error: false,
          ...(named.bill_to ? { billTo: named.bill_to } : {}),
        }),
      );
      const httpRequestId = trace.headers?.get('x-request-id') ?? undefined;
      // The client's ChatCompletionOutput is the OpenAI shape; the shared reader takes it as such.
      const result = toTextResult({ completion: completion as unknown as ChatCompletion, ...(httpRequestId ? { httpRequestId } : {}) }, model, PROVIDER_ID);
      ctx.logger.debug({ provider: PROVIDER_ID, inferenceProvider: provider, model: result.model, requestId: result.requestId }, 'huggingface text done');
      return {
        ...result,
        ...(warnings.length || result.warnings?.length ? { warnings: [...warnings, ...(result.warnings ?? [])] } : {}),
        providerMetadata: { ...result.providerMetadata, inferenceProvider: provider },
      };
    },
  };
}
