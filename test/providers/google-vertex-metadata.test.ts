/**
 * ADC from a metadata server (GCE_METADATA_HOST → the emulator), in a file of its own:
 * gcp-metadata caches whether a metadata server exists for the life of the process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdapterEnv, AudioOptions, QuickService } from '../../src/providers/base.js';
import googleVertex from '../../src/providers/google-vertex/index.js';
import { createLogger } from '../../src/util/logger.js';
import { startVertexEmulator, type VertexEmulator } from '../emulators/vertex/index.js';

let emu: VertexEmulator;
let home: string;

beforeAll(async () => {
  emu = await startVertexEmulator();
  home = await mkdtemp(join(tmpdir(), 'vertex-metadata-home-'));
  // No credentials file and no gcloud user: the metadata server is the only source left.
  vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', '');
  vi.stubEnv('HOME', home);
  vi.stubEnv('CLOUDSDK_CONFIG', join(home, 'gcloud'));
  vi.stubEnv('GCE_METADATA_HOST', emu.metadataHost);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await emu.close();
  await rm(home, { recursive: true, force: true });
});

function env(): AdapterEnv {
  return {
    info: {
      id: 'google-vertex', displayName: 'Google Vertex AI', capabilities: ['text', 'audio'],
      defaultModels: { text: 'gemini-2.5-flash', audio: 'lyria-002' }, credentialModes: [], capabilityKeys: {}, priority: 10,
      featureFlag: 'ENABLE_PROVIDER_GOOGLE_VERTEX', enabledByDefault: true, baseUrlEnv: 'GOOGLE_VERTEX_BASE_URL',
      baseUrl: emu.baseUrl, models: {},
    },
    env: { GOOGLE_CLOUD_PROJECT: 'test-project', GCE_METADATA_HOST: emu.metadataHost, GOOGLE_CLOUD_LOCATION: 'europe-west4' },
    resolveArtifact: () => Promise.reject(new Error('none')),
    appName: 'test',
    appUrl: 'https://example.test',
  };
}

describe('ADC from the metadata server', () => {
  it('SDK (Gemini) and REST (Lyria) calls both carry metadata-server tokens, in GOOGLE_CLOUD_LOCATION', async () => {
    const adapter = await googleVertex.load(env());
    const ctx = { signal: new AbortController().signal, progress: () => undefined, logger: createLogger('silent'), deadline: Date.now() + 20_000 };
    await adapter.text!.generate({ text: 'hi', attachments: [] }, { extra: {} }, ctx);
    await (adapter.audio as QuickService<AudioOptions>).generate({ text: 'calm', attachments: [] }, { count: 1, extra: {} }, ctx);

    const tokenCalls = emu.requests.filter((r) => r.path.endsWith('/service-accounts/default/token'));
    expect(tokenCalls.length).toBeGreaterThanOrEqual(1);
    expect(tokenCalls.every((r) => r.headers['metadata-flavor'] === 'Google')).toBe(true);
    const models = emu.requests.filter((r) => r.path.includes('/publishers/google/models/'));
    expect(models.map((r) => r.path)).toEqual([
      '/v1/projects/test-project/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent',
      '/v1/projects/test-project/locations/europe-west4/publishers/google/models/lyria-002:predict',
    ]);
    for (const r of models) {
      expect(emu.issuedTokens).toContain(String(r.headers.authorization).replace(/^Bearer /, ''));
      expect(String(r.headers.authorization)).toMatch(/^Bearer ya29\.emulator-metadata-/);
    }
  });
});
