/**
 * The HTTP app in this process: `createHttpApp` over a real core, listening on 127.0.0.1:0,
 * hit with raw requests (full control of Host, Origin, headers and body) and with the v1 SDK
 * client. Covers JSON errors (404, parse, size), the stateless 2026-07-28 leg, the session
 * cap of the 2025-11-25 leg, that Host/Origin/bearer guard both legs alike, and that a call
 * which ignores cancellation still gets an answer when the server shuts down.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/registry/config.js';
import { createCore } from '../../src/server/core.js';
import { PROVIDER_MODULES } from '../../src/providers/index.js';
import type { ProviderModule } from '../../src/providers/base.js';
import { createHttpApp, startHttp, type HttpOptions } from '../../src/server/http.js';
import { testEnv } from '../helpers/server-process.js';
import { TOOL_NAMES } from '../helpers/tool-names.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A request exactly as the v2 client sends it at 2026-07-28 (captured from a real one): headers and body. */
function modern(id: number | string, method: string, params: Record<string, unknown> = {}): { headers: Record<string, string>; body: string } {
  const name: Record<string, string> = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return {
    headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...name },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: META } }),
  };
}

function initialize(id: number | string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-2025', version: '1' } } });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

/** POST with full control of every header, Host included (fetch does not let one set Host). */
function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json: () => parseAnswer(b, res.headers['content-type']) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The JSON-RPC message of a JSON body or of a one-message SSE stream. */
function parseAnswer(body: string, contentType: string | undefined): unknown {
  if (contentType?.startsWith('text/event-stream')) {
    const data = body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { id?: unknown });
    return data.find((m) => m.id !== undefined);
  }
  return JSON.parse(body);
}

interface Running {
  url: string;
  base: string;
  port: number;
  close(): Promise<void>;
}

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function listen(env: Record<string, string> = {}, opts: Partial<HttpOptions> = {}): Promise<Running> {
  const core = createCore({ config: loadConfig(testEnv({ MCP_PROVIDERS_LOG_LEVEL: 'silent', ...env })) });
  const http = createHttpApp(core, { host: '127.0.0.1', port: 0, ...opts });
  const server: Server = createServer(http.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const r: Running = {
    url: `http://127.0.0.1:${port}/mcp`,
    base: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await http.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  running.push(r);
  return r;
}

describe('JSON errors, never HTML', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const { base } = await listen();
    for (const [method, path] of [['GET', '/nope'], ['POST', '/mcp/extra'], ['GET', '/'], ['DELETE', '/artifacts']]) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual({ error: 'not_found', message: `No route for ${method} ${path}; MCP is served at /mcp` });
    }
  });

  it('answers malformed JSON with -32700, on both legs', async () => {
    const { url } = await listen();
    for (const headers of [{}, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }] as Record<string, string>[]) {
      const res = await post(url, headers, '{"jsonrpc": "2.0", "id": 1, "method": ');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON' }, id: null });
    }
  });

  it('answers a body over MCP_PROVIDERS_MAX_MESSAGE_BYTES with 413 and a JSON-RPC error, on both legs', async () => {
    const { url } = await listen({ MCP_PROVIDERS_MAX_MESSAGE_BYTES: '2048' });
    const big = modern(7, 'tools/call', { name: 'tts', arguments: { text: 'x'.repeat(3000) } });
    const legacyBig = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x'.repeat(3000), version: '1' } } });
    const expected = { jsonrpc: '2.0', error: { code: -32600, message: 'Request too large: over the 2048-byte limit (MCP_PROVIDERS_MAX_MESSAGE_BYTES)' }, id: null };
    for (const [headers, body] of [[big.headers, big.body], [{}, legacyBig]] as const) {
      const res = await post(url, headers, body);
      expect(res.status).toBe(413);
      expect(res.json()).toEqual(expected);
    }
    // Just under the limit is served.
    const small = modern(8, 'tools/call', { name: 'list_providers', arguments: {} });
    expect(Buffer.byteLength(small.body)).toBeLessThan(2048);
    expect((await post(url, small.headers, small.body)).status).toBe(200);
  });
});

describe('2026-07-28: stateless', () => {
  it('serves server/discover, tools/list and tools/call with no session, and hands out no Mcp-Session-Id', async () => {
    const { url } = await listen();
    const discover = modern('server-discover-probe-1', 'server/discover');
    const d = await post(url, discover.headers, discover.body);
    expect(d.status).toBe(200);
    expect(d.headers['mcp-session-id']).toBeUndefined();
    expect(d.json()).toMatchObject({ jsonrpc: '2.0', id: 'server-discover-probe-1', result: { supportedVersions: ['2026-07-28'], capabilities: { tools: {} } } });

    const list = modern(0, 'tools/list');
    const l = await post(url, list.headers, list.body);
    expect(l.status).toBe(200);
    expect(l.headers['mcp-session-id']).toBeUndefined();
    const tools = (l.json() as { id: number; result: { tools: { name: string }[] } });
    expect(tools.id).toBe(0);
    expect(tools.result.tools.map((t) => t.name)).toEqual(TOOL_NAMES);

    const call = modern(1, 'tools/call', { name: 'list_providers', arguments: {} });
    const c = await post(url, call.headers, call.body);
    expect(c.status).toBe(200);
    expect(c.headers['mcp-session-id']).toBeUndefined();
    expect(c.json()).toMatchObject({ id: 1, result: { structuredContent: { providers: expect.any(Array) } } });
  });

  it('has no GET stream or DELETE: those belong to 2025 sessions', async () => {
    const { url } = await listen();
    const get = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' } });
    expect(get.status).toBe(400);
    expect(await get.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'No session: send initialize first (or speak MCP 2026-07-28, which needs none)' }, id: null });
  });
});

describe('2025-11-25 session cap (MCP_PROVIDERS_MAX_SESSIONS)', () => {
  it('turns the session past the cap away with 503, Retry-After and -32000 with its id; the others carry on', async () => {
    const { url } = await listen({ MCP_PROVIDERS_MAX_SESSIONS: '2' });
    const clients: LegacyClient[] = [];
    for (let i = 0; i < 2; i++) {
      const client = new LegacyClient({ name: `v1-${i}`, version: '1.0.0' });
      await client.connect(new LegacyHttp(new URL(url)));
      clients.push(client);
    }
    try {
      const third = await post(url, {}, initialize('third-init-42'));
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe('30');
      expect(third.headers['mcp-session-id']).toBeUndefined();
      expect(third.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Server is full: 2 sessions are open (MCP_PROVIDERS_MAX_SESSIONS). Retry in 30 s.' },
        id: 'third-init-42',
      });
      // A numeric id comes back as a number.
      expect((await post(url, {}, initialize(9))).json()).toMatchObject({ id: 9, error: { code: -32000 } });

      for (const client of clients) {
        expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
        const res = await client.callTool({ name: 'list_providers', arguments: {} });
        expect(res.isError).toBeFalsy();
        expect(res.structuredContent).toMatchObject({ providers: expect.any(Array) });
      }
      // The 2026 leg keeps no sessions, so the cap does not touch it.
      const list = modern(3, 'tools/list');
      const l = await post(url, list.headers, list.body);
      expect(l.status).toBe(200);
      expect((l.json() as { result: { tools: unknown[] } }).result.tools).toHaveLength(TOOL_NAMES.length);

      // Ending a session frees its place.
      await (clients.shift()!.transport as LegacyHttp).terminateSession();
      const again = await post(url, {}, initialize(10));
      expect(again.status).toBe(200);
      expect(again.headers['mcp-session-id']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('holds the cap when many initialize requests arrive at once', async () => {
    const { url } = await listen({ MCP_PROVIDERS_MAX_SESSIONS: '2' });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post(url, {}, initialize(i))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503, 503, 503, 503]);
    const ids = answers.filter((a) => a.status === 200).map((a) => a.headers['mcp-session-id']);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('Host, Origin and bearer guard both protocol legs alike', () => {
  const TOKEN = 'app-test-token-8c1f9e2d';
  const legs = () => {
    const m = modern(5, 'tools/list');
    return [
      { leg: '2026-07-28', headers: m.headers, body: m.body },
      { leg: '2025-11-25', headers: {} as Record<string, string>, body: initialize(5) },
    ];
  };

  it('403 for a foreign Host or Origin, 401 with WWW-Authenticate without the token, 200 with it', async () => {
    const { url, port } = await listen({}, { authToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const { leg, headers, body } of legs()) {
      const foreignHost = await post(url, { ...headers, ...auth, host: `evil.example:${port}` }, body);
      expect([leg, foreignHost.status, foreignHost.json()]).toEqual([leg, 403, { jsonrpc: '2.0', error: { code: -32000, message: 'Host not allowed: evil.example' }, id: null }]);

      const otherPort = await post(url, { ...headers, ...auth, origin: 'http://localhost:9999' }, body);
      expect([leg, otherPort.status, otherPort.json()]).toEqual([leg, 403, { jsonrpc: '2.0', error: { code: -32000, message: 'Origin not allowed: http://localhost:9999' }, id: null }]);

      const nullOrigin = await post(url, { ...headers, ...auth, origin: 'null' }, body);
      expect([leg, nullOrigin.status]).toEqual([leg, 403]);

      const missing = await post(url, headers, body);
      expect([leg, missing.status, missing.headers['www-authenticate'], missing.json()]).toEqual([
        leg,
        401,
        'Bearer realm="mcp-providers"',
        { jsonrpc: '2.0', error: { code: -32000, message: 'Missing Authorization: Bearer <token>' }, id: null },
      ]);
      const wrong = await post(url, { ...headers, authorization: `Bearer ${TOKEN}x` }, body);
      expect([leg, wrong.status, wrong.headers['www-authenticate'], (wrong.json() as { error: { message: string } }).error.message]).toEqual([
        leg,
        401,
        'Bearer realm="mcp-providers"',
        'Invalid bearer token',
      ]);

      // A page from this very server (same port) with the token is served.
      const ok = await post(url, { ...headers, ...auth, host: `localhost:${port}`, origin: `http://localhost:${port}` }, body);
      expect([leg, ok.status]).toEqual([leg, 200]);
      expect((ok.json() as { id: number }).id).toBe(5);
    }
  });

  it('the token also guards downloads, while /healthz stays open', async () => {
    const { base } = await listen({}, { authToken: TOKEN });
    const dl = await fetch(`${base}/artifacts/aaaaaaaaaaaaaaaaaaaaa`);
    expect(dl.status).toBe(401);
    expect(dl.headers.get('www-authenticate')).toBe('Bearer realm="mcp-providers"');
    const withToken = await fetch(`${base}/artifacts/aaaaaaaaaaaaaaaaaaaaa`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(404);
    expect((await withToken.json()) as unknown).toEqual({ error: 'not_found', message: 'No artifact with that id.' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('shutdown with a call that ignores cancellation', () => {
  it('answers it with a failed job result (JSON on 2026-07-28, an SSE event on a 2025 session), and close() returns', async () => {
    // A provider that never answers and never looks at its abort signal.
    const stuck = async (): Promise<ProviderModule> => ({ id: 'local', load: async () => ({ text: { generate: () => new Promise<never>(() => {}) } }) });
    const config = loadConfig(testEnv({ LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', MCP_PROVIDERS_LOG_LEVEL: 'silent' }));
    const core = createCore({ config, modules: { ...PROVIDER_MODULES, local: stuck } });
    const started = await startHttp(core, { host: '127.0.0.1', port: 0 });
    const args = { name: 'generate_text', arguments: { prompt: 'hang', provider: 'local' } };

    const call = modern(77, 'tools/call', args);
    const modernAnswer = post(started.url, call.headers, call.body);

    const init = await post(started.url, {}, initialize(1));
    const session = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    expect((await post(started.url, session, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status).toBe(202);
    const legacyAnswer = post(started.url, session, JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: args }));

    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await started.close(300);
    const closedMs = Date.now() - t0;
    expect(closedMs).toBeLessThan(300 + 2_000 + 1_000);

    // The job layer records the stuck job as failed at shutdown, so both calls get a normal tool result saying so.
    type Answer = { id: number; result: { isError: boolean; content: { text: string }[]; structuredContent: { job: { state: string } } } };
    const text = 'unavailable: The server shut down before the call finished; call again.';
    const m = await modernAnswer;
    expect(m.status).toBe(200);
    expect(m.json()).toMatchObject({ id: 77, result: { isError: true, content: [{ text }], structuredContent: { job: { state: 'failed' } } } } satisfies Answer);
    const l = await legacyAnswer;
    expect(l.status).toBe(200);
    expect(l.headers['content-type']).toBe('text/event-stream');
    expect(l.json()).toMatchObject({ id: 5, result: { isError: true, content: [{ text }], structuredContent: { job: { state: 'failed' } } } } satisfies Answer);
  });
});
