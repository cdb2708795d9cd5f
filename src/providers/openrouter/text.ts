/** OpenRouter text: one non-streaming chat completion. */
import type { CallContext, GenerationResult, Prompt, TextModelService, TextOptions } from '../base.js';
import { buildMessages, createChatCompletion, textParams, toTextResult, type ChatBody } from '../openai-compatible/chat.js';
import { PROVIDER_ID, USAGE_ACCOUNTING, modelFor, openRouterMetadata, type OpenRouterDeps } from './shared.js';

export function createOpenRouterText({ client, env, secrets }: OpenRouterDeps): TextModelService {
  return {
    async generate(prompt: Prompt, options: TextOptions, ctx: CallContext): Promise<GenerationResult> {
      const model = modelFor(env, 'text', options.model);
      const body: ChatBody = {
        model,
        messages: await buildMessages(prompt, env, PROVIDER_ID),
        ...USAGE_ACCOUNTING,
        ...textParams(options),
        ...options.extra,
      };
      const call = await createChatCompletion(client, body, ctx, PROVIDER_ID, secrets);
      const result = toTextResult(call, model, PROVIDER_ID);
      ctx.logger.debug({ provider: PROVIDER_ID, model: result.model, requestId: result.requestId }, 'openrouter text done');
      return { ...result, providerMetadata: { ...result.providerMetadata, ...openRouterMetadata(call.completion) } };
    },
  };
}
