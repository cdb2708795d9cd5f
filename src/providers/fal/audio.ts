/**
 * fal music and sound effects as a queue job: prompt (or ElevenLabs' `text`), the duration in
 * the endpoint's own field (`seconds_total`, `duration`, `duration_seconds`), `negative_prompt`
 * and `seed` where it has them, with `extra` merged over it. One clip per request: `count`
 * queues that many requests.
 */
import type { AudioOptions, LongRunningService, Prompt } from '../base.js';
import { requireCount } from '../errors.js';
import { FalAudioExtraSchema } from './audio-options.js';
import { endpointFor, fanOut, mapDurationNegativeSeed, parseExtra } from './input.js';
import { falJobService, type FalDeps, type PreparedJob } from './job.js';
import { PROVIDER_ID, specFor } from './models.js';

export function createFalAudio(deps: FalDeps): LongRunningService<AudioOptions> {
  return falJobService(deps, 'audio', (prompt, options) => prepareAudio(deps, prompt, options), 2000);
}

async function prepareAudio(deps: FalDeps, prompt: Prompt, options: AudioOptions): Promise<PreparedJob> {
  requireCount(options.count, PROVIDER_ID);
  const endpoint = endpointFor(deps.env, 'audio', options.model);
  const { spec, known } = specFor(endpoint, 'audio');
  const extra = parseExtra(FalAudioExtraSchema, options.extra);
  const input: Record<string, unknown> = { [spec.promptField]: prompt.text };
  const seconds = options.durationSeconds;
  mapDurationNegativeSeed(input, endpoint, spec, options, 'it makes clips of one fixed length');
  const warnings = known
    ? []
    : [`${endpoint} is not one of the fal audio endpoints this server knows; it was sent fal's common fields (prompt, duration in seconds, negative_prompt, seed). Set its own in extra.`];
  return {
    endpoint,
    inputs: fanOut({ ...input, ...extra }, options.count, spec, options.seed),
    count: options.count,
    warnings,
    ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
    ...(spec.audioMimeType ? { audioMimeType: spec.audioMimeType } : {}),
  };
}
