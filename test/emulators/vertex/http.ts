/** HTTP plumbing shared by the Vertex emulator's routes (on top of ../http-kit.ts, whose helpers it re-exports). */
import type { ServerResponse } from 'node:http';
import { parseJson, resetConnection } from '../http-kit.js';
import type { WireFault } from './types.js';

export { asObject, isObject, resetConnection, sleepUnlessClosed } from '../http-kit.js';

/** HTTP code → canonical google.rpc.Code name (google/rpc/code.proto's HTTP mapping). */
const GRPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Messages in the style Vertex AI uses for each status. */
const DEFAULT_MESSAGE: Record<string, string> = {
  INVALID_ARGUMENT: 'Request contains an invalid argument.',
  FAILED_PRECONDITION: 'Precondition check failed.',
  UNAUTHENTICATED:
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  PERMISSION_DENIED: 'The caller does not have permission',
  NOT_FOUND: 'Requested entity was not found.',
  RESOURCE_EXHAUSTED:
    'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
  INTERNAL: 'Internal error encountered.',
  UNAVAILABLE: 'The service is currently unavailable.',
  DEADLINE_EXCEEDED: 'Deadline exceeded.',
};

export function grpcStatusFor(httpStatus: number): string {
  return GRPC_STATUS[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN');
}

/** A google.rpc.Status body as Google's JSON APIs send it: `{"error":{code,message,status,details?}}`. */
export function rpcStatusBody(
  code: number,
  opts: { status?: string; message?: string; details?: unknown[] } = {},
): { error: Record<string, unknown> } {
  const status = opts.status ?? grpcStatusFor(code);
  const error: Record<string, unknown> = {
    code,
    message: opts.message ?? DEFAULT_MESSAGE[status] ?? `Emulated error ${code}`,
    status,
  };
  if (opts.details && opts.details.length > 0) error.details = opts.details;
  return { error };
}

/** `google.rpc.ErrorInfo` detail. */
export function errorInfo(reason: string, domain: string, metadata: Record<string, string> = {}): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

/** `google.rpc.RetryInfo` detail from a Retry-After value in seconds. */
export function retryInfo(retryAfter: string): Record<string, unknown> | undefined {
  const seconds = Number(retryAfter);
  if (!Number.isFinite(seconds)) return undefined;
  return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendBody(res, status, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json; charset=UTF-8', ...headers });
}

/** How the answer on this response is to be broken (a WireFault the request took); set before answering. */
const wireFaults = new WeakMap<ServerResponse, WireFault>();

export function breakAnswer(res: ServerResponse, fault: WireFault): void {
  wireFaults.set(res, fault);
}

/**
 * Writes one answer with its Content-Length — or breaks it as the WireFault set with breakAnswer() says.
 * `headOnly` (HEAD): the headers alone.
 */
export function sendBody(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>, headOnly = false): void {
  if (res.destroyed || res.headersSent) return;
  const fault = wireFaults.get(res);
  const half = body.subarray(0, Math.floor(body.length / 2));
  if (!fault || headOnly) {
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.end(headOnly ? undefined : body);
  } else if ('reset' in fault) {
    resetConnection(res);
  } else if ('malformedJson' in fault) {
    res.writeHead(status, { ...headers, 'content-length': String(half.length) });
    res.end(half);
  } else if ('truncate' in fault) {
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    // Once the half is on its way, close: the client sees the connection end N/2 bytes short.
    res.write(half, () => resetConnection(res));
  } else {
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.write(half);
    const timer = setTimeout(() => resetConnection(res), fault.maxMs ?? 30_000);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
  }
}

export function sendRpcError(
  res: ServerResponse,
  code: number,
  opts: { status?: string; message?: string; details?: unknown[]; headers?: Record<string, string> } = {},
): void {
  sendJson(res, code, rpcStatusBody(code, opts), opts.headers);
}

/** JSON, or form fields for `application/x-www-form-urlencoded`; undefined for an empty body. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  return parseJson(raw);
}

export function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** A request-scoped id in the style of Vertex `responseId`s (URL-safe base64, 22 chars). */
export function responseId(seq: number): string {
  const buf = Buffer.alloc(16);
  buf.writeUInt32BE(seq, 0);
  for (let i = 4; i < 16; i++) buf[i] = Math.floor(Math.random() * 256);
  return buf.toString('base64url').slice(0, 22);
}
