/**
 * The install path people use before the package is published: `npm pack` in the checkout, then
 * `npm install -g --prefix <dir>` of the tarball, with no checkout in sight. Then the installed
 * `mcp-providers` runs `doctor` and `call tts`, serves stdio the way a Claude Desktop entry starts
 * it (absolute node, absolute cli.js), and on a too-old Node says so in one line.
 * npm installs the runtime dependencies from its cache or the registry (≈10 s here); if the
 * registry cannot be reached the tests are skipped rather than failed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRiffWave } from '../helpers/wav.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const NODE22 = process.execPath;
const PATH22 = `${dirname(NODE22)}:/usr/bin:/bin`;
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].find((p) => existsSync(p) && realpathSync(p) !== realpathSync(NODE22));

const dir = mkdtempSync(join(tmpdir(), 'mcp-providers-install-'));
const prefix = join(dir, 'g');
const bin = join(prefix, 'bin', 'mcp-providers');
const home = join(dir, 'home');
let unreachable = '';

function userEnv(path: string): Record<string, string> {
  return { PATH: path, HOME: home, MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'artifacts') };
}

beforeAll(async () => {
  const npmEnv = { ...process.env, PATH: `${dirname(NODE22)}:${process.env.PATH ?? '/usr/bin:/bin'}`, npm_config_update_notifier: 'false' };
  if (!existsSync(`${root}dist/bundle/cli.js`)) await run('npm', ['run', 'build', '--silent'], { cwd: root, env: npmEnv });
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
  const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0].filename);
  try {
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: dir,
      env: npmEnv,
      timeout: 110_000,
    });
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err);
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(text)) unreachable = text.split('\n')[0];
    else throw err;
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm install -g of the packed tarball', () => {
  it('doctor lists the providers, local usable', async (ctx) => {
    if (unreachable) ctx.skip(`npm registry unreachable: ${unreachable}`);
    const { stdout } = await run(bin, ['doctor'], { cwd: dir, env: userEnv(PATH22) });
    expect(stdout).toMatch(/^local — usable \(none needed\); on$/m);
    expect(stdout).toContain(`${prefix}/lib/node_modules/mcp-providers/dist/providers.json`);
  });

  it('call tts writes a WAV (the espeak worker and text2wav came with it)', async (ctx) => {
    if (unreachable) ctx.skip(`npm registry unreachable: ${unreachable}`);
    const { stdout } = await run(bin, ['call', 'tts', '--arg', 'text=hi'], { cwd: dir, env: userEnv(PATH22) });
    const path = stdout.trim();
    expect(path).toMatch(/\.wav$/);
    expect(isRiffWave(readFileSync(path))).toBe(true);
  });

  it('serves tools/list over stdio started as a Claude Desktop entry would (absolute node, absolute cli.js)', async (ctx) => {
    if (unreachable) ctx.skip(`npm registry unreachable: ${unreachable}`);
    const cli = realpathSync(bin);
    expect(cli).toBe(join(prefix, 'lib', 'node_modules', 'mcp-providers', 'dist', 'bundle', 'cli.js'));
    const transport = new StdioClientTransport({ command: NODE22, args: [cli], cwd: '/', env: { HOME: home }, stderr: 'pipe' });
    const client = new Client({ name: 'install-e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['generate_text', 'generate_image', 'tts', 'list_providers']));
    } finally {
      await client.close();
    }
  });

  it.skipIf(!OLD_NODE)('with an older Node first on PATH prints one line and exits 1', async (ctx) => {
    if (unreachable) ctx.skip(`npm registry unreachable: ${unreachable}`);
    const { stdout: version } = await run(OLD_NODE!, ['-p', 'process.versions.node']);
    if (/^(2[3-9]|[3-9]\d|22\.(1[2-9]|[2-9]\d))\./.test(version)) ctx.skip(`${OLD_NODE} is Node ${version.trim()}`);
    const err = await run(bin, ['doctor'], { cwd: dir, env: userEnv(`${dirname(OLD_NODE!)}:/usr/bin:/bin`) }).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stdout).toBe('');
    expect(err?.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mcp-providers needs Node\.js 22\.12 or later; this is Node\.js 2\d\./)]);
  });
});
