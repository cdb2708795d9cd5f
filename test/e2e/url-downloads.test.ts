/**
 * Provider file URLs into the artifact store, end to end in this process: a 100 MB video streams
 * from a loopback server to disk without being held in memory (resident memory is sampled while
 * it downloads), a download cut off halfway leaves nothing behind and is retryable, the bytes
 * decide the stored type, and the composition root trusts exactly the configured base URLs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs-store.js';
import { ProviderError } from '../../src/providers/errors.js';
import { loadConfig } from '../../src/registry/config.js';
import { createCore } from '../../src/server/core.js';

const MB = 1024 * 1024;
const VIDEO_BYTES = 100 * MB;
const meta = { mimeType: 'video/mp4', provider: 'fal', model: 'some/video-model', capability: 'video', prompt: 'a lighthouse at dusk' };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function emptyStore(origin: string) {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-providers-url-'));
  return { dir, store: new FsArtifactStore({ dir, fetchPolicy: { trustedOrigins: [origin], allowHosts: [] } }) };
}

/** One MiB of noise that starts like an MP4 (`ftyp` box), repeated: the body is generated as it is sent, never held whole. */
function videoBlock(): Buffer {
  const block = randomBytes(MB);
  Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex').copy(block);
  return block;
}

/**
 * Writes `total` bytes of `block` repeats, honouring backpressure, into the running hash; stops
 * (destroying the socket) after `cutAt` bytes when given.
 */
async function sendVideo(res: ServerResponse, block: Buffer, total: number, hash: ReturnType<typeof createHash>, cutAt?: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(total) });
  let sent = 0;
  while (sent < total) {
    if (cutAt !== undefined && sent >= cutAt) {
      res.socket?.destroy();
      return;
    }
    const chunk = block.subarray(0, Math.min(block.length, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    if (res.destroyed) return;
  }
  res.end();
}

describe('URL outputs into the artifact store', () => {
  it('streams a 100 MB video to disk while resident memory grows by less than 64 MB, with the sha256 of what was served', async () => {
    const block = videoBlock();
    const served = createHash('sha256');
    const origin = await serve((_req, res) => void sendVideo(res, block, VIDEO_BYTES, served));
    const { dir, store } = await emptyStore(origin);

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = Date.now();
    let record;
    try {
      record = await store.put({ kind: 'url', url: `${origin}/result/video.mp4?sig=abc` }, meta);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMb = (peak - baseline) / MB;
    console.log(`100 MB download: RSS ${(baseline / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB, growth ${growthMb.toFixed(1)} MB, ${Date.now() - started} ms`);

    expect(record.size).toBe(VIDEO_BYTES);
    expect(record.sha256).toBe(served.digest('hex'));
    expect(record.mimeType).toBe('video/mp4');
    expect((await stat(record.path!)).size).toBe(VIDEO_BYTES);
    expect((await readdir(dir)).sort()).toEqual([`${record.id}.json`, `${record.id}.mp4`].sort());
    expect(growthMb).toBeLessThan(64);
  });

  it('stores nothing when the download is cut off halfway, and fails retryably', async () => {
    const block = videoBlock();
    const origin = await serve((_req, res) => void sendVideo(res, block, 20 * MB, createHash('sha256'), 10 * MB));
    const { dir, store } = await emptyStore(origin);
    const err = await store.put({ kind: 'url', url: `${origin}/video.mp4` }, meta).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect((err as ProviderError).code).toBe('unavailable');
    expect((err as ProviderError).providerId).toBe('fal');
    expect((err as ProviderError).message).toMatch(/broke off after \d+ of 20971520 bytes/);
    expect(await readdir(dir)).toEqual([]);
    expect((await store.list({ limit: 10 })).records).toEqual([]);
  });

  it('refuses a body over the size cap, declared or streamed, and stores nothing', async () => {
    const origin = await serve((req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': String(5 * MB) }).end(Buffer.alloc(5 * MB));
      else {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.end(Buffer.concat([videoBlock().subarray(0, 64), Buffer.alloc(5 * MB)]));
      }
    });
    const dir = await mkdtemp(join(tmpdir(), 'mcp-providers-url-'));
    const store = new FsArtifactStore({ dir, maxDownloadBytes: MB, fetchPolicy: { trustedOrigins: [origin], allowHosts: [] } });
    for (const path of ['/declared', '/chunked']) {
      const err = (await store.put({ kind: 'url', url: `${origin}${path}` }, meta).catch((e: unknown) => e)) as ProviderError;
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.code).toBe('invalid_request');
      expect(err.message).toMatch(/over the 1048576-byte limit/);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets the bytes decide the type: a JPEG named image/png is stored as image/jpeg; an HTML page where a video was expected is refused', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 1)]);
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100, 2)]);
    const origin = await serve((req, res) => {
      if (req.url === '/image.png') res.writeHead(200, { 'content-type': 'image/png' }).end(jpeg);
      else if (req.url === '/anim') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(gif);
      else if (req.url === '/audio.mp4') res.writeHead(200).end(videoBlock().subarray(0, 1000));
      else res.writeHead(200, { 'content-type': 'text/html' }).end('\n  <!doctype html><html><body>Please sign in</body></html>');
    });
    const { dir, store } = await emptyStore(origin);
    const image = await store.put({ kind: 'url', url: `${origin}/image.png` }, { ...meta, capability: 'image', mimeType: 'image/png' });
    expect(image.mimeType).toBe('image/jpeg');
    expect(image.path).toMatch(/\.jpg$/);
    expect((await store.read(image.id))?.data).toEqual(jpeg);
    const anim = await store.put({ kind: 'url', url: `${origin}/anim` }, { ...meta, capability: 'image', mimeType: 'application/octet-stream' });
    expect(anim.mimeType).toBe('image/gif');
    // Same container family: the provider's more precise name stays.
    const audio = await store.put({ kind: 'url', url: `${origin}/audio.mp4` }, { ...meta, capability: 'audio', mimeType: 'audio/mp4' });
    expect(audio.mimeType).toBe('audio/mp4');

    const err = (await store.put({ kind: 'url', url: `${origin}/video.mp4` }, meta).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/answered with an HTML\/XML page \(Content-Type text\/html\) where video\/mp4 was expected; nothing was stored/);
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
    expect((await store.list({ limit: 10 })).records.map((r) => r.id).sort()).toEqual([image.id, anim.id, audio.id].sort());
  });

  it('the server core trusts the configured provider base URLs, and nothing else, for provider file URLs', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    let requests = 0;
    const origin = await serve((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    const home = await mkdtemp(join(tmpdir(), 'mcp-providers-core-'));
    const env = { HOME: home, MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'artifacts'), MCP_PROVIDERS_LOG_LEVEL: 'silent' };
    const imageMeta = { ...meta, capability: 'image', mimeType: 'image/png' };

    const plain = createCore({ config: loadConfig(env) });
    const refused = (await plain.store.put({ kind: 'url', url: `${origin}/out.png` }, imageMeta).catch((e: unknown) => e)) as ProviderError;
    await plain.shutdown();
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused.code).toBe('invalid_request');
    expect(refused.message).toMatch(/plain http is fetched only from the origin of a configured <PROVIDER>_BASE_URL/);
    const metadata = createCore({ config: loadConfig(env) });
    const toMetadata = (await metadata.store.put({ kind: 'url', url: 'https://169.254.169.254/latest/meta-data/' }, imageMeta).catch((e: unknown) => e)) as ProviderError;
    await metadata.shutdown();
    expect(toMetadata.message).toMatch(/link-local\/metadata address/);
    expect(requests).toBe(0);

    const configured = createCore({ config: loadConfig({ ...env, OPENROUTER_BASE_URL: `${origin}/api/v1` }) });
    const record = await configured.store.put({ kind: 'url', url: `${origin}/out.png` }, imageMeta);
    await configured.shutdown();
    expect(record.size).toBe(png.length);
    expect(requests).toBe(1);
  });
});
