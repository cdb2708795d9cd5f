/** End-to-end over Streamable HTTP: tools, artifacts download, Host validation, bearer auth, refusing to expose itself. */
import { request } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient, httpServer, runCli, testEnv, type HttpServer } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

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

  it('lists the six tools with descriptions and output schemas', async () => {
    const client = await httpClient(srv.url);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['generate_audio', 'generate_image', 'generate_text', 'generate_video', 'list_providers', 'tts']);
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
    expect((await client.listTools()).tools).toHaveLength(6);
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
