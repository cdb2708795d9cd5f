/** The command line: `call` and `doctor`, as a person or a script would run them. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli, testEnv } from '../helpers/server-process.js';
import { isRiffWave } from '../helpers/wav.js';

describe('mcp-providers call', () => {
  it('tts --arg text=Hello writes a WAV and prints its path', async () => {
    const env = testEnv();
    const { code, stdout, stderr } = await runCli(['call', 'tts', '--arg', 'text=Hello'], env);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(env.MCP_PROVIDERS_ARTIFACT_DIR)).toBe(true);
    expect(lines[0]).toMatch(/\.wav$/);
    const wav = await readFile(lines[0]);
    expect(isRiffWave(wav)).toBe(true);
    expect(wav.length).toBeGreaterThan(10_000);
    expect(stderr).toMatch(/local\/espeak-ng in \d+ ms/);
  });

  it('exits non-zero with the reason on a tool error', async () => {
    const { code, stdout, stderr } = await runCli(['call', 'tts', '--json', '{"text":"hi","speed":-1}'], testEnv());
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/speed/);
  });

  it('names the tools when the tool is unknown', async () => {
    const { code, stderr } = await runCli(['call', 'paint'], testEnv());
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown tool "paint".*generate_image/);
  });
});

describe('mcp-providers doctor', () => {
  it('prints each provider with what it needs, within 100 columns, and no secret value', async () => {
    const secret = 'r8_doctor_secret_value_123';
    const { code, stdout } = await runCli(['doctor'], testEnv({ REPLICATE_API_TOKEN: secret, GOOGLE_VERTEX_BASE_URL: 'https://example.invalid/a/very/long/path/'.repeat(6) }));
    expect(code).toBe(0);
    for (const id of ['google-vertex', 'openrouter', 'fal', 'replicate', 'huggingface', 'local']) expect(stdout).toContain(id);
    expect(stdout).toMatch(/^openrouter — not usable; off \(ENABLE_PROVIDER_OPENROUTER\)\n  to use: set OPENROUTER_API_KEY$/m);
    expect(stdout).toMatch(/^local — usable \(none needed\); on\n  capabilities: text \(needs LOCAL_OPENAI_BASE_URL\), tts$/m);
    // REPLICATE_API_TOKEN alone enables and configures replicate.
    expect(stdout).toMatch(/^replicate — usable \(api key\); on$/m);
    expect(stdout).toMatch(/^google-vertex — not usable; on\n  to use: set GOOGLE_API_KEY/m);
    expect(stdout).toMatch(/2 of 6 providers usable/);
    expect(stdout).not.toContain(secret);
    const long = stdout.split('\n').filter((l) => l.length > 100);
    expect(long).toEqual([]);
  });

  it('--json prints the same facts as JSON', async () => {
    const { code, stdout } = await runCli(['doctor', '--json'], testEnv({ REPLICATE_API_TOKEN: 'r8_x_123456' }));
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { providers: { id: string; usable: boolean; missing: string[] }[]; usable: number; configuration: string[]; artifactDir: string };
    expect(out.usable).toBe(2);
    expect(out.providers.map((p) => p.id)).toEqual(['google-vertex', 'openrouter', 'fal', 'replicate', 'huggingface', 'local']);
    expect(out.providers.find((p) => p.id === 'openrouter')).toMatchObject({ usable: false, missing: ['OPENROUTER_API_KEY'] });
    expect(out.configuration.length).toBeGreaterThan(0);
    expect(stdout).not.toContain('r8_x_123456');
  });
});

describe('mistakes on the command line and in the environment', () => {
  it('an unknown option prints the usage and exits 2', async () => {
    const { code, stderr } = await runCli(['--bogus'], testEnv());
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown option '--bogus'/);
    expect(stderr).toMatch(/Usage:/);
  });

  it('a bad PROVIDER_DEFAULTS_JSON is named, not a stack trace', async () => {
    const { code, stderr } = await runCli(['doctor'], testEnv({ PROVIDER_DEFAULTS_JSON: '{"image":"nobody"}' }));
    expect(code).toBe(2);
    expect(stderr).toMatch(/configuration error: PROVIDER_DEFAULTS_JSON names unknown provider "nobody" for image/);
  });
});
