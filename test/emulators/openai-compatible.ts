/**
 * Loopback emulator of an OpenAI-compatible chat-completions API (OpenRouter flavour):
 * `POST <basePath>/chat/completions` on 127.0.0.1, a port the OS picks.
 *
 * - Checks `Authorization: Bearer <apiKey>` when `apiKey` is set (401, OpenRouter error body).
 * - Records every request (path, headers, parsed JSON body) and the body it answered with.
 * - Text requests: deterministic echo of the last user text; `usage` with token counts,
 *   plus `cost` when the request asked for `usage: {include: true}`.
 * - Image requests (`modalities` contains 'image'): real PNGs (a solid colour each) as
 *   data URLs in `message.images`; every PNG sent is kept in `sentImages`.
 * - Faults: a queue, one fault per request, applied in order.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, isObject, listenLoopback, parseJson, readBody, sleepUnlessClosed } from './http-kit.js';
import { colour, encodeNoisyPng, encodePng } from './media.js';

export interface EmulatorOptions {
  /** Path prefix before `/chat/completions`: '/api/v1' for OpenRouter, '/v1' for local servers. */
  basePath?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Images per image response (default 1). */
  imagesPerResponse?: number;
  /** Side of the square PNGs, in pixels (default 8). */
  imageSize?: number;
  /** Noisy gradients instead of solid colours, so large images do not compress to nothing. */
  imageNoise?: boolean;
  /** The completion `id` and `x-request-id` to answer with (default generated): an upstream that echoes a key there, say. */
  responseId?: string;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
  rawBody: string;
  /** The `x-request-id` this request was answered with. */
  requestId: string;
  /** JSON the emulator answered with (undefined until answered, or for malformed replies). */
  response?: unknown;
  status?: number;
  /** True when the client hung up before the answer was sent (e.g. it cancelled). */
  clientAborted: boolean;
}

/** Changes the next successful answer instead of failing it. */
export interface ReplyOverride {
  content?: string | null;
  finishReason?: string;
  /** Images in this answer (image requests only). */
  images?: number;
}

export type Fault =
  /** An error answer with OpenRouter's body `{"error":{"code":status,"message":...}}`. */
  | { status: number; retryAfter?: string; message?: string; metadata?: Record<string, unknown> }
  /** A JSON content-type whose body is cut off mid-object. */
  | { malformed: true; status?: number }
  /** Wait before answering normally; a long delay is a stall (the wait ends if the client leaves). */
  | { delayMs: number }
  | { reply: ReplyOverride };

export interface Emulator {
  /** Base URL to give the SDK, e.g. http://127.0.0.1:43210/api/v1. */
  url: string;
  requests: RecordedRequest[];
  /** Every PNG returned, in the order sent. */
  sentImages: Uint8Array[];
  enqueueFault(...faults: Fault[]): void;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Pricing the emulator reports in `usage.cost` (USD). */
export const PRICES = { perInputToken: 0.000001, perOutputToken: 0.000002, perImage: 0.04 } as const;


export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const basePath = (options.basePath ?? '/v1').replace(/\/$/, '');
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const sentImages: Uint8Array[] = [];
  const waiters = new Set<() => void>();
  let counter = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: `emulator bug: ${String(err)}` } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = (await readBody(req)).toString('utf8');
    const n = ++counter;
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: parseJson(rawBody),
      rawBody,
      requestId: options.responseId ?? `req-emu-${n}-${Math.random().toString(36).slice(2, 10)}`,
      clientAborted: false,
    };
    requests.push(rec);
    for (const wake of waiters) wake();
    res.setHeader('x-request-id', rec.requestId);
    res.on('close', () => {
      if (!res.writableFinished) rec.clientAborted = true;
    });

    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      rec.response = body;
      sendJson(res, status, body, headers);
    };

    if (rec.path.split('?')[0] !== `${basePath}/chat/completions`) {
      return answer(404, { error: { code: 404, message: `No route for ${rec.method} ${rec.path}` } });
    }
    if (rec.method !== 'POST') return answer(405, { error: { code: 405, message: 'Method not allowed' } });
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return answer(401, { error: { code: 401, message: 'No auth credentials found' } });
    }

    let override: ReplyOverride = {};
    const fault = faults.shift();
    if (fault) {
      if ('status' in fault && !('malformed' in fault)) {
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
        const error = { code: fault.status, message: fault.message ?? defaultMessage(fault.status), ...(fault.metadata ? { metadata: fault.metadata } : {}) };
        return answer(fault.status, { error }, headers);
      }
      if ('malformed' in fault) {
        rec.status = fault.status ?? 200;
        res.writeHead(rec.status, { 'content-type': 'application/json' });
        res.end('{"id":"gen-broken","choices":[{"message":');
        return;
      }
      if ('delayMs' in fault) {
        const stillThere = await sleepUnlessClosed(fault.delayMs, res);
        if (!stillThere) return;
      }
      if ('reply' in fault) override = fault.reply;
    }

    if (!isObject(rec.body) || !Array.isArray(rec.body.messages) || typeof rec.body.model !== 'string') {
      return answer(400, { error: { code: 400, message: 'Request body must be JSON with model and messages' } });
    }
    answer(200, complete(rec.body, n, override));
  }

  function complete(body: Record<string, unknown>, n: number, override: ReplyOverride): unknown {
    const messages = body.messages as unknown[];
    const userText = lastUserText(messages);
    const wantsImage = Array.isArray(body.modalities) && body.modalities.includes('image');
    const images: unknown[] = [];
    if (wantsImage) {
      const count = override.images ?? options.imagesPerResponse ?? 1;
      for (let i = 0; i < count; i++) {
        const side = options.imageSize ?? 8;
        const png = options.imageNoise ? encodeNoisyPng(side, side, sentImages.length + 1) : encodePng(side, side, colour(sentImages.length));
        sentImages.push(png);
        images.push({ type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` } });
      }
    }
    const json = isObject(body.response_format) && body.response_format.type === 'json_object';
    const content =
      override.content !== undefined ? override.content
      : wantsImage ? (images.length > 0 ? `Here is your image of ${userText}` : '')
      : json ? JSON.stringify({ echo: userText })
      : `echo: ${userText}`;
    const promptTokens = messages.reduce<number>((sum, m) => sum + words(textOf(m)), 0);
    const completionTokens = words(content ?? '');
    const usage: Record<string, unknown> = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    if (isObject(body.usage) && body.usage.include === true) {
      usage.cost = promptTokens * PRICES.perInputToken + completionTokens * PRICES.perOutputToken + images.length * PRICES.perImage;
    }
    const finishReason = override.finishReason ?? 'stop';
    return {
      id: options.responseId ?? `gen-${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      provider: 'Emulator',
      choices: [{
        index: 0,
        finish_reason: finishReason,
        native_finish_reason: finishReason.toUpperCase(),
        logprobs: null,
        message: { role: 'assistant', content, ...(wantsImage ? { images } : {}) },
      }],
      usage,
    };
  }

  const origin = await listenLoopback(server);

  return {
    url: `${origin}${basePath}`,
    requests,
    sentImages,
    enqueueFault: (...more) => void faults.push(...more),
    waitForRequests(count, timeoutMs = 5000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`emulator saw ${requests.length} of ${count} requests in ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () => closeServer(server),
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function defaultMessage(status: number): string {
  if (status === 400) return 'Invalid request: bad parameters';
  if (status === 402) return 'Insufficient credits';
  if (status === 404) return 'Model not found';
  if (status === 429) return 'Rate limit exceeded: try again later';
  if (status === 502) return 'Upstream provider returned an invalid response';
  if (status === 503) return 'No available model provider meets your routing requirements';
  return `Emulated error ${status}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function textOf(message: unknown): string {
  if (!isObject(message)) return '';
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .flatMap((p) => (isObject(p) && p.type === 'text' && typeof p.text === 'string' ? [p.text] : []))
    .join(' ');
}

function lastUserText(messages: unknown[]): string {
  const user = [...messages].reverse().find((m) => isObject(m) && m.role === 'user');
  return textOf(user);
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
