/**
 * A network guard for a server under test: start it with
 *   NODE_OPTIONS=--import=<this file> FETCH_GUARD_LOG=<file>
 * and every fetch, http.request and https.request for a host other than 127.0.0.1 fails, its URL
 * appended to FETCH_GUARD_LOG — so a test can prove nothing went to the real provider (e.g. that
 * with HUGGINGFACE_BASE_URL set nothing reached huggingface.co). data: URLs are local and pass.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const log = process.env.FETCH_GUARD_LOG;
const ALLOWED = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function refuse(url) {
  if (log) appendFileSync(log, `${url}\n`);
  return new TypeError(`fetch guard: ${url} is not on 127.0.0.1`);
}

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const parsed = new URL(url);
  if (parsed.protocol !== 'data:' && !ALLOWED.has(parsed.hostname)) throw refuse(url);
  return realFetch(input, init);
};

for (const mod of [http, https]) {
  for (const name of ['request', 'get']) {
    const real = mod[name];
    mod[name] = function guarded(...args) {
      const first = args[0];
      const host = typeof first === 'string' || first instanceof URL ? new URL(first).hostname : (first?.hostname ?? first?.host ?? 'localhost');
      if (!ALLOWED.has(String(host).replace(/:\d+$/, ''))) throw refuse(typeof first === 'string' ? first : `${mod === https ? 'https' : 'http'}://${host}${first?.path ?? ''}`);
      return real.apply(this, args);
    };
  }
}
