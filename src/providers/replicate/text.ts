/**
 * Replicate text: one prediction of a language model, created in sync mode (`Prefer: wait`)
 * and polled here if it outlives the wait; the streamed tokens (an array of strings) are joined.
 * Llama 3 inputs: prompt, system_prompt, max_tokens, temperature, top_p (no seed, no images).
 */
import type { CallContext, GenerationResult, Prompt, TextModelService, TextOptions } from '../base.js';
import { invalidRequest } from '../errors.js';
import { parseExtra, put, type ReplicateDeps } from './deps.js';
import { PROVIDER_ID, checkRequest, chooseModel } from './models.js';
import { outputText, predictionMetadata, runToCompletion, usageOf } from './predictions.js';
import { TEXT_EXTRA } from './text-options.js';

const JSON_ASK = 'Answer with a single JSON object and nothing else.';

export function createReplicateText(deps: ReplicateDeps): TextModelService {
  return {
    async generate(prompt: Prompt, options: TextOptions, ctx: CallContext): Promise<GenerationResult> {
      const choice = chooseModel('text', options.model, deps.env.info.defaultModels.text);
      if (prompt.attachments.length) {
        throw invalidRequest('replicate text models are called with a text prompt only; attachments are not sent (pass an image URL under the model\'s own input name in extra).', PROVIDER_ID);
      }
      checkRequest(choice, { seed: options.seed, system: Boolean(prompt.system) });
      const extra = parseExtra(TEXT_EXTRA[choice.profile.id], options.extra, choice.model);
      const inputs = choice.profile.inputs;
      const warnings = [...choice.warnings];

      let text = prompt.text;
      let system = prompt.system;
      if (options.responseFormat === 'json') {
        if (inputs.system) system = system ? `${system}\n\n${JSON_ASK}` : JSON_ASK;
        else text = `${text}\n\n${JSON_ASK}`;
        warnings.push('Replicate language models have no JSON mode: the JSON object was asked for in the prompt, so check that the answer parses.');
      }
      const input: Record<string, unknown> = { [inputs.prompt]: text };
      put(input, inputs.system, system);
      put(input, inputs.maxTokens, options.maxTokens);
      put(input, inputs.temperature, options.temperature);
      put(input, inputs.topP, options.topP);
      put(input, inputs.seed, options.seed);
      Object.assign(input, extra);

      const p = await runToCompletion(deps.client, choice, input, ctx, deps.quickPollMs);
      const usage = usageOf(p);
      ctx.logger.info({ provider: PROVIDER_ID, model: choice.model, prediction: p.id, predictTimeSeconds: p.metrics?.predict_time }, 'replicate prediction succeeded');
      return {
        model: choice.model,
        artifacts: [],
        text: outputText(p),
        ...(usage ? { usage } : {}),
        requestId: p.id,
        ...(warnings.length ? { warnings } : {}),
        providerMetadata: predictionMetadata([p], choice.ref.kind === 'version' ? choice.ref.version : undefined),
        raw: p,
      };
    },
  };
}
