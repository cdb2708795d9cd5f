/**
 * Hugging Face Inference Providers: chat models, text-to-image, text-to-video, text-to-audio
 * and text-to-speech through the router (https://router.huggingface.co), on the inference
 * provider a call names (`extra.provider`), its model's YAML entry names, or `auto`.
 * Driven by `@huggingface/inference`, imported in `load()` only (client.ts lists its quirks
 * and how each is handled).
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { createLogger } from '../../util/logger.js';
import { createHfAudio } from './audio.js';
import { createClients, resolveSettings } from './client.js';
import type { HfDeps } from './deps.js';
import { createHfImage } from './image.js';
import { PROVIDER_ID, parseModelCatalog } from './models.js';
import { ProviderRouter } from './routing.js';
import { createHfText } from './text.js';
import { createHfTts } from './tts.js';
import { createHfVideo } from './video.js';

const huggingface: ProviderModule = {
  id: PROVIDER_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    // Both checks come before the SDK import, so bad config costs nothing.
    const settings = resolveSettings(env);
    const catalog = parseModelCatalog(env.info.models);
    // The SDK's own messages (rare: staging models, auto choices), on stderr at our log level.
    const logger = createLogger(env.env.MCP_PROVIDERS_LOG_LEVEL || 'info');
    const clients = await createClients(settings, logger);
    const deps: HfDeps = { env, clients, catalog, router: new ProviderRouter(clients) };
    return {
      text: createHfText(deps),
      image: createHfImage(deps),
      video: createHfVideo(deps),
      audio: createHfAudio(deps),
      tts: createHfTts(deps),
    };
  },
};

export default huggingface;
