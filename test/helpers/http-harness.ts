/**
 * The built server over Streamable HTTP, for tests that start, kill and restart it: servers,
 * clients and whatever else is handed to `defer` are closed after each test, newest first, so a
 * failed test leaves no process behind.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach } from 'vitest';
import { httpServer, type HttpServer } from './server-process.js';

export interface HttpHarness {
  /** Closes `close` after the test. */
  defer(close: () => Promise<unknown>): void;
  /** `mcp-providers --http` with `env`, stopped after the test. */
  server(env: Record<string, string>): Promise<HttpServer>;
  /** A 2025-11-25 client connected to `srv`, closed after the test. */
  client(srv: HttpServer): Promise<Client>;
}

/** Call at describe level (it registers an afterEach). */
export function httpHarness(clientName: string): HttpHarness {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  });
  const defer = (close: () => Promise<unknown>) => void cleanups.push(close);
  return {
    defer,
    async server(env) {
      const srv = await httpServer(env);
      defer(() => srv.close());
      return srv;
    },
    async client(srv) {
      const c = new Client({ name: clientName, version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(srv.url)));
      defer(() => c.close());
      return c;
    },
  };
}

/** Waits until `ok()` holds, checking every 20 ms; after `ms` it throws, naming `what`. */
export async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
