/**
 * Text for the `local` provider: any OpenAI-compatible server (Ollama, LM Studio, vLLM,
 * llama.cpp) at LOCAL_OPENAI_BASE_URL, e.g. http://127.0.0.1:11434/v1.
 *
 * Usage from local/index.ts, inside `load()` so the SDK loads only when used:
 *
 *   const { default: OpenAI } = await import('openai');
 *   const text = createLocalText(env, OpenAI);
 *
 * The factory never throws: a missing LOCAL_OPENAI_BASE_URL surfaces as an `auth`
 * ProviderError from `generate`, so the rest of the local adapter (tts) still loads.
 */
import type { AdapterEnv, CallContext, GenerationResult, Prompt, TextModelService, TextOptions } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import {
  buildMessages,
  createChatCompletion,
  createOpenAIClient,
  textParams,
  toTextResult,
  type ChatBody,
  type OpenAIConstructor,
} from '../openai-compatible/chat.js';

const PROVIDER_ID = 'local';
/** Local servers ignore the key, but the SDK requires one. */
const PLACEHOLDER_KEY = 'not-needed';

export function createLocalText(env: AdapterEnv, OpenAI: OpenAIConstructor): TextModelService {
  const baseURL = env.env.LOCAL_OPENAI_BASE_URL;
  const apiKey = env.env.LOCAL_OPENAI_API_KEY || PLACEHOLDER_KEY;
  const client = baseURL ? createOpenAIClient(OpenAI, { apiKey, baseURL }) : undefined;
  const secrets = apiKey === PLACEHOLDER_KEY ? [] : [apiKey];

  return {
    async generate(prompt: Prompt, options: TextOptions, ctx: CallContext): Promise<GenerationResult> {
      if (!client) {
        throw new ProviderError({
          code: 'auth',
          providerId: PROVIDER_ID,
          message: 'Local text needs LOCAL_OPENAI_BASE_URL: the /v1 URL of an OpenAI-compatible server (e.g. http://127.0.0.1:11434/v1 for Ollama).',
        });
      }
      const model = options.model ?? env.info.defaultModels.text;
      if (!model) throw invalidRequest('No model given and the local provider has no default text model configured.', PROVIDER_ID);
      const body: ChatBody = {
        model,
        messages: await buildMessages(prompt, env, PROVIDER_ID),
        ...textParams(options),
        ...options.extra,
      };
      const call = await createChatCompletion(client, body, ctx, PROVIDER_ID, secrets);
      const result = toTextResult(call, model, PROVIDER_ID);
      return {
        ...result,
        // Runs on the caller's own hardware: nothing is billed.
        usage: { ...result.usage, costUsd: 0 },
      };
    },
  };
}
