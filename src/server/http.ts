/**
 * Streamable HTTP transport at /mcp with sessions, GET /healthz, and an authenticated
 * download route for artifacts. Secure by default: binds 127.0.0.1, validates Host and
 * Origin (DNS rebinding), requires a bearer token when exposed beyond loopback.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { isArtifactId } from '../artifacts/store.js';
import type { Core } from '../tools/deps.js';
import { PACKAGE } from '../util/package.js';
import { createServer } from './create-server.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** Required on every /mcp and /artifacts request when set. */
  authToken?: string;
  /** Extra Host header names to accept (a reverse proxy's public name, say). */
  allowedHosts?: string[];
  /** A session unused this long is closed (clients that vanish without DELETE would otherwise leak). */
  sessionIdleMs?: number;
}

const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Why the server must not start with these options, or undefined. */
export function refuseReason(opts: HttpOptions): string | undefined {
  if (!isLoopback(opts.host) && !opts.authToken) {
    return (
      `Refusing to listen on ${opts.host} without a token: anyone who can reach this address could spend your provider credits. ` +
      `Set MCP_PROVIDERS_AUTH_TOKEN to a long random value (clients then send "Authorization: Bearer <token>"), or bind 127.0.0.1.`
    );
  }
  return undefined;
}

export function allowedHostnames(opts: HttpOptions): string[] | undefined {
  const extra = opts.allowedHosts ?? [];
  if (isLoopback(opts.host)) return ['localhost', '127.0.0.1', '[::1]', ...extra];
  // Bound to every interface with no names given: the token is the protection.
  if ((opts.host === '0.0.0.0' || opts.host === '::') && !extra.length) return undefined;
  return [opts.host.includes(':') ? `[${opts.host}]` : opts.host, ...extra];
}

export function createHttpApp(core: Core, opts: HttpOptions): { app: express.Express; closeSessions(): Promise<void> } {
  const app = express();
  app.disable('x-powered-by');
  const allowed = allowedHostnames(opts);
  if (allowed) {
    app.use(hostHeaderValidation(allowed));
    app.use(originValidation(allowed));
  } else {
    core.logger.warn({ host: opts.host }, 'Host header not validated (bound to all interfaces; set MCP_PROVIDERS_ALLOWED_HOSTS)');
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', name: PACKAGE.name, version: PACKAGE.version });
  });

  const auth = bearerAuth(opts.authToken);
  // Large enough for a long prompt plus a few inline attachments.
  app.use('/mcp', auth, express.json({ limit: '48mb' }));

  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const lastSeen = new Map<string, number>();
  const idleMs = opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [id, seen] of lastSeen) {
      if (seen < cutoff) void sessions.get(id)?.close().catch(() => undefined);
    }
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  app.post('/mcp', async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (sessionId && transport) lastSeen.set(sessionId, Date.now());
    if (!transport) {
      if (sessionId || !isInitializeRequest(req.body)) {
        res.status(sessionId ? 404 : 400).json(rpcError(sessionId ? 'Unknown or expired session; initialize again' : 'No session: send initialize first'));
        return;
      }
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, t);
          lastSeen.set(id, Date.now());
        },
      });
      t.onclose = () => {
        if (t.sessionId) {
          sessions.delete(t.sessionId);
          lastSeen.delete(t.sessionId);
        }
      };
      transport = t;
      await createServer(core).connect(transport);
    }
    await transport.handleRequest(req, res, req.body);
  });

  const existing = async (req: Request, res: Response) => {
    const id = req.header('mcp-session-id') ?? '';
    const transport = sessions.get(id);
    if (transport) lastSeen.set(id, Date.now());
    if (!transport) {
      res.status(req.header('mcp-session-id') ? 404 : 400).json(rpcError('Missing or unknown Mcp-Session-Id'));
      return;
    }
    await transport.handleRequest(req, res);
  };
  app.get('/mcp', existing);
  app.delete('/mcp', existing);

  // Download route: large artifacts are handed on here instead of through resources/read.
  app.get('/artifacts/:id', auth, async (req, res) => {
    const id = String(req.params.id);
    const found = isArtifactId(id) ? await core.store.stream(id) : undefined;
    if (!found) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    res.setHeader('Content-Type', found.record.mimeType);
    res.setHeader('Content-Length', String(found.record.size));
    res.setHeader('ETag', `"${found.record.sha256}"`);
    found.stream.pipe(res);
  });

  // Malformed JSON and anything a handler throws: a JSON-RPC error, never Express's HTML page with a stack.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const parse = err.type === 'entity.parse.failed';
    const status = parse ? 400 : (err.status ?? 500);
    if (status >= 500) core.logger.error({ err: err.message }, 'HTTP request failed');
    res.status(status).json({
      jsonrpc: '2.0',
      error: { code: parse ? -32700 : -32603, message: parse ? 'Parse error: the body is not valid JSON' : status >= 500 ? 'Internal error' : err.message },
      id: null,
    });
  });

  return {
    app,
    async closeSessions() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => undefined)));
      sessions.clear();
    },
  };
}

export async function startHttp(core: Core, opts: HttpOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const reason = refuseReason(opts);
  if (reason) throw new Error(reason);
  const { app, closeSessions } = createHttpApp(core, opts);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.on('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/mcp`;
  return {
    server,
    url,
    async close() {
      await closeSessions();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would otherwise hold close() open for seconds.
      server.closeAllConnections();
      await closed;
    },
  };
}

function bearerAuth(token: string | undefined) {
  if (!token) return (_req: Request, _res: Response, next: NextFunction) => next();
  const expected = createHash('sha256').update(token).digest();
  return (req: Request, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '');
    // Compare digests so the comparison takes the same time whatever the length.
    const ok = m ? timingSafeEqual(createHash('sha256').update(m[1].trim()).digest(), expected) : false;
    if (!ok) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="mcp-providers"').json(rpcError(m ? 'Invalid bearer token' : 'Missing Authorization: Bearer <token>'));
      return;
    }
    next();
  };
}

/** Browsers send Origin; one from another site is refused (the spec asks servers to validate it). */
function originValidation(allowed: string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.header('origin');
    if (!origin) return next();
    let hostname: string;
    try {
      hostname = new URL(origin).hostname;
    } catch {
      res.status(403).json(rpcError(`Invalid Origin header`));
      return;
    }
    if (!allowed.includes(hostname) && !allowed.includes(`[${hostname}]`)) {
      res.status(403).json(rpcError(`Origin not allowed: ${origin}`));
      return;
    }
    next();
  };
}

function rpcError(message: string) {
  return { jsonrpc: '2.0', error: { code: -32000, message }, id: null };
}
