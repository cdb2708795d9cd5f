/**
 * Gemini speech: `generateContent` with audio output and a `speechConfig` — one prebuilt
 * voice, or a two-speaker dialogue (`extra.speakers`). The raw PCM it returns is wrapped
 * in a WAV header (pcm-wav.ts).
 */
import type { GenerateContentConfig, SpeechConfig } from '@google/genai';
import type { CallContext, GenerationResult, Prompt, TtsOptions, TtsService } from '../base.js';
import { ProviderError, invalidRequest } from '../errors.js';
import { parseWav } from '../../util/wav.js';
import { pickModel, splitExtra, type VertexDeps } from './deps.js';
import { contentFiltered } from './errors.js';
import { filteredReason, finishReason, generateContent, partsOf, throwIfPromptBlocked, usageOf, type GeminiCall } from './gemini.js';
import { fromBase64 } from '../../util/media.js';
import { PROVIDER_ID } from './models.js';
import { parsePcmMimeType, pcmToWav } from './pcm-wav.js';

const TTS_EXTRA = ['speakers'] as const;

interface Speaker {
  speaker: string;
  voice: string;
}

export function createVertexTts(deps: VertexDeps): TtsService {
  return {
    async generate(prompt: Prompt, options: TtsOptions, ctx: CallContext): Promise<GenerationResult> {
      if (options.format !== 'wav') {
        throw invalidRequest(`google-vertex speech comes as WAV only; ask for format "wav" (not ${options.format}) or use another provider.`, PROVIDER_ID);
      }
      if (options.speed !== undefined && options.speed !== 1) {
        throw invalidRequest('Gemini speech has no speed setting; leave speed unset and say the pace in the text (e.g. "Say slowly: …").', PROVIDER_ID);
      }
      const { named, body } = splitExtra(options.extra, TTS_EXTRA);
      const speakers = parseSpeakers(named.speakers);
      if (speakers && options.voice) throw invalidRequest('Give either voice (one speaker) or extra.speakers (a two-speaker dialogue), not both.', PROVIDER_ID);
      const choice = pickModel(deps, 'tts', options.model, { speakers: speakers?.length ?? 1 });

      const voice = (name: string) => ({ prebuiltVoiceConfig: { voiceName: name } });
      const speechConfig: SpeechConfig = {
        ...(options.language ? { languageCode: options.language } : {}),
        ...(speakers
          ? { multiSpeakerVoiceConfig: { speakerVoiceConfigs: speakers.map((s) => ({ speaker: s.speaker, voiceConfig: voice(s.voice) })) } }
          : options.voice
            ? { voiceConfig: voice(options.voice) }
            : {}),
      };
      const config: GenerateContentConfig = {
        responseModalities: [deps.clients.sdk.Modality.AUDIO],
        ...(Object.keys(speechConfig).length ? { speechConfig } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      };
      const call = await generateContent(deps, ctx, choice, [{ role: 'user', parts: [{ text: prompt.text }] }], config, body);
      throwIfPromptBlocked(call);
      const audio = audioOf(call, choice.model);
      return {
        model: call.response.modelVersion || choice.model,
        artifacts: [{ source: { kind: 'bytes', data: audio.wav }, mimeType: 'audio/wav', durationSeconds: audio.durationSeconds }],
        usage: usageOf(call),
        requestId: call.requestId,
        ...(choice.warnings.length ? { warnings: choice.warnings } : {}),
        providerMetadata: { location: choice.location, sourceMimeType: audio.sourceMimeType, sampleRate: audio.sampleRate },
      };
    },
  };
}

/** All audio parts, joined: PCM chunks become one WAV; a WAV part is kept as it is. */
function audioOf(call: GeminiCall, model: string): { wav: Uint8Array; durationSeconds: number; sourceMimeType: string; sampleRate: number } {
  const parts = partsOf(call).filter((p) => p.inlineData?.data && p.inlineData.mimeType?.startsWith('audio/'));
  if (!parts.length) {
    const filtered = filteredReason(call);
    if (filtered) throw contentFiltered(`no speech was returned (${filtered})`, call.requestId);
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, requestId: call.requestId, message: `${model} returned no audio (finishReason ${finishReason(call) ?? 'none'}); is it a TTS model?` });
  }
  const sourceMimeType = parts[0]!.inlineData!.mimeType!;
  const chunks = parts.map((p) => fromBase64(p.inlineData!.data!));
  if (/^audio\/(wav|x-wav|wave)$/i.test(sourceMimeType) && chunks.length === 1) {
    const info = parseWav(chunks[0]!);
    return { wav: chunks[0]!, durationSeconds: info.durationSeconds, sourceMimeType, sampleRate: info.sampleRate };
  }
  const format = parsePcmMimeType(sourceMimeType);
  if (!format || parts.some((p) => p.inlineData!.mimeType !== sourceMimeType)) {
    throw new ProviderError({ code: 'internal', providerId: PROVIDER_ID, requestId: call.requestId, message: `${model} returned audio as ${sourceMimeType}, which this adapter cannot turn into WAV.` });
  }
  const pcm = Buffer.concat(chunks);
  const { wav, durationSeconds } = pcmToWav(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), format);
  return { wav, durationSeconds, sourceMimeType, sampleRate: format.sampleRate };
}

function parseSpeakers(value: unknown): Speaker[] | undefined {
  if (value === undefined) return undefined;
  const valid =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((s) => typeof s === 'object' && s !== null && typeof (s as Speaker).speaker === 'string' && (s as Speaker).speaker && typeof (s as Speaker).voice === 'string' && (s as Speaker).voice);
  if (!valid) {
    throw invalidRequest('extra.speakers must be exactly two {speaker, voice} objects, e.g. [{"speaker":"Joe","voice":"Kore"},{"speaker":"Jane","voice":"Puck"}], with the names used in the text ("Joe: …").', PROVIDER_ID);
  }
  return (value as Speaker[]).map((s) => ({ speaker: s.speaker, voice: s.voice }));
}
