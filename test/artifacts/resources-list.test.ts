/**
 * Retention seen from an MCP client: the settings come from the environment through
 * loadConfig and createCore, and `resources/list` over the in-process server no longer lists
 * what was pruned, on both protocol revisions.
 */
import { access, mkdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../src/artifacts/retention.js';
import { inProcessClient, testCore } from '../helpers/in-process.js';
import { plant } from './plant.js';

describe.each(['2025-11-25', '2026-07-28'] as const)('resources/list at %s', (revision) => {
  it('lists no artifact that retention pruned, and their files are gone', async () => {
    const core = testCore({ MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS: '30', MCP_PROVIDERS_ARTIFACT_MAX_BYTES: '1.5KB' });
    const dir = core.config.artifactDir;
    await mkdir(dir, { recursive: true });
    const now = Date.now();
    const expired = await plant(dir, now - 31 * DAY_MS, 100, 'expired');
    const oldest = await plant(dir, now - 3 * HOUR_MS, 1000, 'over the cap');
    const kept = await plant(dir, now - 2 * HOUR_MS, 400, 'kept');
    const young = await plant(dir, now - 5 * 60_000, 1000, 'young');
    const c = await inProcessClient(core, revision);
    try {
      const { resources } = await c.client.listResources();
      // After the expired one, 2400 bytes: over 1500, so the oldest goes, and 1400 fit.
      expect(resources.map((r) => r.uri)).toEqual([young.record.uri, kept.record.uri]);
      for (const p of [expired, oldest]) {
        await expect(access(p.media)).rejects.toThrow();
        await expect(access(p.sidecar)).rejects.toThrow();
        await expect(c.client.readResource({ uri: p.record.uri })).rejects.toMatchObject({ code: -32602 });
      }
    } finally {
      await c.close();
      await core.shutdown();
    }
  });
});
