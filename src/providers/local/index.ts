/**
 * The `local` provider: offline speech with espeak-ng (always available, no key) and
 * text through an OpenAI-compatible server on the caller's machine when
 * LOCAL_OPENAI_BASE_URL is set.
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule, TtsService } from '../base.js';
import { parseLocalTtsModel } from './models.js';
import { createLocalText } from './text.js';
import { createLocalTts } from './tts.js';

export const LOCAL_ID = 'local';

const local: ProviderModule = {
  id: LOCAL_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    // The SDK loads only when local text is configured. Text comes first, so that what breaks tts below leaves it serving.
    const text = env.env.LOCAL_OPENAI_BASE_URL ? createLocalText(env, (await import('openai')).default) : undefined;
    let tts: TtsService;
    try {
      // Its limits come from config/providers.yaml (local.models.espeak-ng), validated here.
      tts = await createLocalTts({ model: parseLocalTtsModel(env.info.models) });
    } catch (err) {
      // With nothing else to serve, the load fails (and the registry tries it again on the next call).
      if (!text) throw err;
      // A bad espeak-ng entry (a user's MCP_PROVIDERS_CONFIG, say) fails tts alone: every tts call answers with its error.
      tts = { generate: () => Promise.reject(err) };
    }
    return { tts, text };
  },
};

export default local;
