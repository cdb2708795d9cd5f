/**
 * fal: image, video, music/sound and speech endpoints, every one a job in fal's queue API
 * (submit → poll status with queue position and logs → result; cancel). Any fal endpoint id is
 * a model; `extra` is its input (merged over what we map from the common options).
 *
 * The queue calls are our own fetch calls (queue.ts says why); `@fal-ai/client` is imported
 * here, in `load()` only, for its endpoint-id rule (`parseEndpointId`), so nothing of fal's
 * loads at start-up.
 */
import type { AdapterEnv, ProviderAdapter, ProviderModule } from '../base.js';
import { ProviderError } from '../errors.js';
import { createFalAudio } from './audio.js';
import { createFalImage } from './image.js';
import type { FalDeps } from './job.js';
import { PROVIDER_ID } from './models.js';
import { FalQueue } from './queue.js';
import { createFalTts } from './tts.js';
import { createFalVideo } from './video.js';

const fal: ProviderModule = {
  id: PROVIDER_ID,
  async load(env: AdapterEnv): Promise<ProviderAdapter> {
    const apiKey = env.env.FAL_AI_API_KEY || env.env.FAL_KEY;
    if (!apiKey) throw new ProviderError({ code: 'auth', providerId: PROVIDER_ID, message: 'fal needs FAL_AI_API_KEY (or FAL_KEY).' });
    const client = await import('@fal-ai/client');
    const parseEndpointId = client.parseEndpointId ?? (client as unknown as { default: typeof client }).default.parseEndpointId;
    const queue = new FalQueue({
      baseUrl: env.info.baseUrl,
      apiKey,
      appIdOf: (endpoint) => {
        const app = parseEndpointId(endpoint);
        return [app.namespace, app.owner, app.alias].filter(Boolean).join('/');
      },
      userAgent: `${env.appName || 'mcp-providers'} (fal queue API)`,
    });
    const deps: FalDeps = { env, queue };
    return {
      image: createFalImage(deps),
      video: createFalVideo(deps),
      audio: createFalAudio(deps),
      tts: createFalTts(deps),
    };
  },
};

export default fal;
