/**
 * One Gemini `generateContent` call and what we read from the answer — shared by text,
 * Gemini image models and Gemini speech: safety blocks, finish reasons, token usage.
 */
import type { Content, GenerateContentConfig, GenerateContentResponse, Part } from '@google/genai';
import type { CallContext, Usage } from '../base.js';
import { callOptions } from './client.js';
import { vertexCall, headerRequestId, type VertexDeps } from './deps.js';
import { contentFiltered } from './errors.js';

export interface GeminiCall {
  response: GenerateContentResponse;
  requestId?: string;
}

export async function generateContent(
  deps: VertexDeps,
  ctx: CallContext,
  target: { model: string; location: string },
  contents: Content[],
  config: GenerateContentConfig,
  extraBody: Record<string, unknown>,
): Promise<GeminiCall> {
  const call = callOptions(ctx, extraBody);
  const ai = deps.clients.client(target.location, ctx.logger);
  const response = await vertexCall(deps, ctx, call.trace, () =>
    ai.models.generateContent({ model: target.model, contents, config: { ...config, abortSignal: call.abortSignal, httpOptions: call.httpOptions } }),
  );
  return { response, requestId: response.responseId || headerRequestId(call.trace) };
}

/** Finish reasons that mean a safety or policy filter removed the output. */
const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/** Throws content_filtered when the prompt itself was blocked. */
export function throwIfPromptBlocked(call: GeminiCall): void {
  const feedback = call.response.promptFeedback;
  if (feedback?.blockReason) {
    const detail = feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : '';
    throw contentFiltered(`the prompt was blocked (${feedback.blockReason}${detail})`, call.requestId);
  }
}

/** The first candidate's finish reason when a filter cut it, with the categories that tripped it. */
export function filteredReason(call: GeminiCall): string | undefined {
  const candidate = call.response.candidates?.[0];
  const reason = candidate?.finishReason;
  if (!reason || !FILTERED.has(reason)) return undefined;
  const categories = (candidate.safetyRatings ?? []).filter((r) => r.blocked).map((r) => r.category).filter(Boolean);
  const message = candidate.finishMessage ? `: ${candidate.finishMessage}` : '';
  return `finishReason ${reason}${categories.length ? ` (${categories.join(', ')})` : ''}${message}`;
}

export function finishReason(call: GeminiCall): string | undefined {
  return call.response.candidates?.[0]?.finishReason ?? undefined;
}

/** The first candidate's parts. */
export function partsOf(call: GeminiCall): Part[] {
  return call.response.candidates?.[0]?.content?.parts ?? [];
}

/** Answer text, without the model's thought summaries. */
export function answerText(call: GeminiCall): string {
  return partsOf(call)
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('');
}

/** Tokens from usageMetadata. Thinking tokens are billed as output, so they count as output here. */
export function usageOf(call: GeminiCall): Usage | undefined {
  const u = call.response.usageMetadata;
  if (!u) return undefined;
  const output = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  return {
    ...(u.promptTokenCount !== undefined ? { inputTokens: u.promptTokenCount } : {}),
    ...(u.candidatesTokenCount !== undefined || u.thoughtsTokenCount !== undefined ? { outputTokens: output } : {}),
  };
}

export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  const add = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : x + y);
  return { inputTokens: add(a.inputTokens, b.inputTokens), outputTokens: add(a.outputTokens, b.outputTokens) };
}
