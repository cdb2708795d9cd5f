/** The pure checks in front of every HTTP route: Host, Origin and the bearer token, header value in, verdict out. */
import { describe, expect, it } from 'vitest';
import { checkBearer, checkHost, checkOrigin, isLoopback, sameServerOrigins, tokenDigest } from '../../src/server/http-guards.js';

const HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];
const PORT = 8765;
const ORIGINS = sameServerOrigins(HOSTNAMES, PORT);

describe('checkHost', () => {
  it('accepts every allowed hostname, with or without a port, in any case', () => {
    for (const host of ['localhost', 'localhost:8765', '127.0.0.1:8765', '[::1]:8765', '[::1]', 'LocalHost:1', ' localhost:8765 ']) {
      expect(checkHost(host, HOSTNAMES), host).toEqual({ ok: true });
    }
  });

  it('refuses another name with 403 and names it (DNS rebinding)', () => {
    expect(checkHost('evil.example:8765', HOSTNAMES)).toEqual({ ok: false, status: 403, message: 'Host not allowed: evil.example' });
    expect(checkHost('localhost.evil.example', HOSTNAMES)).toMatchObject({ ok: false, status: 403 });
    expect(checkHost('127.0.0.2:8765', HOSTNAMES)).toMatchObject({ ok: false, status: 403 });
    expect(checkHost('[::2]:8765', HOSTNAMES)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a missing Host with 400', () => {
    expect(checkHost(undefined, HOSTNAMES)).toEqual({ ok: false, status: 400, message: 'Missing Host header' });
    expect(checkHost('', HOSTNAMES)).toEqual({ ok: false, status: 400, message: 'Missing Host header' });
  });
});

describe('checkOrigin', () => {
  it('passes a request without Origin (every non-browser client)', () => {
    expect(checkOrigin(undefined, ORIGINS)).toEqual({ ok: true });
  });

  it('accepts a page served from this very server (same scheme, host and port)', () => {
    for (const origin of ['http://localhost:8765', 'http://127.0.0.1:8765', 'http://[::1]:8765', 'https://localhost:8765']) {
      expect(checkOrigin(origin, ORIGINS), origin).toEqual({ ok: true });
    }
  });

  it('refuses a page on another local port: another origin', () => {
    expect(checkOrigin('http://localhost:9999', ORIGINS)).toEqual({ ok: false, status: 403, message: 'Origin not allowed: http://localhost:9999' });
    expect(checkOrigin('http://127.0.0.1:9999', ORIGINS)).toMatchObject({ ok: false, status: 403 });
    // No port is port 80, not "any port".
    expect(checkOrigin('http://localhost', ORIGINS)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a foreign site', () => {
    expect(checkOrigin('http://evil.example', ORIGINS)).toEqual({ ok: false, status: 403, message: 'Origin not allowed: http://evil.example' });
    expect(checkOrigin('http://evil.example:8765', ORIGINS)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses the opaque origin `null` (sandboxed frames, file: pages, some redirects)', () => {
    expect(checkOrigin('null', ORIGINS)).toEqual({ ok: false, status: 403, message: 'Origin not allowed: null' });
    // Even if someone lists it.
    expect(checkOrigin('null', [...ORIGINS, 'null'])).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a malformed Origin, including one that only normalizes to an allowed origin', () => {
    for (const origin of ['', 'localhost:8765', 'http//localhost:8765', 'not a url', 'http://localhost:8765/', 'http://localhost:8765/x', 'http://u:p@localhost:8765', 'HTTP://LOCALHOST:8765']) {
      expect(checkOrigin(origin, ORIGINS), JSON.stringify(origin)).toEqual({ ok: false, status: 403, message: 'Invalid Origin header' });
    }
  });

  it('accepts an extra origin given exactly as a browser sends it', () => {
    expect(checkOrigin('https://app.example.com', [...ORIGINS, 'https://app.example.com'])).toEqual({ ok: true });
    expect(checkOrigin('https://app.example.com:8443', [...ORIGINS, 'https://app.example.com'])).toMatchObject({ ok: false, status: 403 });
  });
});

describe('sameServerOrigins', () => {
  it('lists http and https for each hostname at the port', () => {
    expect(sameServerOrigins(['localhost', '[::1]'], 8765)).toEqual(['http://localhost:8765', 'https://localhost:8765', 'http://[::1]:8765', 'https://[::1]:8765']);
  });

  it('writes a default port the way a browser does (without it), so a server on 80 or 443 accepts its own pages', () => {
    expect(sameServerOrigins(['localhost'], 80)).toEqual(['http://localhost', 'https://localhost:80']);
    expect(sameServerOrigins(['localhost'], 443)).toEqual(['http://localhost:443', 'https://localhost']);
    expect(checkOrigin('http://localhost', sameServerOrigins(['localhost'], 80))).toEqual({ ok: true });
  });
});

describe('checkBearer', () => {
  const TOKEN = 'test-token-4b1d0c2e9f7a';
  const digest = tokenDigest(TOKEN);
  const challenge = { 'WWW-Authenticate': 'Bearer realm="mcp-providers"' };

  it('accepts the right token (scheme in any case)', () => {
    expect(checkBearer(`Bearer ${TOKEN}`, digest)).toEqual({ ok: true });
    expect(checkBearer(`bearer ${TOKEN}`, digest)).toEqual({ ok: true });
  });

  it('refuses a missing or non-bearer Authorization with 401 and a WWW-Authenticate challenge', () => {
    const missing = { ok: false, status: 401, message: 'Missing Authorization: Bearer <token>', headers: challenge };
    expect(checkBearer(undefined, digest)).toEqual(missing);
    expect(checkBearer('', digest)).toEqual(missing);
    expect(checkBearer(`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, digest)).toEqual(missing);
    expect(checkBearer('Bearer', digest)).toEqual(missing);
  });

  it('refuses a wrong token, one extra character, or one character short', () => {
    const invalid = { ok: false, status: 401, message: 'Invalid bearer token', headers: challenge };
    expect(checkBearer('Bearer wrong', digest)).toEqual(invalid);
    expect(checkBearer(`Bearer ${TOKEN}x`, digest)).toEqual(invalid);
    expect(checkBearer(`Bearer ${TOKEN.slice(0, -1)}`, digest)).toEqual(invalid);
    expect(checkBearer(`Bearer ${TOKEN.toUpperCase()}`, digest)).toEqual(invalid);
  });

  it('never puts the token or the attempt into the refusal', () => {
    const refusal = JSON.stringify(checkBearer(`Bearer ${TOKEN}x`, digest));
    expect(refusal).not.toContain(TOKEN);
  });
});

describe('isLoopback', () => {
  it('knows the loopback names and the whole 127/8 block', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', '128.0.0.1', 'localhost.example']) expect(isLoopback(h), h).toBe(false);
  });
});
