/**
 * The `local` provider: offline speech with espeak-ng (always available, no key) and
 * text through an OpenAI-compatible server on the caller's machine when
 * LOCAL_OPENAI_BASE_URL is set.
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { parseLocalTtsModel } from './models.js';
import { createLocalText } from './text.js';
import { createLocalTts } from './tts.js';

export const LOCAL_ID = 'local';

const local: ProviderModule = {
  id: LOCAL_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    // Its limits come from config/providers.yaml (local.models.espeak-ng), validated here.
    const tts = await createLocalTts({ model: parseLocalTtsModel(env.info.models) });
    if (!env.env.LOCAL_OPENAI_BASE_URL) return { tts, text: undefined };
    // The SDK loads only when local text is configured.
    const { default: OpenAI } = await import('openai');
    return { tts, text: createLocalText(env, OpenAI) };
  },
};

export default local;
