/**
 * Why the fal adapter makes its own queue calls: @fal-ai/client 1.10, run against the fal
 * emulator (its URLs rewritten there by a requestMiddleware, as it has no base-URL option),
 * shows each quirk queue.ts names — and, since the real client talks to it unmodified, that the
 * emulator speaks the wire format the client expects. The last test checks that our queue calls
 * use exactly the paths the client builds.
 */
import { ApiError, createFalClient, type FalClient } from '@fal-ai/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageOptions, LongRunningService, OperationStatus } from '../../src/providers/base.js';
import fal from '../../src/providers/fal/index.js';
import { startFalEmulator, type FalEmulator } from '../emulators/fal/index.js';
import { makeCtx } from '../helpers/provider-kit.js';

let emu: FalEmulator;
let client: FalClient;

beforeEach(async () => {
  emu = await startFalEmulator({ queuePolls: 1, progressPolls: 1 });
  client = createFalClient({
    credentials: emu.apiKey,
    retry: { maxRetries: 0 },
    requestMiddleware: async (req) => ({ ...req, url: req.url.replace('https://queue.fal.run', emu.baseUrl) }),
  });
});
afterEach(async () => {
  await emu.close();
});

const calls = () => emu.requests.map((r) => `${r.method} ${r.path}${r.query.logs ? `?logs=${r.query.logs}` : ''}`);

describe('@fal-ai/client against the emulator', () => {
  it('speaks the same wire: submit on the endpoint id, status/result/cancel on the app id (`fal-ai/flux/schnell` → `fal-ai/flux`), Key auth', async () => {
    const submitted = await client.queue.submit('fal-ai/flux/schnell', { input: { prompt: 'a cat' } });
    expect(submitted).toMatchObject({ status: 'IN_QUEUE', request_id: expect.any(String), queue_position: 1 });
    const requestId = submitted.request_id;
    const statuses: string[] = [];
    for (let s = await client.queue.status('fal-ai/flux/schnell', { requestId, logs: true }); ; s = await client.queue.status('fal-ai/flux/schnell', { requestId, logs: true })) {
      statuses.push(s.status);
      if (s.status === 'COMPLETED') break;
    }
    expect(statuses).toEqual(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']);
    const result = await client.queue.result('fal-ai/flux/schnell', { requestId });
    expect(result.requestId).toBe(requestId);
    expect((result.data as { images: { url: string }[] }).images[0]!.url).toBe(emu.made[0]!.url);
    await expect(client.queue.cancel('fal-ai/flux/schnell', { requestId })).rejects.toMatchObject({ status: 400 });
    expect(calls()).toEqual([
      'POST /fal-ai/flux/schnell',
      `GET /fal-ai/flux/requests/${requestId}/status?logs=1`,
      `GET /fal-ai/flux/requests/${requestId}/status?logs=1`,
      `GET /fal-ai/flux/requests/${requestId}/status?logs=1`,
      `GET /fal-ai/flux/requests/${requestId}`,
      `PUT /fal-ai/flux/requests/${requestId}/cancel`,
    ]);
    expect(emu.requests.every((r) => r.headers.authorization === `Key ${emu.apiKey}`)).toBe(true);
  });

  it('retries a submit on its own although retry.maxRetries is 0 (a hidden second attempt the runner cannot count)', async () => {
    emu.enqueueFault({ route: 'submit', status: 503 });
    await client.queue.submit('fal-ai/flux/schnell', { input: { prompt: 'twice' } });
    expect(calls().filter((c) => c.startsWith('POST'))).toEqual(['POST /fal-ai/flux/schnell', 'POST /fal-ai/flux/schnell']);
  });

  it('its ApiError keeps status and body but no headers: Retry-After is lost', async () => {
    emu.enqueueFault({ route: 'submit', status: 400, retryAfter: '5', detail: 'bad' });
    const err = await client.queue.submit('fal-ai/flux/schnell', { input: { prompt: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, body: { detail: 'bad' } });
    expect(Object.keys(err as object)).not.toContain('headers');
    expect(JSON.stringify(err)).not.toContain('retry-after');
  });

  it('subscribe({abortSignal}) stops polling but never calls cancel: the fal job keeps running (and billing)', async () => {
    emu.options.progressPolls = Infinity;
    const ac = new AbortController();
    const pending = client.subscribe('fal-ai/kling-video/v2.5-turbo/pro/text-to-video', {
      input: { prompt: 'abandoned' },
      pollInterval: 20,
      abortSignal: ac.signal,
      onQueueUpdate: (s) => {
        if (s.status === 'IN_PROGRESS') ac.abort();
      },
    });
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(calls().filter((c) => c.startsWith('PUT'))).toEqual([]);
    const [job] = emu.jobs.values();
    expect(job!.cancelled).toBe(false);
  });

  it('our queue calls use exactly the paths the client builds, for a plain and a namespaced endpoint id', async () => {
    const adapter = await fal.load({
      info: {
        id: 'fal', displayName: 'fal', capabilities: ['image'], defaultModels: { image: 'fal-ai/flux/schnell' }, credentialModes: [], capabilityKeys: {}, models: {},
        priority: 30, featureFlag: 'ENABLE_PROVIDER_FAL', enabledByDefault: false, baseUrlEnv: 'FAL_BASE_URL', baseUrl: emu.baseUrl,
      },
      env: { FAL_KEY: emu.apiKey },
      resolveArtifact: async () => {
        throw new Error('unused');
      },
      appName: 'test',
      appUrl: 'https://example.test',
    });
    const image = adapter.image as LongRunningService<ImageOptions>;
    for (const endpoint of ['fal-ai/flux/schnell', 'workflows/someone/image-chain/v2']) {
      emu.requests.length = 0;
      const sdk = await client.queue.submit(endpoint, { input: { prompt: 'same' } });
      await client.queue.status(endpoint, { requestId: sdk.request_id, logs: true });
      await client.queue.cancel(endpoint, { requestId: sdk.request_id });
      const theirs = calls().map((c) => c.replace(sdk.request_id, '<id>'));

      emu.requests.length = 0;
      const { operation } = await image.start({ text: 'same', attachments: [] }, { count: 1, extra: {}, model: endpoint }, makeCtx());
      const id = (operation.requests as { id: string }[])[0]!.id;
      const status: OperationStatus = await image.status(operation, makeCtx());
      expect(status.state).toBe('pending');
      await image.cancel(operation, makeCtx());
      expect(calls().map((c) => c.replace(id, '<id>'))).toEqual(theirs);
    }
  });
});
