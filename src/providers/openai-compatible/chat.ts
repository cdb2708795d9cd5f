/**
 * Shared helpers for any OpenAI-compatible chat-completions API (OpenRouter, Ollama,
 * LM Studio, vLLM, llama.cpp) driven through the official `openai` SDK.
 *
 * Only type imports of `openai` here: the SDK constructor is handed in by each
 * adapter's `load()`, so nothing loads the SDK at start-up.
 */
import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { AdapterEnv, CallContext, GenerationResult, MediaAttachment, Prompt, TextOptions, Usage } from '../base.js';
import { ProviderError, codeForStatus, isAbortError, parseRetryAfter, toProviderError } from '../errors.js';
import { field } from '../../util/field.js';
import { scrubSecrets } from '../../util/logger.js';
import { toDataUri } from '../../util/media.js';

export type OpenAIConstructor = typeof OpenAI;

/**
 * A chat request body: the SDK's parameters plus the extensions other servers take
 * (OpenRouter's `modalities: ['image', ...]`, `usage`, `image_config`; caller `extra`).
 */
export type ChatBody = Omit<ChatCompletionCreateParamsNonStreaming, 'modalities'> & {
  modalities?: string[];
  [key: string]: unknown;
};

export interface ClientConfig {
  apiKey: string;
  baseURL: string;
  /** Client-wide ceiling; each call also gets the time left before its deadline. */
  timeoutMs?: number;
  defaultHeaders?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
}

/** Builds an SDK client that never retries (the runner owns retry) and ignores OPENAI_* env. */
export function createOpenAIClient(SDK: OpenAIConstructor, config: ClientConfig): OpenAI {
  return new SDK({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    maxRetries: 0,
    timeout: config.timeoutMs ?? 10 * 60_000,
    defaultHeaders: config.defaultHeaders,
    // The SDK otherwise reads OPENAI_ADMIN_KEY / OPENAI_ORG_ID / OPENAI_PROJECT_ID from
    // process.env and would send them (an admin key even replaces Authorization) to a non-OpenAI host.
    adminAPIKey: null,
    organization: null,
    project: null,
    // The SDK logs through console (stdout for info/debug); stdout belongs to the MCP protocol.
    logLevel: 'off',
    ...(config.fetch ? { fetch: config.fetch } : {}),
  });
}

// ---------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------

const IMAGE_TYPES = 'image/png, image/jpeg, image/webp, image/gif';

/** system + user messages; image attachments become `image_url` parts. */
export async function buildMessages(
  prompt: Prompt,
  env: Pick<AdapterEnv, 'resolveArtifact'>,
  providerId: string,
): Promise<ChatCompletionMessageParam[]> {
  const messages: ChatCompletionMessageParam[] = [];
  if (prompt.system) messages.push({ role: 'system', content: prompt.system });
  if (prompt.attachments.length === 0) {
    // Plain string content: the form every OpenAI-compatible server accepts.
    messages.push({ role: 'user', content: prompt.text });
    return messages;
  }
  const parts: ChatCompletionContentPart[] = [{ type: 'text', text: prompt.text }];
  for (const attachment of prompt.attachments) {
    parts.push({ type: 'image_url', image_url: { url: await imageUrlFor(attachment, env, providerId) } });
  }
  messages.push({ role: 'user', content: parts });
  return messages;
}

async function imageUrlFor(
  attachment: MediaAttachment,
  env: Pick<AdapterEnv, 'resolveArtifact'>,
  providerId: string,
): Promise<string> {
  if ('data' in attachment) {
    requireImage(attachment.mimeType, providerId);
    return toDataUri(attachment.data, attachment.mimeType);
  }
  const { uri } = attachment;
  const scheme = uri.slice(0, uri.indexOf(':') + 1).toLowerCase();
  if (scheme === 'data:') {
    const end = uri.search(/[;,]/);
    requireImage((end > 5 ? uri.slice(5, end) : '') || attachment.mimeType, providerId);
    return uri;
  }
  if (scheme === 'https:') {
    // The provider fetches it; we only know the type when the caller told us.
    if (attachment.mimeType) requireImage(attachment.mimeType, providerId);
    return uri;
  }
  if (scheme === 'artifact:') {
    const resolved = await env.resolveArtifact(uri);
    requireImage(resolved.mimeType, providerId);
    return toDataUri(resolved.data, resolved.mimeType);
  }
  throw new ProviderError({
    code: 'invalid_request',
    providerId,
    message: `${providerId} takes image attachments as https://, data: or artifact:// URIs or inline bytes; got "${scheme || uri.slice(0, 16)}".`,
  });
}

function requireImage(mimeType: string | undefined, providerId: string): void {
  if (mimeType?.toLowerCase().startsWith('image/')) return;
  throw new ProviderError({
    code: 'invalid_request',
    providerId,
    message: `${providerId} accepts only image attachments (${IMAGE_TYPES}); got ${mimeType || 'an attachment of unknown type'}.`,
  });
}

/** TextOptions in chat-completions naming; undefined fields are left out. */
export function textParams(options: TextOptions): Partial<ChatBody> {
  const params: Partial<ChatBody> = {};
  if (options.maxTokens !== undefined) params.max_tokens = options.maxTokens;
  if (options.temperature !== undefined) params.temperature = options.temperature;
  if (options.topP !== undefined) params.top_p = options.topP;
  if (options.seed !== undefined) params.seed = options.seed;
  if (options.responseFormat === 'json') params.response_format = { type: 'json_object' };
  return params;
}

// ---------------------------------------------------------------------------
// Calling
// ---------------------------------------------------------------------------

export interface ChatCall {
  completion: ChatCompletion;
  /** `x-request-id` response header, when the server sends one. */
  httpRequestId?: string;
}

/**
 * One non-streaming chat completion. Cancellation (ctx.signal) and the time left before
 * ctx.deadline reach the HTTP request; every failure comes back as a ProviderError.
 */
export async function createChatCompletion(
  client: OpenAI,
  body: ChatBody,
  ctx: CallContext,
  providerId: string,
  secrets: readonly string[] = [],
): Promise<ChatCall> {
  const timeout = ctx.deadline - Date.now();
  if (timeout <= 0) {
    throw new ProviderError({ code: 'timeout', providerId, message: `${providerId}: the call's deadline passed before the request was sent.` });
  }
  let data: unknown;
  let httpRequestId: string | undefined;
  try {
    // Streaming would change the response shape; `extra` must not switch it on.
    const params = { ...body, stream: false } as ChatCompletionCreateParamsNonStreaming;
    const res = await client.chat.completions.create(params, { signal: ctx.signal, timeout }).withResponse();
    data = res.data;
    httpRequestId = res.request_id ?? undefined;
  } catch (err) {
    throw mapOpenAIError(err, providerId, secrets);
  }
  return { completion: asCompletion(data, providerId, httpRequestId, secrets), httpRequestId };
}

/** Checks the parts of the response we read; a 200 can still carry an error body. */
function asCompletion(data: unknown, providerId: string, requestId: string | undefined, secrets: readonly string[]): ChatCompletion {
  const bodyError = errorBody(field(data, 'error')) ?? errorBody(field(firstChoice(data), 'error'));
  if (bodyError) {
    const status = typeof bodyError.code === 'number' ? bodyError.code : undefined;
    throw new ProviderError({
      code: status ? codeForStatus(status) : 'unavailable',
      providerId,
      status,
      requestId,
      message: scrubSecrets(`${providerId} reported an error: ${bodyError.message}`, secrets),
    });
  }
  const choices = field(data, 'choices');
  if (!Array.isArray(choices) || choices.length === 0 || typeof field(choices[0], 'message') !== 'object') {
    throw new ProviderError({
      code: 'unavailable',
      providerId,
      requestId,
      message: `${providerId} returned a response that is not a chat completion (no choices).`,
    });
  }
  return data as ChatCompletion;
}

function firstChoice(data: unknown): unknown {
  const choices = field(data, 'choices');
  return Array.isArray(choices) ? choices[0] : undefined;
}

// ---------------------------------------------------------------------------
// Reading results
// ---------------------------------------------------------------------------

/** Token counts, plus `usage.cost` (USD) where the server reports it (OpenRouter). */
export function mapUsage(usage: unknown): Usage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const out: Usage = {};
  const input = field(usage, 'prompt_tokens');
  const output = field(usage, 'completion_tokens');
  const cost = field(usage, 'cost');
  if (typeof input === 'number') out.inputTokens = input;
  if (typeof output === 'number') out.outputTokens = output;
  if (typeof cost === 'number' && Number.isFinite(cost)) out.costUsd = cost;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Adds usages field by field; a field stays undefined only when no part reported it. */
export function sumUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  const add = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : x + y);
  return {
    inputTokens: add(a.inputTokens, b.inputTokens),
    outputTokens: add(a.outputTokens, b.outputTokens),
    costUsd: add(a.costUsd, b.costUsd),
  };
}

/** The assistant's text: string content, or the text parts of array content. */
export function messageText(completion: ChatCompletion): string {
  const content: unknown = completion.choices[0]?.message.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (field(p, 'type') === 'text' && typeof field(p, 'text') === 'string' ? (field(p, 'text') as string) : '')).join('');
  }
  return '';
}

export function finishReason(completion: ChatCompletion): string | undefined {
  const reason: unknown = completion.choices[0]?.finish_reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** Warnings a caller should see about a finish reason other than a normal stop. */
export function finishWarnings(reason: string | undefined): string[] {
  if (reason === 'length') return ['The answer was cut off at the token limit (finish_reason "length"); raise maxTokens for more.'];
  if (reason === 'content_filter') return ['The provider filtered part of the answer (finish_reason "content_filter").'];
  return [];
}

/**
 * A text GenerationResult from one completion. An answer that the content filter
 * emptied is an error: there is nothing to return and retrying elsewhere will not help.
 */
export function toTextResult(call: ChatCall, requestedModel: string, providerId: string): GenerationResult {
  const { completion } = call;
  const text = messageText(completion);
  const reason = finishReason(completion);
  if (reason === 'content_filter' && text.trim() === '') {
    throw new ProviderError({
      code: 'content_filtered',
      providerId,
      requestId: completion.id || call.httpRequestId,
      message: `${providerId}: the answer was blocked by the content filter.`,
    });
  }
  const warnings = finishWarnings(reason);
  return {
    model: completion.model || requestedModel,
    artifacts: [],
    text,
    usage: mapUsage(completion.usage),
    requestId: completion.id || call.httpRequestId,
    ...(warnings.length > 0 ? { warnings } : {}),
    providerMetadata: { finishReason: reason, ...(call.httpRequestId ? { httpRequestId: call.httpRequestId } : {}) },
    raw: completion,
  };
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

interface ErrorBody {
  code?: number | string;
  message: string;
  metadata?: Record<string, unknown>;
}

/** `{code?, message, metadata?}` (OpenRouter's and OpenAI's `error` object), or undefined. */
function errorBody(value: unknown): ErrorBody | undefined {
  const message = field(value, 'message');
  if (typeof message !== 'string') return undefined;
  const code = field(value, 'code');
  const metadata = field(value, 'metadata');
  return {
    message,
    ...(typeof code === 'number' || typeof code === 'string' ? { code } : {}),
    ...(metadata && typeof metadata === 'object' ? { metadata: metadata as Record<string, unknown> } : {}),
  };
}

/**
 * True when `err` is an instance of the `openai` SDK error class called `name`.
 * Matched by class name along the prototype chain because the SDK's classes are not
 * importable here without loading the SDK at start-up.
 */
function isSdkError(err: unknown, name: string): err is Error {
  if (!(err instanceof Error)) return false;
  for (let proto = Object.getPrototypeOf(err); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === name) return true;
  }
  return false;
}

/** What an SDK `APIError` carries that we read. */
interface ApiErrorLike extends Error {
  status?: number;
  headers?: Headers;
  requestID?: string | null;
  error?: unknown;
}

/**
 * Turns anything the `openai` SDK throws into a ProviderError: status → code, Retry-After
 * → retryAfterMs, the provider's own message from the body. `secrets` (API keys) and
 * bearer tokens are scrubbed from the message.
 */
export function mapOpenAIError(err: unknown, providerId: string, secrets: readonly string[] = []): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isSdkError(err, 'APIUserAbortError') || isAbortError(err)) {
    return new ProviderError({ code: 'cancelled', providerId, message: `${providerId}: the call was cancelled.`, cause: err });
  }
  if (isSdkError(err, 'APIConnectionTimeoutError')) {
    return new ProviderError({ code: 'timeout', providerId, message: `${providerId}: the request timed out.`, cause: err });
  }
  if (isSdkError(err, 'APIConnectionError')) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return new ProviderError({
      code: 'unavailable',
      providerId,
      message: scrubSecrets(`${providerId}: could not connect: ${err.message}${cause}`, secrets),
      cause: err,
    });
  }
  if (isSdkError(err, 'APIError')) {
    const apiErr = err as ApiErrorLike;
    if (typeof apiErr.status === 'number') return fromStatus(apiErr, apiErr.status, providerId, secrets);
  }
  if (err instanceof SyntaxError) {
    // The SDK parses a JSON content-type body with response.json(); a broken body is a bad gateway.
    return new ProviderError({ code: 'unavailable', providerId, message: `${providerId} returned a response that is not valid JSON.`, cause: err });
  }
  const wrapped = toProviderError(err, providerId);
  return new ProviderError({ code: wrapped.code, providerId, message: scrubSecrets(wrapped.message, secrets), cause: err });
}

function fromStatus(err: ApiErrorLike, status: number, providerId: string, secrets: readonly string[]): ProviderError {
  // The SDK stores the body's `error` object (or the whole body when it has none) in `.error`.
  const body = errorBody(err.error);
  const providerMessage = body?.message ?? (typeof err.error === 'string' ? err.error : err.message);
  const upstream = body?.metadata?.provider_name;
  let code = codeForStatus(status);
  // OpenRouter answers 403 with moderation metadata (`reasons`, `flagged_input`) when input is flagged.
  if (status === 403 && body?.metadata && ('flagged_input' in body.metadata || 'reasons' in body.metadata)) code = 'content_filtered';
  return new ProviderError({
    code,
    providerId,
    status,
    requestId: err.requestID ?? undefined,
    retryAfterMs: parseRetryAfter(err.headers?.get('retry-after')),
    message: scrubSecrets(
      `${providerId} returned HTTP ${status}: ${providerMessage}${typeof upstream === 'string' ? ` (upstream provider: ${upstream})` : ''}`,
      secrets,
    ),
    cause: err,
  });
}
