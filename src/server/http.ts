/**
 * Streamable HTTP at /mcp for both protocol generations, GET /healthz, and the authenticated
 * artifact download route. A 2026-07-28 request (its `_meta` names the revision) goes to the
 * SDK's stateless handler, so any replica can serve it; a 2025-11-25 request goes to the
 * session leg. Secure by default: binds 127.0.0.1, checks Host and Origin, requires a bearer
 * token beyond loopback, and drains in-flight calls on shutdown.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import type { Core } from '../tools/deps.js';
import { PACKAGE } from '../util/package.js';
import { createServer } from './create-server.js';
import { artifactDownloadHandler } from './downloads.js';
import { checkBearer, checkHost, checkOrigin, guard, isLoopback, requestIdOf, rpcError, sameServerOrigins, tokenDigest } from './http-guards.js';
import { LegacySessions } from './http-sessions.js';

export { isLoopback } from './http-guards.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** Required on every /mcp and /artifacts request when set. */
  authToken?: string;
  /** Extra Host header names to accept (a reverse proxy's public name, say). */
  allowedHosts?: string[];
  /** Extra browser origins to accept, exactly as the browser sends them (`https://app.example.com`). */
  allowedOrigins?: string[];
}

/** A client must finish sending its headers within this, and its whole request within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 120_000;
/** How often Node checks those timeouts (its default, 30 s, lets a slow-header client linger for 40 s). */
const TIMEOUT_CHECK_MS = 1_000;
/** After the drain time, calls still running are cancelled; this long is left for their error answers to go out. */
const ANSWER_GRACE_MS = 2_000;

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
  const extra = (opts.allowedHosts ?? []).map((h) => h.toLowerCase());
  if (isLoopback(opts.host)) return ['localhost', '127.0.0.1', '[::1]', ...extra];
  // Bound to every interface with no names given: the token is the protection.
  if ((opts.host === '0.0.0.0' || opts.host === '::') && !extra.length) return undefined;
  return [opts.host.includes(':') ? `[${opts.host}]` : opts.host, ...extra];
}

export interface HttpApp {
  app: express.Express;
  /** Open /mcp exchanges (POST and DELETE; the standalone GET stream lasts a session and is not counted). */
  inFlight(): number;
  /** From now on new /mcp requests are refused with 503 while the running ones finish. */
  startDraining(): void;
  /** Last resort for calls that ignored cancellation: answers each exchange still open with a JSON-RPC error. */
  answerUnfinished(): void;
  close(): Promise<void>;
}

export function createHttpApp(core: Core, opts: HttpOptions): HttpApp {
  const { config, logger } = core;
  const app = express();
  app.disable('x-powered-by');

  const hostnames = allowedHostnames(opts);
  if (hostnames) {
    app.use(guard((req) => checkHost(req.headers.host, hostnames)));
    const extraOrigins = opts.allowedOrigins ?? [];
    app.use(guard((req) => checkOrigin(req.header('origin'), [...sameServerOrigins(hostnames, req.socket.localPort ?? opts.port), ...extraOrigins])));
  } else {
    logger.warn({ host: opts.host }, 'Host and Origin not validated (bound to all interfaces; set MCP_PROVIDERS_ALLOWED_HOSTS)');
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', name: PACKAGE.name, version: PACKAGE.version });
  });

  const digest = opts.authToken ? tokenDigest(opts.authToken) : undefined;
  const auth = guard((req) => (digest ? checkBearer(req.header('authorization'), digest) : { ok: true }));

  // A request begun before the drain is served and tracked until its answer is out (POST and
  // DELETE; the standalone GET stream lasts a session and is not). One begun during the drain is
  // refused once its body is read, so the refusal carries its id.
  let draining = false;
  const open = new Map<Response, string | number | null>();
  const admit = (req: Request, res: Response, next: NextFunction) => {
    res.locals.admitted = !draining;
    if (!draining && req.method !== 'GET') {
      open.set(res, null);
      res.once('close', () => open.delete(res));
    }
    next();
  };
  const refuseWhileDraining = (req: Request, res: Response, next: NextFunction) => {
    if (res.locals.admitted) {
      if (open.has(res)) open.set(res, requestIdOf(req.body));
      return next();
    }
    res
      .status(503)
      .set('Retry-After', '5')
      .set('Connection', 'close')
      .json(rpcError(-32000, 'The server is shutting down; call again in a moment', requestIdOf(req.body)));
  };

  // A client's roots become folders save_to writes into, so they are taken only from a client that is
  // on this machine and proved who it is: beyond loopback the client's disk is not ours, and without
  // a token any local process (another user's too) could name `/` as its root.
  const clientRootsRefused = !isLoopback(opts.host)
    ? "this server is reached over the network, so its disk is not the client's"
    : !opts.authToken
      ? 'this HTTP server takes no token (MCP_PROVIDERS_AUTH_TOKEN), so any local process could name its own roots'
      : undefined;
  const serverOptions = { ...(clientRootsRefused ? { clientRootsRefused } : {}), transport: 'tcp' as const };
  const modern = createMcpHandler((rc) => createServer(core, rc.era, serverOptions), {
    legacy: 'reject',
    maxRequestBodySize: config.maxMessageBytes,
    onerror: (err) => logger.debug({ err: err.message }, 'MCP request rejected'),
  });
  const modernNode = toNodeHandler(modern, { maxRequestBodySize: config.maxMessageBytes, onerror: (err) => logger.warn({ err: err.message }, 'MCP HTTP error') });
  const sessions = new LegacySessions({
    createServer: () => createServer(core, 'legacy', serverOptions),
    idleMs: config.sessionIdleMs,
    maxSessions: config.maxSessions,
    logger,
  });

  app.use('/mcp', auth, admit, express.json({ limit: config.maxMessageBytes, type: ['application/json', 'application/*+json'] }), refuseWhileDraining);
  app.post('/mcp', async (req, res) => {
    const legacy = await isLegacyRequest(await toWebRequest(req, req.body), req.body);
    await (legacy ? sessions.handle(req, res, req.body) : modernNode(req, res, req.body));
  });
  // The standalone stream and session termination exist only for 2025 sessions.
  app.get('/mcp', (req, res) => sessions.handle(req, res));
  app.delete('/mcp', (req, res) => sessions.handle(req, res));
  app.all('/mcp', (_req, res) => {
    res.status(405).set('Allow', 'GET, POST, DELETE').json(rpcError(-32000, 'Method not allowed'));
  });

  // Large artifacts are handed on here instead of through resources/read (Express routes HEAD here too).
  app.get('/artifacts/:id', auth, artifactDownloadHandler(core.store, logger));

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.path}; MCP is served at /mcp` });
  });

  // Malformed JSON, over-size bodies and anything a handler throws: a JSON-RPC error, never Express's HTML page with a stack.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const status = err.status ?? 500;
    if (status >= 500) logger.error({ err: err.message }, 'HTTP request failed');
    const [code, message] =
      err.type === 'entity.parse.failed'
        ? [-32700, 'Parse error: the body is not valid JSON']
        : err.type === 'entity.too.large'
          ? [-32600, `Request too large: over the ${config.maxMessageBytes}-byte limit (MCP_PROVIDERS_MAX_MESSAGE_BYTES)`]
          : status >= 500
            ? [-32603, 'Internal error']
            : [-32600, err.message];
    res.status(status).json(rpcError(code, message));
  });

  return {
    app,
    inFlight: () => open.size,
    startDraining: () => {
      draining = true;
    },
    answerUnfinished() {
      if (open.size) logger.error({ open: open.size }, 'calls ignored cancellation; answering them with an error');
      for (const [res, id] of open) {
        const body = JSON.stringify(rpcError(-32000, 'The server shut down before the call finished; call again.', id));
        if (!res.headersSent) res.status(503).set('Connection', 'close').type('application/json').end(body);
        // Headers out, body not ended: an event stream (a JSON answer goes out in one piece), so the error is its last event.
        else if (!res.writableEnded) res.end(`event: message\ndata: ${body}\n\n`);
      }
    },
    async close() {
      await Promise.all([modern.close().catch(() => undefined), sessions.closeAll()]);
    },
  };
}

export interface StartedHttp {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight calls finish for up to `drainMs`, cancels the rest (they answer with an error), then closes. */
  close(drainMs?: number): Promise<void>;
}

export async function startHttp(core: Core, opts: HttpOptions): Promise<StartedHttp> {
  const reason = refuseReason(opts);
  if (reason) throw new Error(reason);
  const http = createHttpApp(core, opts);
  const server = createHttpServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    http.app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/mcp`;
  return {
    server,
    url,
    async close(drainMs = core.config.drainMs) {
      http.startDraining();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await waitFor(() => http.inFlight() === 0, drainMs);
      if (http.inFlight() > 0) {
        core.logger.warn({ inFlight: http.inFlight(), drainMs }, 'drain time over; cancelling the calls still running');
        void core.shutdown();
        await waitFor(() => http.inFlight() === 0, ANSWER_GRACE_MS);
        http.answerUnfinished();
      }
      await core.shutdown();
      await http.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
}
