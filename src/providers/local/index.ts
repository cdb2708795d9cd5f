/**
 * The `local` provider: offline speech with espeak-ng (always available, no key) and
 * text through an OpenAI-compatible server on the caller's machine when
 * LOCAL_OPENAI_BASE_URL is set.
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { createLocalText } from './text.js';
import { createLocalTts } from './tts.js';

export const LOCAL_ID = 'local';

const local: ProviderModule = {
  id: LOCAL_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    const tts = await createLocalTts();
    if (!env.env.LOCAL_OPENAI_BASE_URL) return { tts, text: undefined };
    // The SDK loads only when local text is configured.
    const { default: OpenAI } = await import('openai');
    return { tts, text: createLocalText(env, OpenAI) };
  },
};

export default local;
