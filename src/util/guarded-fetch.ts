/**
 * @module guarded-fetch
 *
 * The one way to GET a URL this server did not build: a file URL a provider answered with
 * (fal, Replicate, an OpenRouter image, a Veo video), or a URL a caller passed as an
 * attachment. Both can point anywhere, so both are checked before any byte leaves:
 *
 * - **Scheme.** https only. Plain http is fetched only from a *trusted origin*, the exact
 *   origin (scheme, host, port) of a configured `<PROVIDER>_BASE_URL`, which keeps the
 *   loopback emulators and private proxies working.
 * - **Address.** Unless the origin is trusted, the host name is refused when it is a known
 *   metadata or private name (`metadata.google.internal`, `localhost`, `*.internal`, …), and
 *   every address it resolves to (`node:dns` `lookup`, `all: true`) must be public: loopback,
 *   private, link-local/metadata, CGNAT, unique-local, multicast, reserved and documentation
 *   ranges are refused, in IPv4, IPv6 and the IPv6 forms that embed an IPv4 address
 *   (mapped, compatible, NAT64, 6to4). `MCP_PROVIDERS_FETCH_ALLOW_HOSTS` lets chosen host
 *   names or CIDRs through (https is still required).
 * - **Pinning.** The connection is made to the addresses that were checked, never to a
 *   second DNS answer (see {@link pinnedLookup}), so DNS rebinding between check and connect
 *   cannot reach a private address.
 * - **Redirects** are followed by hand, at most {@link MAX_REDIRECTS}, and every hop is
 *   checked again like the first URL.
 * - **Credentials** (`options.credentials`) go only to their own origin; any hop to another
 *   origin is sent without them.
 * - **Size and time.** `maxBytes` is checked against Content-Length up front and enforced
 *   while the body streams; `timeoutMs` bounds the whole exchange, body included, and the
 *   caller's `signal` ends it at any point.
 *
 * Every failure is a {@link ProviderError}: a refused URL is `invalid_request` (not
 * retryable); a network failure or 5xx is `unavailable` (retryable); 404/410 is `not_found`;
 * too large is `invalid_request`; the time limit is `timeout`; the caller's signal is `cancelled`.
 *
 * Why node:http(s) and not the global fetch: Node's global fetch is undici, but the undici it
 * bundles is not importable, so pinning its connections would need the `undici` npm package as
 * a dependency, and an npm undici `Agent` handed to Node's own fetch as `dispatcher` must stay
 * version-compatible with the bundled one. `http.request` takes a `lookup` function for the
 * very socket it opens, which is all pinning needs: no new dependency, nothing to keep in step.
 */
import type { LookupAddress } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { ProviderError, codeForStatus, parseRetryAfter, type ErrorCode } from '../providers/errors.js';

/** The environment, as the config loader hands it on. */
type Env = Readonly<Record<string, string | undefined>>;

/** node:net on first use (see `send`): 4, 6, or 0 when `text` is no IP address. */
const isIP = (text: string): number => process.getBuiltinModule('node:net').isIP(text);

/** Hops after the first request. */
export const MAX_REDIRECTS = 5;
/** `timeoutMs` when none is given: the whole exchange, body included. */
export const DEFAULT_FETCH_TIMEOUT_MS = 5 * 60_000;
/** `maxBytes` when none is given. */
export const DEFAULT_FETCH_MAX_BYTES = 64 * 1024 * 1024;
/** The setting that lets private hosts through. */
export const ALLOW_HOSTS_ENV = 'MCP_PROVIDERS_FETCH_ALLOW_HOSTS';

/** What may be fetched besides public https hosts. Build it with {@link fetchPolicy}. */
export interface FetchPolicy {
  /**
   * Origins (`scheme://host[:port]`, as `URL.origin` spells them) of configured provider base
   * URLs. A trusted origin may be plain http and may resolve to any address (a loopback
   * emulator, a proxy on a private network). Empty: nothing is trusted.
   */
  trustedOrigins: string[];
  /**
   * `MCP_PROVIDERS_FETCH_ALLOW_HOSTS` entries: host names (`minio.corp`, or `*.corp` for its
   * subdomains), IP addresses or CIDRs (`10.1.0.0/16`, `fd12::/16`). A listed host name skips the
   * address check; an address inside a listed CIDR passes it. https is still required. Empty:
   * only public addresses.
   */
  allowHosts: string[];
  /**
   * Resolves a host name to all its addresses. Undefined: `node:dns` `lookup` with `all: true`
   * (the system resolver, /etc/hosts included). A seam for tests and custom resolvers; whatever it
   * answers is what gets checked and connected to.
   */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

/** Options of one {@link guardedFetch}. */
export interface GuardedFetchOptions {
  policy: FetchPolicy;
  /** What is being fetched, as messages name it: "the generated file", "attachments[0]". */
  purpose: string;
  /** Ends the exchange (request or body) at once with a `cancelled` error. Undefined: only the timeout does. */
  signal?: AbortSignal;
  /** Milliseconds for the whole exchange: DNS, every hop and the body. Undefined: {@link DEFAULT_FETCH_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Largest body accepted, in bytes. Undefined: {@link DEFAULT_FETCH_MAX_BYTES}. */
  maxBytes?: number;
  /**
   * Headers sent on every hop (`Accept`, …). They must not carry credentials: Authorization,
   * Cookie and API-key headers here are a programming error (a TypeError); use `credentials`.
   */
  headers?: Record<string, string>;
  /**
   * Headers that authenticate to one origin (a provider's API): sent on a hop only when its
   * origin is exactly `origin`, never to any other, so a redirect to a CDN or elsewhere drops
   * them. Undefined: no credentials are sent anywhere.
   */
  credentials?: { origin: string; headers: Record<string, string> };
  /** Set as `providerId` on every error. */
  providerId?: string;
}

/**
 * GETs `url` under `options.policy` (see the module comment for every rule) and answers with a
 * 2xx `Response` whose body streams; reading it is still bounded by `maxBytes`, `timeoutMs` and
 * `signal`, and an error while reading is the same {@link ProviderError} the stream errors with.
 * `response.url` is the final URL and `response.redirected` says whether a redirect was followed.
 * Any other status throws (404/410 `not_found`, 429 `rate_limited`, 5xx `unavailable`, …).
 *
 * @example
 * const policy = fetchPolicy(env.env, [env.info.baseUrl]);
 * const res = await guardedFetch(resultUrl, { policy, purpose: 'the generated image', signal: ctx.signal, maxBytes: 50 * 1024 * 1024 });
 * const bytes = new Uint8Array(await res.arrayBuffer());
 */
export async function guardedFetch(url: string, options: GuardedFetchOptions): Promise<Response> {
  const { policy, purpose } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const fail = (code: ErrorCode, message: string, extra: { status?: number; retryAfterMs?: number; cause?: unknown; retryable?: boolean } = {}) =>
    new ProviderError({ code, message: `${purpose}: ${message}`, providerId: options.providerId, ...extra });
  const publicHeaders = checkPublicHeaders(options.headers ?? {});
  const credentialOrigin = options.credentials ? originOf(options.credentials.origin) : undefined;
  const trusted = new Set(policy.trustedOrigins.map(originOf).filter((o): o is string => !!o));
  const allow = compileAllowList(policy.allowHosts);
  const resolve = policy.resolve ?? ((host: string) => process.getBuiltinModule('node:dns/promises').lookup(host, { all: true, verbatim: true }));

  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw fail('invalid_request', `"${url.slice(0, 80)}" is not a URL`);
  }

  const deadline = new Deadline(timeoutMs, options.signal, () => fail('timeout', `fetching ${shown(current)} took longer than ${timeoutMs} ms`), () =>
    fail('cancelled', `fetching ${shown(current)} was cancelled`),
  );
  try {
    let from: URL | undefined;
    for (let hop = 0; ; hop++) {
      const what = from ? `follow the redirect from ${shown(from)} to ${shown(current)}` : `fetch ${shown(current)}`;
      const refuse = (why: string) => fail('invalid_request', `refused to ${what}: ${why}`);
      const pinned = await deadline.race(checkTarget(current, trusted, allow, resolve, refuse, fail));
      const headers = {
        'accept-encoding': 'identity',
        ...publicHeaders,
        ...(credentialOrigin && current.origin === credentialOrigin ? options.credentials!.headers : {}),
      };
      const res = await deadline.race(send(current, pinned, headers));
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.destroy();
        if (hop >= MAX_REDIRECTS) throw fail('invalid_request', `refused to fetch ${shown(current)}: more than ${MAX_REDIRECTS} redirects`);
        from = current;
        try {
          current = new URL(location, current);
        } catch {
          throw fail('unavailable', `${shown(from)} redirected to "${location.slice(0, 80)}", which is not a URL`, { status });
        }
        continue;
      }
      if (status < 200 || status >= 300) {
        res.destroy();
        const code: ErrorCode = status === 404 || status === 410 ? 'not_found' : status >= 500 ? 'unavailable' : codeForStatus(status);
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        throw fail(code, `${shown(current)} answered HTTP ${status}`, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      }
      const length = res.headers['content-length'];
      const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
      if (declared !== undefined && declared > maxBytes) {
        res.destroy();
        throw fail('invalid_request', `${shown(current)} is ${declared} bytes, over the ${maxBytes}-byte limit`);
      }
      return toResponse(res, current, hop > 0, declared, maxBytes, deadline, fail);
    }
  } catch (err) {
    deadline.dispose();
    throw networkError(err, deadline, current, fail);
  }
}

/**
 * The policy for this process: `trustedOrigins` from the configured provider base URLs
 * (undefined and malformed ones are skipped), `allowHosts` from `MCP_PROVIDERS_FETCH_ALLOW_HOSTS`.
 * Throws when that setting has an entry that is neither a host name nor an address or CIDR.
 *
 * @param env The environment (the config loader's `env`, or an adapter's `AdapterEnv.env`).
 * @param providerBaseUrls `config.providers[].baseUrl`, or one adapter's own `info.baseUrl`.
 */
export function fetchPolicy(env: Env, providerBaseUrls: readonly (string | undefined)[]): FetchPolicy {
  const trustedOrigins = [...new Set(providerBaseUrls.map((u) => (u ? originOf(u) : undefined)).filter((o): o is string => !!o))];
  return { trustedOrigins, allowHosts: parseAllowHosts(env[ALLOW_HOSTS_ENV]) };
}

/** Splits and checks `MCP_PROVIDERS_FETCH_ALLOW_HOSTS` (comma- or space-separated); throws naming a bad entry. */
export function parseAllowHosts(value: string | undefined): string[] {
  const entries = (value ?? '').split(/[\s,]+/).map((e) => e.trim().toLowerCase()).filter(Boolean);
  for (const entry of entries) {
    if (entry.includes('/') ? !parseCidr(entry) : !(parseIp(entry) || HOST_NAME.test(entry.replace(/^\*\./, '').replace(/\.$/, '')))) {
      throw new Error(`${ALLOW_HOSTS_ENV}: "${entry}" is neither a host name (example.corp, *.example.corp) nor an IP address or CIDR (10.0.0.0/8, fd00::/8)`);
    }
  }
  return entries;
}

/**
 * Why an IP address may not be fetched ("loopback", "link-local/metadata", …), or undefined
 * when it is public. IPv6 forms that embed an IPv4 address are judged by that address.
 */
export function blockedAddressReason(address: string): string | undefined {
  const ip = parseIp(address);
  if (!ip) return 'not an IP address';
  const embedded = embeddedIpv4(ip);
  if (embedded) {
    const reason = rangeReason(embedded.ip);
    if (reason) return `${reason} (${embedded.form} form)`;
    return embedded.form === 'IPv4-compatible' ? 'IPv4-compatible (deprecated)' : undefined;
  }
  return rangeReason(ip);
}

// ---- one hop ----------------------------------------------------------------------------

/**
 * Checks one URL; answers the addresses to connect to (pinned), or undefined when the host is an
 * IP literal (nothing to resolve). Throws a refusal otherwise. A trusted origin or a host listed by
 * name skips the checks but is still resolved here and pinned, so one resolver serves every hop.
 */
async function checkTarget(
  url: URL,
  trusted: ReadonlySet<string>,
  allow: AllowList,
  resolve: (hostname: string) => Promise<LookupAddress[]>,
  refuse: (why: string) => ProviderError,
  fail: (code: ErrorCode, message: string, extra?: { cause?: unknown }) => ProviderError,
): Promise<LookupAddress[] | undefined> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(`only https URLs are fetched, not ${url.protocol}`);
  if (url.username || url.password) throw refuse('URLs with a user name or password are not fetched');
  const host = bareHost(url.hostname);
  const trustedOrigin = trusted.has(url.origin);
  if (!trustedOrigin && url.protocol === 'http:') throw refuse('plain http is fetched only from the origin of a configured <PROVIDER>_BASE_URL; use https');
  if (isIP(host)) {
    const reason = trustedOrigin || allow.address(host) ? undefined : blockedAddressReason(host);
    if (reason) throw refuse(`it is a ${reason} address; set ${ALLOW_HOSTS_ENV} to allow it`);
    return undefined;
  }
  const unchecked = trustedOrigin || allow.name(host);
  const nameReason = unchecked ? undefined : blockedNameReason(host);
  if (nameReason) throw refuse(`${host} is ${nameReason}; set ${ALLOW_HOSTS_ENV} to allow it`);
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw fail('not_found', `could not resolve ${host}`, { cause: err });
    throw fail('unavailable', `could not resolve ${host}: ${(err as Error).message}`, { cause: err });
  }
  if (!addresses.length) throw fail('not_found', `could not resolve ${host}`);
  if (unchecked) return addresses;
  for (const { address } of addresses) {
    const reason = allow.address(address) ? undefined : blockedAddressReason(address);
    if (reason) throw refuse(`it resolves to a ${reason} address (${address}); set ${ALLOW_HOSTS_ENV} to allow it`);
  }
  return addresses;
}

/**
 * A `lookup` for `http.request` that answers only the addresses already checked, so the socket
 * connects to one of them whatever DNS would say now. Node's connect calls it with `all: true`
 * when it races address families (autoSelectFamily), with a single answer expected otherwise.
 */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const want = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const pool = want ? addresses.filter((a) => a.family === want) : addresses;
    const answer = pool.length ? pool : addresses;
    if (options.all) (callback as (err: null, addresses: LookupAddress[]) => void)(null, answer);
    else callback(null, answer[0]!.address, answer[0]!.family);
  };
}

/** One GET, answered with its response head. `agent: false`: a pooled socket could have been opened by someone else's unchecked lookup. */
function send(url: URL, pinned: LookupAddress[] | undefined, headers: Record<string, string>): Promise<IncomingMessage> & { abort(reason: unknown): void } {
  // Loaded here, not at import: the store imports this module at start-up, and stdio start-up
  // should not pay for the HTTP client stack until something is downloaded.
  const client = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  const req = client.request({
    protocol: url.protocol,
    hostname: bareHost(url.hostname),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    headers,
    agent: false,
    ...(pinned ? { lookup: pinnedLookup(pinned) } : {}),
  });
  const done = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', (res) => {
      // Errors after this point surface on the response; the request must not throw unheard.
      req.on('error', () => undefined);
      resolve(res);
    });
    req.once('error', reject);
  });
  req.end();
  return Object.assign(done, { abort: (reason: unknown) => req.destroy(reason as Error) });
}

/** Wraps the response head and its body, counted and bounded, in a fetch `Response`. */
function toResponse(
  res: IncomingMessage,
  url: URL,
  redirected: boolean,
  declared: number | undefined,
  maxBytes: number,
  deadline: Deadline,
  fail: (code: ErrorCode, message: string, extra?: { cause?: unknown }) => ProviderError,
): Response {
  // Until the body is read, a destroy (timeout, cancel) must not throw from an unheard stream.
  res.on('error', () => undefined);
  deadline.onAbort((reason) => res.destroy(reason as Error));
  const status = res.statusCode ?? 200;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let received = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > maxBytes) throw fail('invalid_request', `${shown(url)} is over the ${maxBytes}-byte limit (stopped at ${received} bytes)`);
        yield chunk;
      }
      if (!res.complete || (declared !== undefined && received !== declared)) {
        throw fail('unavailable', `the download of ${shown(url)} broke off after ${received}${declared !== undefined ? ` of ${declared}` : ''} bytes`);
      }
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      const of = declared !== undefined ? ` of ${declared}` : '';
      throw deadline.reason ?? fail('unavailable', `the download of ${shown(url)} broke off after ${received}${of} bytes: ${(err as Error).message}`, { cause: err });
    } finally {
      deadline.dispose();
      res.destroy();
    }
  }
  const nullBody = status === 204 || status === 205;
  if (nullBody) {
    deadline.dispose();
    res.destroy();
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    } catch {
      // A header value fetch would not accept; the body is what matters.
    }
  }
  const response = new Response(nullBody ? null : pullStream(chunks(), () => res.destroy()), { status, headers });
  Object.defineProperties(response, { url: { value: url.href }, redirected: { value: redirected } });
  return response;
}

/**
 * A web stream that pulls one chunk at a time (so the socket is read only as fast as the consumer
 * writes). Cancelling it destroys the response at once, even while a read is waiting for bytes;
 * `ReadableStream.from` would wait for that read to finish first.
 */
function pullStream(iterator: AsyncGenerator<Uint8Array>, destroy: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      destroy();
      await iterator.return(undefined).catch(() => undefined);
    },
  });
}

/** Anything thrown while connecting, as a ProviderError. */
function networkError(err: unknown, deadline: Deadline, url: URL, fail: (code: ErrorCode, message: string, extra?: { cause?: unknown }) => ProviderError): ProviderError {
  if (err instanceof ProviderError) return err;
  if (deadline.reason) return deadline.reason;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND') return fail('not_found', `could not resolve ${bareHost(url.hostname)}`, { cause: err });
  return fail('unavailable', `fetching ${shown(url)} failed: ${(err as Error).message ?? String(err)}`, { cause: err });
}

/**
 * The total time limit and the caller's signal, as one thing to race against. The first to fire
 * wins; its error is `reason`, and whatever is in flight is destroyed with it.
 */
class Deadline {
  reason?: ProviderError;
  readonly #timer: NodeJS.Timeout;
  readonly #listeners: Array<(reason: unknown) => void> = [];
  readonly #signal?: AbortSignal;
  readonly #onSignal = () => this.#fire(this.cancelled());

  constructor(ms: number, signal: AbortSignal | undefined, readonly timedOut: () => ProviderError, readonly cancelled: () => ProviderError) {
    this.#timer = setTimeout(() => this.#fire(timedOut()), ms);
    this.#timer.unref();
    this.#signal = signal;
    if (signal?.aborted) this.reason = cancelled();
    else signal?.addEventListener('abort', this.#onSignal, { once: true });
  }

  /** Calls `stop` with the reason when the deadline fires (at once when it already has). */
  onAbort(stop: (reason: unknown) => void): void {
    if (this.reason) stop(this.reason);
    else this.#listeners.push(stop);
  }

  /** The promise's outcome, or the deadline's error if that comes first (and then the request is destroyed). */
  race<T>(work: Promise<T> & { abort?: (reason: unknown) => void }): Promise<T> {
    if (this.reason) {
      work.abort?.(this.reason);
      work.catch(() => undefined);
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const stop = (reason: unknown) => {
        work.abort?.(reason);
        reject(reason);
      };
      this.#listeners.push(stop);
      work.then(
        (value) => {
          this.#forget(stop);
          resolve(value);
        },
        (err: unknown) => {
          this.#forget(stop);
          reject(err);
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onSignal);
    this.#listeners.length = 0;
  }

  #forget(stop: (reason: unknown) => void): void {
    const i = this.#listeners.indexOf(stop);
    if (i >= 0) this.#listeners.splice(i, 1);
  }

  #fire(reason: ProviderError): void {
    if (this.reason) return;
    this.reason = reason;
    for (const stop of this.#listeners.splice(0)) stop(reason);
    this.dispose();
  }
}

// ---- names, origins, headers ------------------------------------------------------------

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
/** Names that reach the machine itself or a cloud's metadata service, whatever DNS says. */
const BLOCKED_NAMES: ReadonlyMap<string, string> = new Map([
  ['localhost', 'the loopback name'],
  ['metadata', 'a cloud metadata name'],
  ['metadata.google.internal', 'the cloud metadata name'],
  ['metadata.goog', 'the cloud metadata name'],
  ['instance-data', 'a cloud metadata name'],
]);
/** Private-use suffixes: `.localhost` (loopback), `.internal` (private use, cloud-internal DNS), `.local` (mDNS). */
const BLOCKED_SUFFIXES: ReadonlyArray<[string, string]> = [
  ['.localhost', 'a loopback name'],
  ['.internal', 'a private (.internal) name'],
  ['.local', 'a link-local (mDNS) name'],
];

function blockedNameReason(host: string): string | undefined {
  const name = host.replace(/\.+$/, '').toLowerCase();
  return BLOCKED_NAMES.get(name) ?? BLOCKED_SUFFIXES.find(([suffix]) => name.endsWith(suffix))?.[1];
}

/** `[::1]` → `::1`; a trailing dot is kept for DNS but not for checks. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** A URL as messages show it: no user info, no query (signed URLs carry secrets there), at most 120 characters. */
function shown(url: URL): string {
  const text = `${url.origin}${url.pathname}`;
  const cut = text.length > 120 ? `${text.slice(0, 119)}…` : text;
  return url.search ? `${cut}?…` : cut;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-goog-api-key', 'api-key', 'host']);

function checkPublicHeaders(headers: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(headers)) {
    if (CREDENTIAL_HEADERS.has(name.toLowerCase())) {
      throw new TypeError(`guardedFetch: "${name}" may not be in options.headers, which go to every hop; pass credentials in options.credentials`);
    }
  }
  return headers;
}

// ---- addresses --------------------------------------------------------------------------

type Ip = { v: 4 | 6; bytes: number[] };
type Range = { net: Ip; bits: number; reason: string };

/** Parses an IPv4 or IPv6 literal (a zone id such as `%eth0` is ignored) into bytes. */
function parseIp(text: string): Ip | undefined {
  const address = text.replace(/%.*$/, '');
  const v = isIP(address);
  if (v === 4) return { v: 4, bytes: address.split('.').map(Number) };
  if (v !== 6) return undefined;
  let head = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    head = address.slice(0, -dotted[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
    tail.push(...dotted[1]!.split('.').map(Number));
  }
  const groups = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const l = groups(left!);
  const r = right === undefined ? [] : groups(right);
  const missing = 8 - tail.length / 2 - l.length - r.length;
  const words = [...l, ...new Array<number>(right === undefined ? 0 : missing).fill(0), ...r];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]).concat(tail);
  return bytes.length === 16 ? { v: 6, bytes } : undefined;
}

function parseCidr(text: string): Range | undefined {
  const [addr, bitsText] = text.split('/');
  const net = addr ? parseIp(addr) : undefined;
  const bits = Number(bitsText);
  if (!net || !/^\d+$/.test(bitsText ?? '') || bits > (net.v === 4 ? 32 : 128)) return undefined;
  return { net, bits, reason: '' };
}

function inRange(ip: Ip, range: Range): boolean {
  if (ip.v !== range.net.v) return false;
  for (let bit = 0; bit < range.bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((ip.bytes[bit >> 3]! & mask) !== (range.net.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

const range = (cidr: string, reason: string): Range => ({ ...parseCidr(cidr)!, reason });

/**
 * Not public, by IANA's special-purpose registries. The first match names the reason. Parsed on
 * first use: parsing needs node:net, whose first isIP costs start-up about 4 ms.
 */
let blockedRanges: readonly Range[] | undefined;
const specialRanges = (): readonly Range[] => (blockedRanges ??= [
  range('0.0.0.0/8', '"this network" (0.0.0.0/8)'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'carrier-grade NAT (shared)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local/metadata'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved (IETF protocol)'),
  range('192.0.2.0/24', 'documentation'),
  range('192.88.99.0/24', 'reserved (6to4 relay)'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved (benchmarking)'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('64:ff9b:1::/48', 'reserved (local NAT64)'),
  range('100::/64', 'reserved (discard)'),
  range('2001::/32', 'reserved (Teredo)'),
  range('2001:db8::/32', 'documentation'),
  range('2001:10::/28', 'reserved (ORCHID)'),
  range('2001:20::/28', 'reserved (ORCHIDv2)'),
  range('fc00::/7', 'unique-local (private)'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local (private)'),
  range('ff00::/8', 'multicast'),
]);

function rangeReason(ip: Ip): string | undefined {
  return specialRanges().find((r) => inRange(ip, r))?.reason;
}

/** The IPv4 address inside an IPv6 form that reaches it: mapped, SIIT-translated, NAT64, 6to4 or compatible. */
function embeddedIpv4(ip: Ip): { ip: Ip; form: string } | undefined {
  if (ip.v !== 6) return undefined;
  const b = ip.bytes;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number): Ip => ({ v: 4, bytes: b.slice(at, at + 4) });
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return { ip: v4(12), form: 'IPv4-mapped IPv6' };
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12)) return { ip: v4(12), form: 'IPv4-translated IPv6' };
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return { ip: v4(12), form: 'NAT64 IPv6' };
  if (b[0] === 0x20 && b[1] === 0x02) return { ip: v4(2), form: '6to4 IPv6' };
  // ::/96 minus :: and ::1, which the table names.
  if (zero(0, 12) && !zero(12, 15)) return { ip: v4(12), form: 'IPv4-compatible' };
  return undefined;
}

interface AllowList {
  /** The host name is listed (exactly, or under a `*.` entry). */
  name(host: string): boolean;
  /** The address is inside a listed address or CIDR (an embedded IPv4 counts). */
  address(address: string): boolean;
}

function compileAllowList(entries: readonly string[]): AllowList {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const ranges: Range[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, '');
    const cidr = entry.includes('/') ? parseCidr(entry) : parseIp(entry) ? parseCidr(`${entry}/${parseIp(entry)!.v === 4 ? 32 : 128}`) : undefined;
    if (cidr) ranges.push(cidr);
    else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else if (entry) names.add(entry);
  }
  return {
    name(host) {
      const name = host.replace(/\.+$/, '').toLowerCase();
      return names.has(name) || suffixes.some((s) => name.endsWith(s));
    },
    address(address) {
      const ip = parseIp(address);
      if (!ip) return false;
      const embedded = embeddedIpv4(ip)?.ip;
      return ranges.some((r) => inRange(ip, r) || (embedded !== undefined && inRange(embedded, r)));
    },
  };
}
