/**
 * The guarded fetch against real loopback servers: which URLs are refused before any request
 * leaves (every private and metadata range, the IPv6 forms, metadata names, names that resolve
 * inward), redirects re-checked hop by hop with request counts on both servers, credentials kept
 * to their origin, the allow-list, pinning to the checked address, and the size and time caps.
 */
import { execFileSync } from 'node:child_process';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/providers/errors.js';
import { resolveMedia } from '../../src/providers/google-vertex/attachments.js';
import { blockedAddressReason, fetchPolicy, guardedFetch, parseAllowHosts, type FetchPolicy, type GuardedFetchOptions } from '../../src/util/guarded-fetch.js';

/** A loopback server that records every request it receives. */
interface TestServer {
  origin: string;
  port: number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<TestServer & { server: Server }> {
  const requests: IncomingMessage[] = [];
  server.prependListener('request', (req: IncomingMessage) => requests.push(req));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    origin: `${scheme}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

const servers: TestServer[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const s = await listen(createServer(handler), 'http');
  servers.push(s);
  return s;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const nothingTrusted: FetchPolicy = { trustedOrigins: [], allowHosts: [] };
const trusting = (...origins: string[]): FetchPolicy => ({ trustedOrigins: origins, allowHosts: [] });
const opts = (policy: FetchPolicy, more: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions => ({ policy, purpose: 'the test file', ...more });

async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the fetch to be refused').toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Fails the test if any socket is opened through node:http or node:https. */
function forbidRequests() {
  const spies = [vi.spyOn(http, 'request'), vi.spyOn(https, 'request')];
  return () => spies.reduce((n, s) => n + s.mock.calls.length, 0);
}

describe('refusals before any request', () => {
  const literals: Array<[string, RegExp]> = [
    ['https://169.254.169.254/latest/meta-data/iam/security-credentials/', /link-local\/metadata/],
    ['http://169.254.169.254/computeMetadata/v1/', /plain http/],
    ['https://169.254.0.1/', /link-local/],
    ['https://10.0.0.1/', /private/],
    ['https://10.255.255.255/', /private/],
    ['https://172.16.0.1/', /private/],
    ['https://172.31.255.254/', /private/],
    ['https://192.168.1.1/', /private/],
    ['https://127.0.0.1/', /loopback/],
    ['https://127.45.6.7/', /loopback/],
    ['https://2130706433/', /loopback/], // decimal 127.0.0.1, normalised by the URL parser
    ['https://0x7f.1/', /loopback/],
    ['https://0.0.0.0/', /this network/],
    ['https://0.1.2.3/', /this network/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['https://100.100.100.200/', /carrier-grade NAT/], // Alibaba Cloud metadata
    ['https://192.0.0.192/', /reserved/],
    ['https://198.18.0.1/', /benchmarking/],
    ['https://224.0.0.1/', /multicast/],
    ['https://255.255.255.255/', /reserved/],
    ['https://[::1]/', /loopback/],
    ['https://[::]/', /unspecified/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[febf::1]/', /link-local/],
    ['https://[fd00::1]/', /unique-local/],
    ['https://[fd00:ec2::254]/', /unique-local/], // AWS IPv6 metadata
    ['https://[fc00::1]/', /unique-local/],
    ['https://[ff02::1]/', /multicast/],
    ['https://[::ffff:169.254.169.254]/', /link-local\/metadata \(IPv4-mapped IPv6 form\)/],
    ['https://[::ffff:127.0.0.1]/', /loopback \(IPv4-mapped/],
    ['https://[::ffff:a00:1]/', /private \(IPv4-mapped/],
    ['https://[::ffff:0:a9fe:a9fe]/', /link-local\/metadata \(IPv4-translated/],
    ['https://[64:ff9b::a9fe:a9fe]/', /link-local\/metadata \(NAT64/],
    ['https://[2002:a9fe:a9fe::1]/', /link-local\/metadata \(6to4/],
    ['https://[::127.0.0.1]/', /loopback \(IPv4-compatible/],
    ['https://[2001::1]/', /Teredo/],
  ];
  it.each(literals)('%s is refused (%s) and never requested', async (url, reason) => {
    const requests = forbidRequests();
    const resolve = vi.fn(async (): Promise<LookupAddress[]> => [{ address: '93.184.216.34', family: 4 }]);
    const err = await refusal(guardedFetch(url, opts({ ...nothingTrusted, resolve })));
    expect(err.code).toBe('invalid_request');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(reason);
    expect(err.message).toMatch(/^the test file: refused to fetch /);
    if (url.startsWith('https:')) expect(err.message).toContain('set MCP_PROVIDERS_FETCH_ALLOW_HOSTS to allow it');
    expect(requests()).toBe(0);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('says what it refused in the words the issue asks for', async () => {
    const err = await refusal(guardedFetch('https://169.254.169.254/latest/meta-data?token=secret', opts(nothingTrusted)));
    expect(err.message).toBe(
      'the test file: refused to fetch https://169.254.169.254/latest/meta-data?…: it is a link-local/metadata address; set MCP_PROVIDERS_FETCH_ALLOW_HOSTS to allow it',
    );
    expect(err.message).not.toContain('secret');
  });

  const names: Array<[string, RegExp]> = [
    ['https://metadata.google.internal/computeMetadata/v1/', /cloud metadata name/],
    ['https://METADATA.google.internal./computeMetadata/v1/', /cloud metadata name/],
    ['https://metadata.goog/', /cloud metadata name/],
    ['https://metadata/', /cloud metadata name/],
    ['https://localhost/', /loopback name/],
    ['https://api.localhost/', /loopback name/],
    ['https://db.corp.internal/', /\.internal/],
    ['https://printer.local/', /mDNS/],
  ];
  it.each(names)('%s is refused by name (%s) without a DNS lookup', async (url, reason) => {
    const requests = forbidRequests();
    const resolve = vi.fn(async (): Promise<LookupAddress[]> => [{ address: '93.184.216.34', family: 4 }]);
    const err = await refusal(guardedFetch(url, opts({ ...nothingTrusted, resolve })));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toMatch(reason);
    expect(resolve).not.toHaveBeenCalled();
    expect(requests()).toBe(0);
  });

  const resolving: Array<[string, LookupAddress[], RegExp]> = [
    ['inward.example', [{ address: '127.0.0.1', family: 4 }], /resolves to a loopback address \(127\.0\.0\.1\)/],
    ['meta.example', [{ address: '169.254.169.254', family: 4 }], /resolves to a link-local\/metadata address/],
    // Every address counts, not only the first one.
    ['mixed.example', [{ address: '93.184.216.34', family: 4 }, { address: '10.1.2.3', family: 4 }], /resolves to a private address \(10\.1\.2\.3\)/],
    ['v6.example', [{ address: '2606:4700::1111', family: 6 }, { address: '::ffff:169.254.169.254', family: 6 }], /link-local\/metadata \(IPv4-mapped/],
    ['ula.example', [{ address: 'fd12:3456::1', family: 6 }], /unique-local/],
  ];
  it.each(resolving)('a name resolving inward (%s) is refused after one lookup, before any request', async (host, answer, reason) => {
    const requests = forbidRequests();
    const resolve = vi.fn(async () => answer);
    const err = await refusal(guardedFetch(`https://${host}/file.png`, opts({ ...nothingTrusted, resolve })));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toMatch(reason);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(resolve).toHaveBeenCalledWith(host);
    expect(requests()).toBe(0);
  });

  it('refuses plain http to a loopback server whose origin is not trusted, and no request arrives', async () => {
    const server = await serve((_req, res) => res.end('hello'));
    const err = await refusal(guardedFetch(`${server.origin}/file`, opts(nothingTrusted)));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toMatch(/plain http is fetched only from the origin of a configured <PROVIDER>_BASE_URL/);
    // Another port on the same host is another origin.
    await refusal(guardedFetch(`${server.origin}/file`, opts(trusting(`http://127.0.0.1:${server.port + 1}`))));
    expect(server.requests).toHaveLength(0);
  });

  it('refuses http to a public host, other schemes and URLs with user info', async () => {
    const requests = forbidRequests();
    expect((await refusal(guardedFetch('http://example.com/a.png', opts(nothingTrusted)))).message).toMatch(/plain http/);
    expect((await refusal(guardedFetch('file:///etc/passwd', opts(nothingTrusted)))).message).toMatch(/only https URLs are fetched, not file:/);
    expect((await refusal(guardedFetch('ftp://example.com/a', opts(nothingTrusted)))).message).toMatch(/not ftp:/);
    expect((await refusal(guardedFetch('https://user:pw@example.com/a', opts(nothingTrusted)))).message).toMatch(/user name or password/);
    expect((await refusal(guardedFetch('not a url', opts(nothingTrusted)))).code).toBe('invalid_request');
    expect(requests()).toBe(0);
  });

  it('keeps credentials out of the headers that go to every hop', async () => {
    await expect(guardedFetch('https://example.com/', opts(nothingTrusted, { headers: { Authorization: 'Bearer x' } }))).rejects.toThrow(TypeError);
  });
});

describe('addresses', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '169.255.0.1', '2606:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s is public',
    (address) => expect(blockedAddressReason(address)).toBeUndefined(),
  );
});

describe('trusted origins and redirects', () => {
  it('fetches plain http from a trusted origin', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
    const res = await guardedFetch(`${server.origin}/file.txt?x=1`, opts(trusting(`${server.origin}/api/v1`)));
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${server.origin}/file.txt?x=1`);
    expect(res.redirected).toBe(false);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('hello');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a redirect from the trusted emulator to another loopback port: the second server sees nothing', async () => {
    const second = await serve((_req, res) => res.end('secret'));
    const first = await serve((_req, res) => res.writeHead(302, { location: `${second.origin}/admin` }).end());
    const err = await refusal(guardedFetch(`${first.origin}/result.png`, opts(trusting(first.origin))));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toBe(
      `the test file: refused to follow the redirect from ${first.origin}/result.png to ${second.origin}/admin: plain http is fetched only from the origin of a configured <PROVIDER>_BASE_URL; use https`,
    );
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(0);

    // The https form of the same hop is refused for its address.
    const viaHttps = await serve((_req, res) => res.writeHead(307, { location: `https://127.0.0.1:${second.port}/admin` }).end());
    expect((await refusal(guardedFetch(`${viaHttps.origin}/x`, opts(trusting(viaHttps.origin))))).message).toMatch(/it is a loopback address/);
    expect(second.requests).toHaveLength(0);
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/latest/meta-data/', 'https://[::ffff:a9fe:a9fe]/', 'https://metadata.google.internal/computeMetadata/v1/'])(
    'refuses a redirect from the trusted emulator to %s',
    async (target) => {
      const first = await serve((_req, res) => res.writeHead(301, { location: target }).end());
      const requests = vi.spyOn(https, 'request');
      const err = await refusal(guardedFetch(`${first.origin}/result.png`, opts(trusting(first.origin))));
      expect(err.code).toBe('invalid_request');
      expect(err.message).toMatch(/refused to follow the redirect from http:\/\/127\.0\.0\.1:\d+\/result\.png to /);
      expect(first.requests).toHaveLength(1);
      expect(requests).not.toHaveBeenCalled();
    },
  );

  it('follows up to five redirects within a trusted origin, and refuses the sixth', async () => {
    const server = await serve((req, res) => {
      const n = Number(new URL(req.url!, 'http://x').searchParams.get('n'));
      if (n < 8) res.writeHead(302, { location: `/hop?n=${n + 1}` }).end();
      else res.end('done');
    });
    const ok = await guardedFetch(`${server.origin}/hop?n=3`, opts(trusting(server.origin)));
    expect(await ok.text()).toBe('done');
    expect(ok.redirected).toBe(true);
    expect(ok.url).toBe(`${server.origin}/hop?n=8`);
    expect(server.requests).toHaveLength(6);
    server.requests.length = 0;
    const err = await refusal(guardedFetch(`${server.origin}/hop?n=2`, opts(trusting(server.origin))));
    expect(err.message).toMatch(/more than 5 redirects/);
    expect(server.requests).toHaveLength(6);
  });

  it('sends credentials only to their origin and strips them on a cross-origin redirect', async () => {
    const cdn = await serve((_req, res) => res.end('bytes'));
    const api = await serve((_req, res) => res.writeHead(302, { location: `${cdn.origin}/file.bin` }).end());
    const res = await guardedFetch(`${api.origin}/files/1`, {
      ...opts(trusting(api.origin, cdn.origin)),
      headers: { accept: 'application/octet-stream' },
      credentials: { origin: `${api.origin}/v1/`, headers: { authorization: 'Key s3cret', 'x-api-key': 'k' } },
    });
    expect(await res.text()).toBe('bytes');
    expect(api.requests[0]!.headers.authorization).toBe('Key s3cret');
    expect(api.requests[0]!.headers['x-api-key']).toBe('k');
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
    expect(cdn.requests[0]!.headers['x-api-key']).toBeUndefined();
    expect(cdn.requests[0]!.headers.accept).toBe('application/octet-stream');
  });

  it('maps statuses: 404 not_found, 503 unavailable and retryable, 429 rate_limited with Retry-After', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/gone') res.writeHead(404).end('no');
      else if (req.url === '/down') res.writeHead(503).end('later');
      else res.writeHead(429, { 'retry-after': '2' }).end();
    });
    const policy = trusting(server.origin);
    const gone = await refusal(guardedFetch(`${server.origin}/gone`, opts(policy)));
    expect([gone.code, gone.status, gone.retryable]).toEqual(['not_found', 404, false]);
    const down = await refusal(guardedFetch(`${server.origin}/down`, opts(policy, { providerId: 'fal' })));
    expect([down.code, down.status, down.retryable, down.providerId]).toEqual(['unavailable', 503, true, 'fal']);
    const slow = await refusal(guardedFetch(`${server.origin}/busy`, opts(policy)));
    expect([slow.code, slow.retryAfterMs]).toEqual(['rate_limited', 2000]);
  });

  it('reports a refused connection as unavailable and retryable', async () => {
    const server = await serve((_req, res) => res.end());
    const origin = server.origin;
    await server.close();
    servers.length = 0;
    const err = await refusal(guardedFetch(`${origin}/x`, opts(trusting(origin))));
    expect([err.code, err.retryable]).toEqual(['unavailable', true]);
  });
});

describe('size and time caps', () => {
  it('refuses a declared Content-Length over maxBytes before reading the body', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-length': '10000' }).end(Buffer.alloc(10_000)));
    const err = await refusal(guardedFetch(`${server.origin}/big`, opts(trusting(server.origin), { maxBytes: 1000 })));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toMatch(/is 10000 bytes, over the 1000-byte limit/);
  });

  it('stops a body without Content-Length once it passes maxBytes, mid-stream', async () => {
    let written = 0;
    let closed = false;
    const server = await serve((_req, res) => {
      res.on('close', () => (closed = true));
      const tick = setInterval(() => {
        if (res.destroyed || written >= 100_000) {
          clearInterval(tick);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(Buffer.alloc(1000, 1));
        written += 1000;
      }, 2);
    });
    const res = await guardedFetch(`${server.origin}/stream`, opts(trusting(server.origin), { maxBytes: 2500 }));
    const err = await refusal(res.arrayBuffer());
    expect(err.code).toBe('invalid_request');
    expect(err.message).toMatch(/over the 2500-byte limit \(stopped at 3000 bytes\)/);
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(written).toBeLessThan(100_000);
  });

  it('reports a body that breaks off before its Content-Length as unavailable and retryable', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(400));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await guardedFetch(`${server.origin}/cut`, opts(trusting(server.origin)));
    const err = await refusal(res.arrayBuffer());
    expect([err.code, err.retryable]).toEqual(['unavailable', true]);
    expect(err.message).toMatch(/broke off after 400 of 1000 bytes/);
  });

  it('times out a server that never answers, and one that stalls mid-body', async () => {
    const silent = await serve(() => undefined);
    const started = Date.now();
    const err = await refusal(guardedFetch(`${silent.origin}/x`, opts(trusting(silent.origin), { timeoutMs: 300 })));
    expect([err.code, err.retryable]).toEqual(['timeout', true]);
    expect(err.message).toMatch(/took longer than 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);

    const stalls = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
    });
    const res = await guardedFetch(`${stalls.origin}/x`, opts(trusting(stalls.origin), { timeoutMs: 300 }));
    const late = await refusal(res.arrayBuffer());
    expect(late.code).toBe('timeout');
  });

  it("ends at once when the caller's signal aborts, before or during the exchange", async () => {
    const silent = await serve(() => undefined);
    const before = await refusal(guardedFetch(`${silent.origin}/x`, opts(trusting(silent.origin), { signal: AbortSignal.abort() })));
    expect(before.code).toBe('cancelled');
    expect(silent.requests).toHaveLength(0);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const during = await refusal(guardedFetch(`${silent.origin}/x`, opts(trusting(silent.origin), { signal: controller.signal })));
    expect(during.code).toBe('cancelled');
  });
});

describe('the allow-list and pinning (https)', () => {
  let server: TestServer & { server: Server };
  let hits = 0;

  beforeAll(async () => {
    // A self-signed certificate for files.test and 127.0.0.1, trusted by this test process only.
    const dir = mkdtempSync(join(tmpdir(), 'guarded-fetch-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=files.test',
      '-addext', 'subjectAltName=DNS:files.test,DNS:other.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    (tls as unknown as { setDefaultCACertificates(certs: string[]): void }).setDefaultCACertificates([...tls.getCACertificates('default'), cert]);
    server = await listen(
      https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
        hits++;
        if (req.url === '/bounce') res.writeHead(302, { location: `https://other.test:${server.port}/file` }).end();
        else if (req.url === '/a.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        else if (req.url === '/missing.png') res.writeHead(404).end();
        else res.end(`served ${req.headers.host}`);
      }),
      'https',
    );
  });
  afterAll(() => server.close());

  /** files.test and other.test exist only in this resolver: system DNS knows neither. */
  const resolver = () => vi.fn(async (host: string): Promise<LookupAddress[]> => {
    if (host === 'files.test' || host === 'other.test') return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  });

  it('refuses a private host that is not listed, and lets it through by name or by CIDR', async () => {
    hits = 0;
    const url = `https://files.test:${server.port}/file`;
    const refused = await refusal(guardedFetch(url, opts({ ...nothingTrusted, resolve: resolver() })));
    expect(refused.message).toMatch(/resolves to a loopback address \(127\.0\.0\.1\); set MCP_PROVIDERS_FETCH_ALLOW_HOSTS/);
    expect(hits).toBe(0);

    const byName = await guardedFetch(url, opts({ trustedOrigins: [], allowHosts: ['files.test'], resolve: resolver() }));
    expect(await byName.text()).toBe(`served files.test:${server.port}`);
    const byWildcard = await guardedFetch(url, opts({ trustedOrigins: [], allowHosts: ['*.test'], resolve: resolver() }));
    expect(byWildcard.status).toBe(200);
    await byWildcard.body?.cancel();
    const byLiteral = await guardedFetch(`https://127.0.0.1:${server.port}/file`, opts({ trustedOrigins: [], allowHosts: ['127.0.0.1'] }));
    expect(await byLiteral.text()).toBe(`served 127.0.0.1:${server.port}`);
    expect(hits).toBe(3);
  });

  it('connects to the address it checked: one lookup per hop, never a second one by the socket', async () => {
    hits = 0;
    const resolve = resolver();
    const res = await guardedFetch(`https://files.test:${server.port}/bounce`, opts({ trustedOrigins: [], allowHosts: ['127.0.0.0/8'], resolve }));
    // The socket never asked system DNS, which knows neither name: the answers were pinned.
    expect(await res.text()).toBe(`served other.test:${server.port}`);
    expect(resolve.mock.calls.map((c) => c[0])).toEqual(['files.test', 'other.test']);
    expect(hits).toBe(2);
  });

  it('re-checks each hop of an allowed host: a redirect to an address outside the list is refused', async () => {
    const resolve = vi.fn(async (host: string): Promise<LookupAddress[]> => [{ address: host === 'files.test' ? '127.0.0.1' : '10.9.9.9', family: 4 }]);
    const err = await refusal(guardedFetch(`https://files.test:${server.port}/bounce`, opts({ trustedOrigins: [], allowHosts: ['127.0.0.0/8'], resolve })));
    expect(err.message).toMatch(/refused to follow the redirect .* to https:\/\/other\.test:\d+\/file: it resolves to a private address \(10\.9\.9\.9\)/);
  });

  it("downloads a caller's https attachment (google-vertex) only from the provider's own configured origin, a 404 being invalid_request", async () => {
    hits = 0;
    const env = { resolveArtifact: async () => ({ data: new Uint8Array(), mimeType: 'image/png' }), env: {} };
    const info = { baseUrl: `${server.origin}/v1` } as Parameters<typeof resolveMedia>[1]['info'];
    const signal = new AbortController().signal;
    const media = await resolveMedia({ uri: `${server.origin}/a.png` }, { ...env, info }, { https: 'download', label: 'image', signal });
    expect(media).toEqual({ kind: 'bytes', data: new Uint8Array(PNG), mimeType: 'image/png' });
    const missing = await refusal(resolveMedia({ uri: `${server.origin}/missing.png` }, { ...env, info }, { https: 'download', label: 'image', signal }));
    expect([missing.code, missing.status]).toEqual(['invalid_request', 404]);
    // Without that configuration the same loopback URL is refused.
    const refused = await refusal(resolveMedia({ uri: `${server.origin}/a.png` }, env, { https: 'download', label: 'image', signal }));
    expect(refused.message).toMatch(/^image: refused to fetch https:\/\/127\.0\.0\.1:\d+\/a\.png: it is a loopback address/);
    expect(hits).toBe(2);
  });

  it('still requires https for a listed host', async () => {
    const plain = await serve((_req, res) => res.end('x'));
    const err = await refusal(guardedFetch(`${plain.origin}/x`, opts({ trustedOrigins: [], allowHosts: ['127.0.0.1'] })));
    expect(err.message).toMatch(/plain http/);
    expect(plain.requests).toHaveLength(0);
  });
});

describe('fetchPolicy and the allow-list setting', () => {
  it('trusts the origins of configured base URLs and reads MCP_PROVIDERS_FETCH_ALLOW_HOSTS', () => {
    const policy = fetchPolicy({ MCP_PROVIDERS_FETCH_ALLOW_HOSTS: 'minio.corp, *.svc.cluster,10.0.0.0/8 fd00::/8' }, [
      'http://127.0.0.1:4010/api/v1',
      undefined,
      'not a url',
      'http://127.0.0.1:4010/other',
      'https://proxy.corp:8443/fal',
    ]);
    expect(policy).toEqual({ trustedOrigins: ['http://127.0.0.1:4010', 'https://proxy.corp:8443'], allowHosts: ['minio.corp', '*.svc.cluster', '10.0.0.0/8', 'fd00::/8'] });
    expect(fetchPolicy({}, [])).toEqual({ trustedOrigins: [], allowHosts: [] });
  });

  it.each(['10.0.0.0/33', 'fd00::/129', 'not a host!', '300.1.1.1/8', 'http://x'])('refuses the entry %s', (entry) => {
    expect(() => parseAllowHosts(entry)).toThrow(/MCP_PROVIDERS_FETCH_ALLOW_HOSTS: ".*" is neither a host name/);
  });
});

describe('caller attachments (google-vertex)', () => {
  const env = { resolveArtifact: async () => ({ data: new Uint8Array(), mimeType: 'image/png' }), env: {} };

  it.each(['https://169.254.169.254/latest/meta-data/x.png', 'https://[::ffff:169.254.169.254]/x.png', 'https://metadata.google.internal/x.png', 'http://169.254.169.254/x.png'])(
    'refuses %s before anything is fetched',
    async (uri) => {
      const requests = forbidRequests();
      const err = await refusal(resolveMedia({ uri }, env, { https: 'download', label: 'attachments[0]', signal: new AbortController().signal }));
      expect(err.code).toBe('invalid_request');
      expect(err.providerId).toBe('google-vertex');
      expect(requests()).toBe(0);
    },
  );
});
