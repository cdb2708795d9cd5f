/**
 * Gemini `generateContent` (and `streamGenerateContent` as one SSE event), Vertex REST shapes:
 * request `{contents[{role, parts[{text|inlineData{mimeType,data}|fileData{mimeType,fileUri}}]}],
 * systemInstruction, generationConfig{temperature, topP, maxOutputTokens, responseMimeType,
 * responseSchema|responseJsonSchema, responseModalities, speechConfig}, safetySettings}`;
 * response `{candidates[{content{role:'model', parts}, finishReason, safetyRatings?}],
 * promptFeedback?, usageMetadata{promptTokenCount, candidatesTokenCount, totalTokenCount, …},
 * modelVersion, createTime, responseId}` (GenerateContentResponse in the v1beta1 reference).
 *
 * - Text: `echo: <last user text>` (words cut to maxOutputTokens → finishReason MAX_TOKENS).
 * - `responseMimeType: 'application/json'`: a JSON object filling the schema's properties, or `{"echo": …}`.
 * - `responseModalities` with IMAGE: a text part (unless IMAGE alone was asked for) and a 64×64 PNG
 *   inlineData part (kept in sent.images).
 * - `responseModalities: ['AUDIO']`: one inlineData part `audio/L16;codec=pcm;rate=24000`, 0.5 s mono
 *   16-bit LE tone per speaker (two speakers → two tones), kept in sent.pcm.
 */
import { asObject, isObject, responseId, words } from './http.js';
import { base64, colour, encodePng, pcmTone } from '../media.js';
import type { EmulatorState, ModelCall } from './types.js';

export const TTS_SAMPLE_RATE = 24000;
export const TTS_MIME_TYPE = `audio/L16;codec=pcm;rate=${TTS_SAMPLE_RATE}`;

export type ContentOutcome =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'invalid'; message: string };

export interface ContentFaults {
  promptBlocked?: string;
  finishSafety?: boolean;
}

interface PartSummary {
  texts: string[];
  media: number;
}

function summarize(content: unknown): PartSummary {
  const out: PartSummary = { texts: [], media: 0 };
  const parts = asObject(content).parts;
  if (!Array.isArray(parts)) return out;
  for (const p of parts) {
    if (!isObject(p)) continue;
    if (typeof p.text === 'string') out.texts.push(p.text);
    if (isObject(p.inlineData) || isObject(p.fileData)) out.media++;
  }
  return out;
}

function hashString(s: string): number {
  let h = 0;
  for (const ch of s) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** A value matching a (JSON / OpenAPI subset) schema, deterministic from the prompt. */
function fakeFromSchema(schema: unknown, prompt: string, depth = 0): unknown {
  const s = asObject(schema);
  const type = typeof s.type === 'string' ? s.type.toLowerCase() : Array.isArray(s.type) ? String(s.type[0]).toLowerCase() : undefined;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (depth > 5) return null;
  switch (type) {
    case 'object': {
      const props = asObject(s.properties);
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fakeFromSchema(v, prompt, depth + 1)]));
    }
    case 'array':
      return [fakeFromSchema(s.items, prompt, depth + 1)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'string':
      return prompt;
    default:
      return isObject(s.properties) ? fakeFromSchema({ ...s, type: 'object' }, prompt, depth) : { echo: prompt };
  }
}

const HARM_CATEGORIES = [
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
];

function safetyRatings(blockedCategory: string): Record<string, unknown>[] {
  return HARM_CATEGORIES.map((category) =>
    category === blockedCategory
      ? { category, probability: 'HIGH', probabilityScore: 0.93, severity: 'HARM_SEVERITY_HIGH', severityScore: 0.87, blocked: true }
      : { category, probability: 'NEGLIGIBLE', probabilityScore: 0.02, severity: 'HARM_SEVERITY_NEGLIGIBLE', severityScore: 0.01 },
  );
}

export function generateContent(state: EmulatorState, call: ModelCall, faults: ContentFaults): ContentOutcome {
  const body = asObject(call.body);
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return { kind: 'invalid', message: 'Unable to submit request because it must include at least one contents field.' };
  }
  const summaries = contents.map(summarize);
  if (summaries.every((s) => s.texts.length === 0 && s.media === 0)) {
    return {
      kind: 'invalid',
      message: 'Unable to submit request because it must have at least one parts field, which describes the prompt input.',
    };
  }
  const lastUser = [...contents].reverse().find((c) => asObject(c).role === undefined || asObject(c).role === 'user');
  const prompt = summarize(lastUser).texts.join(' ').trim();
  const systemWords = summarize(body.systemInstruction).texts.reduce((n, t) => n + words(t), 0);
  const mediaCount = summaries.reduce((n, s) => n + s.media, 0);
  // Text tokens ≈ words; each image/audio/file part counts 258 tokens (Gemini's per-image figure).
  const textTokens = summaries.reduce((n, s) => n + s.texts.reduce((m, t) => m + words(t), 0), 0) + systemWords;
  const promptTokenCount = textTokens + mediaCount * 258;
  const seq = ++state.seq;
  const envelope = {
    modelVersion: call.model,
    createTime: new Date().toISOString(),
    responseId: responseId(seq),
  };

  if (faults.promptBlocked !== undefined) {
    return {
      kind: 'ok',
      body: {
        promptFeedback: {
          blockReason: faults.promptBlocked,
          blockReasonMessage: `The prompt was blocked due to ${faults.promptBlocked.toLowerCase()}.`,
          safetyRatings: safetyRatings('HARM_CATEGORY_DANGEROUS_CONTENT'),
        },
        usageMetadata: { promptTokenCount, totalTokenCount: promptTokenCount, trafficType: 'ON_DEMAND' },
        ...envelope,
      },
    };
  }
  if (faults.finishSafety) {
    return {
      kind: 'ok',
      body: {
        candidates: [{ finishReason: 'SAFETY', safetyRatings: safetyRatings('HARM_CATEGORY_DANGEROUS_CONTENT') }],
        usageMetadata: { promptTokenCount, candidatesTokenCount: 0, totalTokenCount: promptTokenCount, trafficType: 'ON_DEMAND' },
        ...envelope,
      },
    };
  }

  const config = asObject(body.generationConfig);
  const modalities = Array.isArray(config.responseModalities)
    ? config.responseModalities.map((m) => String(m).toUpperCase())
    : [];
  const parts: Record<string, unknown>[] = [];
  let finishReason = 'STOP';
  let candidatesTokenCount = 0;
  let outputModality = 'TEXT';

  if (modalities.includes('AUDIO')) {
    outputModality = 'AUDIO';
    const speech = asObject(config.speechConfig);
    const multi = asObject(speech.multiSpeakerVoiceConfig).speakerVoiceConfigs;
    const voices = Array.isArray(multi) && multi.length > 0
      ? multi.map((s) => String(asObject(asObject(asObject(s).voiceConfig).prebuiltVoiceConfig).voiceName ?? 'default'))
      : [String(asObject(asObject(speech.voiceConfig).prebuiltVoiceConfig).voiceName ?? 'default')];
    // One 0.5 s tone per speaker; the frequency depends on the voice name.
    const pcm = Buffer.concat(voices.map((v) =>
      pcmTone({ sampleRate: TTS_SAMPLE_RATE, channels: 1, seconds: 0.5, frequency: 220 + (hashString(v) % 440) })));
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    state.sent.pcm.push(bytes);
    parts.push({ inlineData: { mimeType: TTS_MIME_TYPE, data: base64(bytes) } });
    candidatesTokenCount = Math.ceil(voices.length * 0.5 * 25); // 25 audio tokens per second
  } else {
    let text: string;
    if (config.responseMimeType === 'application/json') {
      const schema = config.responseJsonSchema ?? config.responseSchema;
      const value = schema === undefined ? { echo: prompt } : fakeFromSchema(schema, prompt);
      text = JSON.stringify(value);
    } else {
      text = modalities.includes('IMAGE') ? `Here is an image of ${prompt}` : `echo: ${prompt}`;
      const max = typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : undefined;
      const ws = text.split(/\s+/).filter(Boolean);
      if (max !== undefined && ws.length > max) {
        text = ws.slice(0, max).join(' ');
        finishReason = 'MAX_TOKENS';
      }
    }
    // An image model asked for IMAGE only answers with the image part alone.
    const imageOnly = modalities.includes('IMAGE') && !modalities.includes('TEXT');
    if (!imageOnly) {
      parts.push({ text });
      candidatesTokenCount = words(text);
    }
    if (modalities.includes('IMAGE')) {
      outputModality = 'IMAGE';
      const png = encodePng(64, 64, colour(state.sent.images.length));
      state.sent.images.push(png);
      parts.push({ inlineData: { mimeType: 'image/png', data: base64(png) } });
      candidatesTokenCount += 1290; // Gemini image output tokens per image
    }
  }

  return {
    kind: 'ok',
    body: {
      candidates: [{ content: { role: 'model', parts }, finishReason, avgLogprobs: -0.1 }],
      usageMetadata: {
        promptTokenCount,
        candidatesTokenCount,
        totalTokenCount: promptTokenCount + candidatesTokenCount,
        trafficType: 'ON_DEMAND',
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: textTokens }, ...(mediaCount > 0 ? [{ modality: 'IMAGE', tokenCount: mediaCount * 258 }] : [])],
        candidatesTokensDetails: [{ modality: outputModality, tokenCount: candidatesTokenCount }],
      },
      ...envelope,
    },
  };
}
