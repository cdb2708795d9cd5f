/**
 * The 2025-11-25 leg of the HTTP endpoint: clients that `initialize` get a session (the
 * standalone GET stream, DELETE, a log level that lasts), as they always had. The SDK's
 * `createMcpHandler` would serve them statelessly (GET and DELETE answer 405), so they are
 * routed here instead. Sessions live in this process: a replica set needs sticky routing
 * for 2025 clients only; 2026-07-28 requests carry no session and go to any replica.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest, type McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../util/logger.js';
import { requestIdOf, rpcError } from './http-guards.js';

export interface LegacySessionOptions {
  /** Builds the server instance for one new session. */
  createServer(): McpServer;
  /** A session unused this long is closed (clients that vanish without DELETE would otherwise leak). */
  idleMs: number;
  /** Past this many live sessions a new `initialize` gets 503 and nothing else changes. */
  maxSessions: number;
  logger: Logger;
}

/** How long a client turned away because the server is full should wait. */
const FULL_RETRY_AFTER_S = 30;

export class LegacySessions {
  readonly #sessions = new Map<string, { transport: NodeStreamableHTTPServerTransport; lastSeen: number }>();
  readonly #sweep: NodeJS.Timeout;

  constructor(private readonly options: LegacySessionOptions) {
    this.#sweep = setInterval(() => this.#closeIdle(), Math.min(options.idleMs, 60_000));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** POST, GET or DELETE /mcp from a 2025-era client; `body` is the parsed POST body. */
  async handle(req: Request, res: Response, body?: unknown): Promise<void> {
    const sessionId = req.header('mcp-session-id');
    const session = sessionId ? this.#sessions.get(sessionId) : undefined;
    if (session) {
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (sessionId) {
      // The client should start a new session (spec: 404 for an unknown session id).
      res.status(404).json(rpcError(-32001, 'Unknown or expired session; initialize again'));
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      res.status(400).json(rpcError(-32000, 'No session: send initialize first (or speak MCP 2026-07-28, which needs none)', requestIdOf(body)));
      return;
    }
    if (this.#sessions.size >= this.options.maxSessions) {
      this.options.logger.warn({ sessions: this.#sessions.size }, 'session limit reached; initialize refused');
      res
        .status(503)
        .set('Retry-After', String(FULL_RETRY_AFTER_S))
        .json(rpcError(-32000, `Server is full: ${this.options.maxSessions} sessions are open (MCP_PROVIDERS_MAX_SESSIONS). Retry in ${FULL_RETRY_AFTER_S} s.`, requestIdOf(body)));
      return;
    }
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { transport, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.#sessions.delete(transport.sessionId);
    };
    await this.options.createServer().connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.all([...this.#sessions.values()].map(({ transport }) => transport.close().catch(() => undefined)));
    this.#sessions.clear();
  }

  #closeIdle(): void {
    const cutoff = Date.now() - this.options.idleMs;
    for (const { transport, lastSeen } of this.#sessions.values()) {
      if (lastSeen < cutoff) void transport.close().catch(() => undefined);
    }
  }
}
