/**
 * OpenRouter: hundreds of chat and image models behind one OpenAI-compatible API,
 * driven through the `openai` SDK (imported in `load()` only, so start-up stays light).
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { ProviderError } from '../errors.js';
import { createOpenAIClient } from '../openai-compatible/chat.js';
import { createOpenRouterImage } from './image.js';
import { PROVIDER_ID } from './shared.js';
import { createOpenRouterText } from './text.js';

export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';

const openrouter: ProviderModule = {
  id: PROVIDER_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    const apiKey = env.env.OPENROUTER_API_KEY;
    if (!apiKey) {
      throw new ProviderError({ code: 'auth', providerId: PROVIDER_ID, message: 'OpenRouter needs OPENROUTER_API_KEY.' });
    }
    const { default: OpenAI } = await import('openai');
    // App attribution: OpenRouter credits requests to the app named by these headers.
    const defaultHeaders: Record<string, string> = {};
    if (env.appUrl) defaultHeaders['HTTP-Referer'] = env.appUrl;
    if (env.appName) defaultHeaders['X-Title'] = env.appName;
    const client = createOpenAIClient(OpenAI, {
      apiKey,
      baseURL: env.info.baseUrl ?? OPENROUTER_BASE_URL,
      defaultHeaders,
    });
    const deps = { client, env, secrets: [apiKey] };
    return { text: createOpenRouterText(deps), image: createOpenRouterImage(deps) };
  },
};

export default openrouter;
