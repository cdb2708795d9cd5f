/** MCP_PROVIDERS_CONFIG through the built server: the user's file shows in list_providers and doctor; a bad one stops start-up. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, stdioClient, testEnv } from '../helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'user-config-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'my.yaml');
writeFileSync(good, 'providers:\n  openrouter:\n    priority: 5\n  google-vertex:\n    default_models:\n      text: gemini-2.5-pro\n');

describe('MCP_PROVIDERS_CONFIG', () => {
  it('a changed priority and default model show in list_providers', async () => {
    const s = await stdioClient(testEnv({ MCP_PROVIDERS_CONFIG: good }));
    try {
      const res = (await s.client.callTool({ name: 'list_providers', arguments: {} })) as CallToolResult;
      const providers = (res.structuredContent as { providers: { id: string; priority: number; defaultModels: Record<string, string> }[] }).providers;
      expect(providers.map((p) => p.id)).toEqual(['openrouter', 'google-vertex', 'fal', 'replicate', 'huggingface', 'local']);
      expect(providers[0].priority).toBe(5);
      expect(providers[1].defaultModels).toMatchObject({ text: 'gemini-2.5-pro', image: 'gemini-2.5-flash-image' });
    } finally {
      await s.close();
    }
  });

  it('doctor names the files it read', async () => {
    const { code, stdout, stderr } = await runCli(['doctor'], testEnv({ MCP_PROVIDERS_CONFIG: good }));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Configuration read from:\\n  \\S*(dist/providers\\.json|config/providers\\.yaml)\\n  ${good}$`, 'm'));
  });

  it('a file with a wrong type stops the server: exit 2, and stderr names the file and the key path', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'providers:\n  fal:\n    priority: high\n');
    const { code, stdout, stderr } = await runCli([], testEnv({ MCP_PROVIDERS_CONFIG: bad }));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`mcp-providers: configuration error: ${bad}: providers.fal.priority: expected number, received string`);
  });

  it('a missing file stops the server and names the path', async () => {
    const missing = join(dir, 'missing.yaml');
    const { code, stderr } = await runCli([], testEnv({ MCP_PROVIDERS_CONFIG: missing }));
    expect(code).toBe(2);
    expect(stderr).toContain(`MCP_PROVIDERS_CONFIG names ${missing}, which does not exist`);
  });
});
