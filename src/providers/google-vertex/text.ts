/** Gemini text: one `generateContent` with system instruction, attachments and sampling options. */
import type { Content, GenerateContentConfig, Part } from '@google/genai';
import type { CallContext, GenerationResult, Prompt, TextModelService, TextOptions } from '../base.js';
import { resolveMedia, toPart } from './attachments.js';
import { pickModel, splitExtra, type VertexDeps } from './deps.js';
import { contentFiltered } from './errors.js';
import { answerText, filteredReason, finishReason, generateContent, throwIfPromptBlocked, usageOf } from './gemini.js';

export function createVertexText(deps: VertexDeps): TextModelService {
  return {
    async generate(prompt: Prompt, options: TextOptions, ctx: CallContext): Promise<GenerationResult> {
      const choice = pickModel(deps, 'text', options.model, { seed: options.seed });
      const { body } = splitExtra(options.extra, []);
      const parts: Part[] = [{ text: prompt.text }];
      for (const [i, att] of prompt.attachments.entries()) {
        parts.push(toPart(await resolveMedia(att, deps.env, { https: 'pass', label: `attachments[${i}]`, signal: ctx.signal })));
      }
      const contents: Content[] = [{ role: 'user', parts }];
      const config: GenerateContentConfig = {
        ...(prompt.system ? { systemInstruction: prompt.system } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.maxTokens !== undefined ? { maxOutputTokens: options.maxTokens } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.responseFormat === 'json' ? { responseMimeType: 'application/json' } : {}),
      };

      const call = await generateContent(deps, ctx, choice, contents, config, body);
      throwIfPromptBlocked(call);
      const text = answerText(call);
      const filtered = filteredReason(call);
      const warnings = [...choice.warnings];
      if (filtered) {
        // Nothing left to return: an error, so no other provider is billed for the same prompt.
        if (!text.trim()) throw contentFiltered(`the answer was blocked (${filtered})`, call.requestId);
        warnings.push(`The answer was cut short by a safety filter (${filtered}).`);
      }
      if (finishReason(call) === 'MAX_TOKENS') warnings.push('The answer was cut off at the token limit (finishReason MAX_TOKENS); raise max_tokens for more.');
      ctx.logger.debug({ provider: 'google-vertex', model: choice.model, requestId: call.requestId }, 'vertex text done');
      return {
        model: call.response.modelVersion || choice.model,
        artifacts: [],
        text,
        usage: usageOf(call),
        requestId: call.requestId,
        ...(warnings.length ? { warnings } : {}),
        providerMetadata: { finishReason: finishReason(call), location: choice.location },
        raw: call.response,
      };
    },
  };
}
