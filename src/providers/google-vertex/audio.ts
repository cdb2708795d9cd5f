/**
 * Lyria music through the Vertex `predict` REST endpoint (the SDK has no call for it),
 * authorised with google-auth-library (ADC) or the API key (express mode). Each prediction
 * is a WAV clip, in `bytesBase64Encoded` or `audioContent` depending on the API version.
 */
import type { AudioOptions, CallContext, GeneratedArtifact, GenerationResult, Prompt, QuickService } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { parseWav } from '../../util/wav.js';
import { modelResource } from './client.js';
import { headerRequestId, mergeBody, pickModel, splitExtra, vertexCall, type VertexDeps } from './deps.js';
import { contentFiltered, type CallTrace } from './errors.js';
import { field } from '../../util/field.js';
import { fromBase64, sniffMimeType } from '../../util/media.js';
import { PROVIDER_ID } from './models.js';

export function createVertexAudio(deps: VertexDeps): QuickService<AudioOptions> {
  return {
    async generate(prompt: Prompt, options: AudioOptions, ctx: CallContext): Promise<GenerationResult> {
      const choice = pickModel(deps, 'audio', options.model, {
        count: options.count,
        durationSeconds: options.durationSeconds,
        negativePrompt: options.negativePrompt,
        seed: options.seed,
      });
      const { body: extra } = splitExtra(options.extra, []);
      const instance = {
        prompt: prompt.text,
        ...(options.negativePrompt ? { negative_prompt: options.negativePrompt } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      };
      const body = mergeBody({ instances: [instance], parameters: options.count > 1 ? { sample_count: options.count } : {} }, extra);
      // The API refuses a seed together with sample_count; say so before paying for a round trip.
      const sentSeed = field(asArray(body.instances)[0], 'seed');
      const sentCount = field(body.parameters, 'sample_count') ?? field(body.parameters, 'sampleCount');
      if (sentSeed !== undefined && sentCount !== undefined) {
        throw invalidRequest('Lyria takes a seed or a sample count, not both: drop the seed to get several clips, or ask for count 1.', PROVIDER_ID);
      }

      const trace: CallTrace = {};
      const resource = `${modelResource(deps.clients.settings, choice.location, choice.model)}:predict`;
      const response = await vertexCall(deps, ctx, trace, () => deps.clients.postJson(choice.location, resource, body, ctx, trace));
      const requestId = headerRequestId(trace);
      const artifacts = asArray(field(response, 'predictions')).flatMap((p): GeneratedArtifact[] => {
        const encoded = field(p, 'bytesBase64Encoded') ?? field(p, 'audioContent');
        if (typeof encoded !== 'string' || !encoded) return [];
        const data = fromBase64(encoded);
        const declared = field(p, 'mimeType');
        const mimeType = (typeof declared === 'string' && declared) || sniffMimeType(data) || 'audio/wav';
        return [{ source: { kind: 'bytes', data }, mimeType, ...durationOf(data) }];
      });
      if (!artifacts.length) {
        const reason = field(asArray(field(response, 'predictions'))[0], 'raiFilteredReason');
        if (typeof reason === 'string') throw contentFiltered(reason, requestId);
        throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, requestId, message: `${choice.model} returned no audio.` });
      }
      const warnings = [...choice.warnings];
      if (artifacts.length < options.count) warnings.push(`Lyria returned ${artifacts.length} of ${options.count} requested clips.`);
      ctx.logger.debug({ provider: PROVIDER_ID, model: choice.model, clips: artifacts.length }, 'vertex lyria done');
      return {
        model: choice.model,
        artifacts,
        requestId,
        ...(warnings.length ? { warnings } : {}),
        providerMetadata: { location: choice.location },
      };
    },
  };
}

function durationOf(data: Uint8Array): { durationSeconds?: number } {
  try {
    return { durationSeconds: parseWav(data).durationSeconds };
  } catch {
    return {};
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
