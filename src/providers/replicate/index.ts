/**
 * Replicate: text, image, video, music and speech models through the predictions API, driven by
 * the `replicate` SDK (imported in `load()` only, so start-up stays light) with its built-in
 * retries disarmed (client.ts). Official models run by `owner/name`, any other by
 * `owner/name:version`; image, video and audio are durable long jobs (create, then the runner
 * polls and can cancel), text and speech quick calls in sync mode.
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { ProviderError } from '../errors.js';
import { createReplicateAudio } from './audio.js';
import { REPLICATE_BASE_URL, ReplicateClient } from './client.js';
import type { ReplicateDeps } from './deps.js';
import { createReplicateImage } from './image.js';
import { PROVIDER_ID } from './models.js';
import { createReplicateText } from './text.js';
import { createReplicateTts } from './tts.js';
import { createReplicateVideo } from './video.js';

const replicate: ProviderModule = {
  id: PROVIDER_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    const token = env.env.REPLICATE_API_TOKEN?.trim();
    if (!token) throw new ProviderError({ code: 'auth', providerId: PROVIDER_ID, message: 'Replicate needs REPLICATE_API_TOKEN (an API token from replicate.com/account/api-tokens).' });
    const client = await ReplicateClient.create({
      token,
      baseUrl: (env.info.baseUrl ?? REPLICATE_BASE_URL).replace(/\/+$/, ''),
      userAgent: `${env.appName || 'mcp-providers'} (replicate-javascript)`,
    });
    const pollMs = Number(env.env.MCP_PROVIDERS_POLL_MS);
    const deps: ReplicateDeps = { env, client, quickPollMs: Number.isInteger(pollMs) && pollMs > 0 ? pollMs : 500 };
    return {
      text: createReplicateText(deps),
      image: createReplicateImage(deps),
      video: createReplicateVideo(deps),
      audio: createReplicateAudio(deps),
      tts: createReplicateTts(deps),
    };
  },
};

export default replicate;
