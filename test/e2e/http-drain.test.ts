/**
 * SIGTERM on the real server while a tool call runs. The call is `generate_text` through the
 * `local` provider against the OpenAI-compatible emulator, held up by a delay fault so its
 * length is ours to choose. A call shorter than the drain time answers normally; a longer one
 * is cancelled when the drain time is up and answers with an error result, never silence;
 * the process exits promptly either way; a request begun during the drain is refused with 503.
 * Both protocol generations: the v1 client at 2025-11-25 (a session) and the v2 client at 2026-07-28.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Emulator } from '../emulators/openai-compatible.js';
import { connect, type AnyClient, type CallResult, type Revision } from '../helpers/clients.js';
import { httpServer, testEnv, type HttpServer } from '../helpers/server-process.js';
import { TOOL_NAMES } from '../helpers/tool-names.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ basePath: '/v1' });
});
afterAll(async () => {
  await emu?.close();
});

async function serve(env: Record<string, string> = {}): Promise<HttpServer> {
  return httpServer(testEnv({ LOCAL_OPENAI_BASE_URL: emu.url, ...env }));
}

/** Starts generate_text through the emulator, held for `delayMs`, and resolves once the emulator has the request (boxed: an async function would adopt the call's promise). */
async function startSlowCall(client: AnyClient, delayMs: number, prompt: string): Promise<{ call: Promise<CallResult | Error> }> {
  const seen = emu.requests.length;
  emu.enqueueFault({ delayMs });
  const call = client.callTool('generate_text', { prompt, provider: 'local' }).catch((err: unknown) => err as Error);
  await emu.waitForRequests(seen + 1, 10_000);
  return { call };
}

/** Sends SIGTERM; resolves with the exit code and how long after the signal the process exited. */
function terminate(srv: HttpServer): { exited: Promise<{ code: number | null; signal: string | null; ms: number }> } {
  const sent = Date.now();
  const exited = new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) =>
    srv.proc.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - sent })),
  );
  srv.proc.kill('SIGTERM');
  return { exited };
}

/** A connection whose request has begun (request line and a header) but not ended: the server must keep it through closeIdleConnections. */
async function halfSentRequest(url: string): Promise<{ finish(body: string, headers?: Record<string, string>): Promise<string>; socket: Socket }> {
  const u = new URL(url);
  const socket = netConnect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`POST /mcp HTTP/1.1\r\nHost: ${u.host}\r\n`);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    async finish(body, headers = {}) {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(
        `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await ended;
      return received;
    },
  };
}

const MODERN_LIST = {
  headers: { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/list' },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 'late-1',
    method: 'tools/list',
    params: {
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'late', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  }),
};

const REVISIONS: Revision[] = ['2026-07-28', '2025-11-25'];

describe.each(REVISIONS)('SIGTERM during a call from a %s client', (revision) => {
  it('lets a call shorter than the drain time finish with its normal result, refuses a request begun during the drain, then exits 0', async () => {
    const srv = await serve({ MCP_PROVIDERS_DRAIN_MS: '8000' });
    const client = await connect({ revision, transport: 'http', env: {}, url: srv.url });
    const late = await halfSentRequest(srv.url);
    try {
      const { call } = await startSlowCall(client, 1_500, 'finish me');
      const { exited } = terminate(srv);
      await new Promise((r) => setTimeout(r, 200));

      // A request that arrives now, on a connection the server still holds, is refused with a JSON-RPC error carrying its id.
      const raw = await late.finish(MODERN_LIST.body, MODERN_LIST.headers);
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 503 /);
      expect(head).toMatch(/\r\nRetry-After: 5\r\n/i);
      expect(head).toMatch(/\r\nConnection: close\r\n/i);
      expect(JSON.parse(body)).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'The server is shutting down; call again in a moment' }, id: 'late-1' });
      // A new connection is not accepted at all.
      await expect(fetch(srv.url.replace('/mcp', '/healthz'))).rejects.toThrow();

      const result = await call;
      expect(result).not.toBeInstanceOf(Error);
      const ok = result as CallResult;
      expect(ok.isError).toBeFalsy();
      expect(ok.structuredContent).toMatchObject({ provider: 'local', text: 'echo: finish me' });

      const { code, signal, ms } = await exited;
      console.log(`[${revision}] 1.5 s call, 8 s drain: exited ${code} ${ms} ms after SIGTERM`);
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(ms).toBeGreaterThanOrEqual(1_200); // it waited for the call
      expect(ms).toBeLessThan(1_500 + 3_000); // and not for the whole drain time
      expect(srv.stderr()).not.toMatch(/drain time over/);
    } finally {
      late.socket.destroy();
      await client.close().catch(() => undefined);
      await srv.close();
    }
  });

  it('cancels a call longer than the drain time: the client gets an error result saying the server shut down, and the process exits soon after', async () => {
    const srv = await serve({ MCP_PROVIDERS_DRAIN_MS: '300' });
    const client = await connect({ revision, transport: 'http', env: {}, url: srv.url });
    try {
      const seen = emu.requests.length;
      const { call } = await startSlowCall(client, 10_000, 'never finishes');
      const { exited } = terminate(srv);

      const result = await call;
      expect(result, String(result)).not.toBeInstanceOf(Error);
      const failed = result as CallResult;
      expect(failed.isError, JSON.stringify(failed)).toBe(true);
      expect(failed.content).toEqual([{ type: 'text', text: 'unavailable: The server shut down before the call finished; call again.' }]);
      expect(failed._meta?.['mcp-providers/error']).toEqual({ code: 'unavailable', retryable: true });

      const { code, signal, ms } = await exited;
      console.log(`[${revision}] 10 s call, 300 ms drain: exited ${code} ${ms} ms after SIGTERM`);
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(ms).toBeGreaterThanOrEqual(300);
      expect(ms).toBeLessThan(300 + 3_000);
      expect(srv.stderr()).toMatch(/drain time over; cancelling the calls still running/);
      // The upstream request was cancelled, not left running, and not retried.
      expect(emu.requests.length).toBe(seen + 1);
      expect(emu.requests[seen].clientAborted).toBe(true);
    } finally {
      await client.close().catch(() => undefined);
      await srv.close();
    }
  });
});

describe('SIGTERM during a 2026-07-28 call answered as an SSE stream', () => {
  it('ends the open stream with the error result, then exits', async () => {
    const srv = await serve({ MCP_PROVIDERS_DRAIN_MS: '300' });
    try {
      emu.enqueueFault({ delayMs: 20_000 });
      const _meta = { ...JSON.parse(MODERN_LIST.body).params._meta, progressToken: 'p-1' };
      // With a progress token the server's heartbeat (every 5 s) turns the answer into an event stream.
      const res = await fetch(srv.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'generate_text',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'generate_text', arguments: { prompt: 'stream me', provider: 'local' }, _meta } }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value, { stream: true });
      expect(text).toMatch(/"method":"notifications\/progress"/);

      const { exited } = terminate(srv);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
      const messages = text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)) as { id?: number; result?: CallResult });
      const answer = messages.at(-1)!;
      expect(answer.id).toBe(77);
      expect(answer.result).toMatchObject({
        isError: true,
        content: [{ type: 'text', text: 'unavailable: The server shut down before the call finished; call again.' }],
      });
      const { code, ms } = await exited;
      console.log(`[2026-07-28 SSE] 20 s call, 300 ms drain: exited ${code} ${ms} ms after SIGTERM`);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(300 + 3_000);
    } finally {
      await srv.close();
    }
  }, 20_000);
});

describe('SIGTERM with nothing running', () => {
  it('exits at once', async () => {
    const srv = await serve();
    const client = await connect({ revision: '2025-11-25', transport: 'http', env: {}, url: srv.url });
    expect(await client.listToolNames()).toHaveLength(TOOL_NAMES.length);
    const { exited } = terminate(srv);
    const { code, ms } = await exited;
    console.log(`idle server with an open 2025 session: exited ${code} ${ms} ms after SIGTERM`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1_500);
    await client.close().catch(() => undefined);
  });
});
