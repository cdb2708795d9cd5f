/**
 * Google Vertex AI: Gemini text, Imagen and Gemini images, Veo video, Lyria music and
 * Gemini speech, through `@google/genai` in Vertex mode (plus google-auth-library for the
 * REST call the SDK lacks, and @google-cloud/storage for gs:// outputs).
 *
 * This module is itself imported on first use (src/providers/index.ts), and `load()` is
 * where `@google/genai` loads; the other SDKs load when a call first needs them.
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { createVertexAudio } from './audio.js';
import { VertexClients, resolveSettings, secretsOf } from './client.js';
import type { VertexDeps } from './deps.js';
import { createVertexImage } from './image.js';
import { PROVIDER_ID, parseModelCatalog } from './models.js';
import { createVertexText } from './text.js';
import { createVertexTts } from './tts.js';
import { createVertexVideo } from './video.js';

const googleVertex: ProviderModule = {
  id: PROVIDER_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    // Both checks come before the SDK import, so bad config costs nothing.
    const settings = resolveSettings(env);
    const catalog = parseModelCatalog(env.info.models);
    const clients = await VertexClients.create(settings);
    const deps: VertexDeps = { env, clients, catalog, secrets: secretsOf(settings) };
    return {
      text: createVertexText(deps),
      image: createVertexImage(deps),
      video: createVertexVideo(deps),
      audio: createVertexAudio(deps),
      tts: createVertexTts(deps),
    };
  },
};

export default googleVertex;
