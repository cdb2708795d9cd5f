/**
 * The HTTP plumbing the loopback provider emulators (fal, Replicate, Hugging Face, Vertex, the
 * OpenAI-compatible one) have in common: listening on 127.0.0.1 and closing, reading and recording
 * a request, parsing its JSON body, sending an answer with its Content-Length, and the two
 * transport faults every emulator knows (`{reset: true}`, `{delayMs}`).
 *
 * What makes each emulator what it is stays in its own module: routes, auth, error body dialects
 * (`{"detail"}`, RFC 7807, `{"error"}`, google.rpc.Status), default messages, which fault a request
 * takes, and Vertex's wire faults (which break an answer as it is sent, so it has its own sender).
 */
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as an emulator received it (some emulators record more about it). */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, as received (not decoded). */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (Vertex: or the form fields of a form-encoded body); undefined if none or not JSON. */
  body: unknown;
}

/** Listens on 127.0.0.1, a port the OS picks; resolves with the origin, `http://127.0.0.1:PORT`. */
export async function listenLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server, ending its connections: keep-alive sockets from a client would hold close() open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** The parsed JSON; undefined for an empty body or one that is not JSON. */
export function parseJson(raw: Buffer | string): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads a request whole: its raw body, its URL, and the record of it (body parsed by `parse`,
 * JSON by default). Recording it is the caller's part.
 */
export async function readRequest(
  req: IncomingMessage,
  parse: (raw: Buffer) => unknown = parseJson,
): Promise<{ raw: Buffer; url: URL; rec: RecordedRequest }> {
  const raw = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const rec: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: parse(raw) };
  return { raw, url, rec };
}

/** Writes one answer with its Content-Length (nothing once the response is gone or already answered). */
export function send(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  send(res, status, Buffer.from(JSON.stringify(body)), { 'content-type': contentType, ...headers });
}

/** Connection reset: no answer at all, the socket destroyed. */
export function resetConnection(res: ServerResponse): void {
  res.socket?.destroy();
  res.destroy();
}

/** Resolves true after `ms`, or false as soon as the client goes away. */
export function sleepUnlessClosed(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

/**
 * The transport faults: `{reset: true}` destroys the connection unanswered (false); `{delayMs}` waits,
 * then true — false if the client left meanwhile. Any other fault: true (the caller goes on).
 */
export async function resetOrDelay(fault: object, res: ServerResponse): Promise<boolean> {
  if ('reset' in fault) {
    resetConnection(res);
    return false;
  }
  if ('delayMs' in fault) return sleepUnlessClosed(fault.delayMs as number, res);
  return true;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}
