/**
 * End-to-end over Streamable HTTP: tools, artifact downloads (ranges, HEAD, 304, a vanished
 * file), Host validation, bearer auth, a client that never finishes its headers, refusing to
 * expose itself.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient, httpServer, runCli, testEnv, type HttpServer } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';
import { TOOL_NAMES } from '../helpers/tool-names.js';

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

/** Raw POST with full control of the Host header (fetch does not allow setting it). */
function rawPost(url: string, headers: Record<string, string>, body = INIT): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP without a token (loopback)', () => {
  let srv: HttpServer;
  beforeAll(async () => {
    srv = await httpServer(testEnv());
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('binds 127.0.0.1 by default and answers /healthz', async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const res = await fetch(srv.url.replace('/mcp', '/healthz'));
    expect(await res.json()).toMatchObject({ status: 'ok', name: 'mcp-providers' });
  });

  it('lists the tools with descriptions and output schemas', async () => {
    const client = await httpClient(srv.url);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    for (const t of tools) {
      expect(t.description).toBeTruthy();
      expect(t.outputSchema).toBeDefined();
      for (const [k, v] of Object.entries(t.inputSchema.properties ?? {})) expect((v as { description?: string }).description, `${t.name}.${k}`).toBeTruthy();
    }
    await client.close();
  });

  it('tts over HTTP gives a download URL serving the same bytes', async () => {
    const client = await httpClient(srv.url);
    const res = (await client.callTool({ name: 'tts', arguments: { text: 'Over HTTP.' } })) as CallToolResult;
    const [art] = (res.structuredContent as { artifacts: { url: string; sha256: string; uri: string }[] }).artifacts;
    expect(art.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/artifacts\/[0-9a-z]{21}$/);
    const dl = await fetch(art.url);
    expect(dl.headers.get('content-type')).toBe('audio/wav');
    expect(sha256(new Uint8Array(await dl.arrayBuffer()))).toBe(art.sha256);
    expect((await fetch(srv.url.replace('/mcp', '/artifacts/..%2F..%2Fetc%2Fpasswd'))).status).toBe(404);
    await client.close();
  });

  it('refuses a foreign Host header and a foreign Origin (DNS rebinding)', async () => {
    const port = new URL(srv.url).port;
    expect((await rawPost(srv.url, { host: `evil.example:${port}` })).status).toBe(403);
    expect((await rawPost(srv.url, { host: `localhost:${port}`, origin: 'http://evil.example' })).status).toBe(403);
    expect((await rawPost(srv.url, { host: `localhost:${port}` })).status).toBe(200);
  });

  it('answers a body that is not JSON with a JSON-RPC parse error, not an HTML stack trace', async () => {
    const res = await rawPost(srv.url, {}, '{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    expect(res.body).not.toMatch(/node_modules|<html/i);
  });

  it('asks for initialize before anything else, and 404s an unknown session', async () => {
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await rawPost(srv.url, {}, list)).status).toBe(400);
    expect((await rawPost(srv.url, { 'mcp-session-id': 'nope' }, list)).status).toBe(404);
  });
});

describe('artifact downloads from the real server', () => {
  let srv: HttpServer;
  beforeAll(async () => {
    srv = await httpServer(testEnv());
  });
  afterAll(async () => {
    await srv?.close();
  });

  type Art = { url: string; path: string; sha256: string; size: number };
  async function tts(text: string): Promise<Art> {
    const client = await httpClient(srv.url);
    const res = (await client.callTool({ name: 'tts', arguments: { text } })) as CallToolResult;
    await client.close();
    expect(res.isError).toBeFalsy();
    return (res.structuredContent as { artifacts: Art[] }).artifacts[0];
  }

  it('serves the file: GET, a byte range, HEAD, 304 for its ETag; a deleted file is a JSON 404 and the server carries on', async () => {
    const art = await tts('Downloads over HTTP, byte by byte.');
    const onDisk = readFileSync(art.path);
    expect(onDisk.length).toBe(art.size);
    expect(art.size).toBeGreaterThan(100);

    const full = await fetch(art.url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    expect(full.headers.get('content-length')).toBe(String(art.size));
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const etag = full.headers.get('etag');
    expect(etag).toBe(`"${art.sha256}"`);
    expect(Buffer.from(await full.arrayBuffer()).equals(onDisk)).toBe(true);

    const range = await fetch(art.url, { headers: { range: 'bytes=0-99' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 0-99/${art.size}`);
    expect(range.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await range.arrayBuffer()).equals(onDisk.subarray(0, 100))).toBe(true);

    const tail = await fetch(art.url, { headers: { range: `bytes=${art.size - 10}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(onDisk.subarray(art.size - 10))).toBe(true);

    const outside = await fetch(art.url, { headers: { range: `bytes=${art.size}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${art.size}`);
    expect(await outside.json()).toEqual({ error: 'range_not_satisfiable', message: 'The requested range is outside the artifact.' });

    const head = await fetch(art.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(art.size));
    expect(head.headers.get('etag')).toBe(etag);
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    // fetch adds `Cache-Control: no-cache` to a conditional request unless told otherwise, and send honours it with a 200.
    const notModified = await fetch(art.url, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(notModified.status).toBe(304);
    expect((await notModified.arrayBuffer()).byteLength).toBe(0);
    const otherTag = await fetch(art.url, { headers: { 'if-none-match': '"something-else"', 'cache-control': 'max-age=0' } });
    expect(otherTag.status).toBe(200);
    expect(Buffer.from(await otherTag.arrayBuffer()).equals(onDisk)).toBe(true);

    unlinkSync(art.path);
    for (const init of [{}, { headers: { range: 'bytes=0-99' } }]) {
      const gone = await fetch(art.url, init);
      expect(gone.status).toBe(404);
      expect(gone.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(gone.headers.get('cache-control')).toBe('no-store');
      expect(await gone.json()).toEqual({ error: 'not_found', message: 'No artifact with that id.' });
    }
    const goneHead = await fetch(art.url, { method: 'HEAD' });
    expect(goneHead.status).toBe(404);

    // Still alive and serving: health, a new call, its download.
    expect(srv.proc.exitCode).toBeNull();
    expect((await fetch(srv.url.replace('/mcp', '/healthz'))).status).toBe(200);
    const next = await tts('Still here.');
    const again = await fetch(next.url);
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer()).equals(readFileSync(next.path))).toBe(true);
  });
});

describe('a client that never finishes its headers', () => {
  it('is dropped after the 10 s header timeout (not Node\'s default 60 s), and the server keeps serving', async () => {
    const srv = await httpServer(testEnv());
    try {
      const u = new URL(srv.url);
      const started = Date.now();
      const socket = netConnect(Number(u.port), u.hostname);
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (received += d));
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
      socket.once('connect', () => socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
      socket.on('error', () => undefined);
      const bail = setTimeout(() => socket.destroy(), 16_000);

      // Meanwhile others are served.
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await fetch(srv.url.replace('/mcp', '/healthz'))).status).toBe(200);

      const ms = await closed;
      clearTimeout(bail);
      console.log(`slow-header socket dropped after ${ms} ms; server sent ${JSON.stringify(received.split('\r\n')[0])}`);
      expect(ms).toBeGreaterThanOrEqual(9_500);
      expect(ms).toBeLessThan(15_000);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);

      expect(srv.proc.exitCode).toBeNull();
      expect((await fetch(srv.url.replace('/mcp', '/healthz'))).status).toBe(200);
      const client = await httpClient(srv.url);
      expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
      await client.close();
    } finally {
      await srv.close();
    }
  }, 25_000);
});

describe('HTTP session lifetime', () => {
  it('closes a session left idle past MCP_PROVIDERS_SESSION_IDLE_MS', async () => {
    const srv = await httpServer(testEnv({ MCP_PROVIDERS_SESSION_IDLE_MS: '300' }));
    const res = await fetch(srv.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: INIT,
    });
    const sessionId = res.headers.get('mcp-session-id')!;
    await res.text();
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    expect((await rawPost(srv.url, headers, list)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 900));
    expect((await rawPost(srv.url, headers, list)).status).toBe(404);
    await srv.close();
  });
});

describe('HTTP with MCP_PROVIDERS_AUTH_TOKEN', () => {
  const TOKEN = 'test-token-4b1d0c2e9f7a';
  let srv: HttpServer;
  beforeAll(async () => {
    srv = await httpServer(testEnv({ MCP_PROVIDERS_AUTH_TOKEN: TOKEN }));
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('refuses a missing or wrong token and accepts the right one', async () => {
    const missing = await rawPost(srv.url, {});
    expect(missing.status).toBe(401);
    expect(missing.body).toMatch(/Bearer/);
    expect((await rawPost(srv.url, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await rawPost(srv.url, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await rawPost(srv.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const client = await httpClient(srv.url, { authorization: `Bearer ${TOKEN}` });
    expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
    await client.close();
    expect(srv.stderr()).not.toContain(TOKEN);
  });
});

describe('exposure beyond loopback', () => {
  it('refuses to start on a non-loopback host without a token, saying why', async () => {
    const out = await runCli(['--http', '--host', '0.0.0.0', '--port', '0'], testEnv());
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without a token/);
    expect(out.stderr).toMatch(/MCP_PROVIDERS_AUTH_TOKEN/);
  });

  it('starts on a non-loopback host when a token is set', async () => {
    const srv = await httpServer(testEnv({ MCP_PROVIDERS_AUTH_TOKEN: 'tok-123456789', MCP_PROVIDERS_ALLOWED_HOSTS: 'localhost,127.0.0.1' }), ['--host', '0.0.0.0']);
    const url = srv.url.replace('0.0.0.0', '127.0.0.1');
    expect((await rawPost(url, {})).status).toBe(401);
    expect((await rawPost(url, { authorization: 'Bearer tok-123456789' })).status).toBe(200);
    await srv.close();
  });
});
