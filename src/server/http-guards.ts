/**
 * The checks in front of every HTTP route, as pure functions from header values to an
 * ok/refusal result (testable without a server), each with a few-line Express wrapper.
 * Host stops DNS rebinding, Origin stops other web pages (port included: a page on
 * another local port is another origin), the bearer token guards anything beyond loopback.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export type GuardResult = { ok: true } | { ok: false; status: number; message: string; headers?: Record<string, string> };

const OK: GuardResult = { ok: true };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `[::1]:8765` → `[::1]`, `Example.com:80` → `example.com`. */
function hostnameOf(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The Host header must name one of the allowed hostnames (any port: a proxy may rewrite it). */
export function checkHost(hostHeader: string | undefined, allowedHostnames: readonly string[]): GuardResult {
  if (!hostHeader) return { ok: false, status: 400, message: 'Missing Host header' };
  const hostname = hostnameOf(hostHeader);
  return allowedHostnames.includes(hostname) ? OK : { ok: false, status: 403, message: `Host not allowed: ${hostname}` };
}

/**
 * A request without Origin (every non-browser client) passes. A browser's Origin must be
 * exactly one of the allowed origins: scheme, hostname and port, as browsers serialize it.
 */
export function checkOrigin(origin: string | undefined, allowedOrigins: readonly string[]): GuardResult {
  if (origin === undefined) return OK;
  // `null` is the opaque origin (sandboxed frames, file: pages): it names no site, so it is never allowed, even if listed.
  const opaque = origin === 'null';
  if (!opaque && !isSerializedOrigin(origin)) return { ok: false, status: 403, message: 'Invalid Origin header' };
  return !opaque && allowedOrigins.includes(origin) ? OK : { ok: false, status: 403, message: `Origin not allowed: ${origin}` };
}

/** `http://localhost:8765` is; `localhost:8765`, `http://localhost:8765/` and `HTTP://LOCALHOST:8765` are not. */
function isSerializedOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** The origins a page served by this very server would have, for each allowed hostname (a default port is left out, as browsers do). */
export function sameServerOrigins(allowedHostnames: readonly string[], port: number): string[] {
  return allowedHostnames.flatMap((h) => [new URL(`http://${h}:${port}`).origin, new URL(`https://${h}:${port}`).origin]);
}

/** Checks `Authorization: Bearer <token>`; digests are compared so the time taken says nothing about the token. */
export function checkBearer(authorization: string | undefined, expectedDigest: Buffer): GuardResult {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  const ok = m ? timingSafeEqual(createHash('sha256').update(m[1].trim()).digest(), expectedDigest) : false;
  if (ok) return OK;
  return {
    ok: false,
    status: 401,
    message: m ? 'Invalid bearer token' : 'Missing Authorization: Bearer <token>',
    headers: { 'WWW-Authenticate': 'Bearer realm="mcp-providers"' },
  };
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A JSON-RPC error body for refusals outside any request (id null unless known). */
export function rpcError(code: number, message: string, id: string | number | null = null) {
  return { jsonrpc: '2.0' as const, error: { code, message }, id };
}

/** The id of a parsed JSON-RPC request body, for a refusal to answer it by; null when there is none. */
export function requestIdOf(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Wraps a check as Express middleware that answers a refusal with a JSON-RPC error body. */
export function guard(check: (req: Request) => GuardResult): RequestHandler {
  return function guardMiddleware(req: Request, res: Response, next: NextFunction) {
    const result = check(req);
    if (result.ok) return next();
    res.status(result.status).set(result.headers ?? {}).json(rpcError(-32000, result.message));
  };
}
