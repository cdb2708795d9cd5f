/** What `npm pack` puts in the package: what the installed server needs, and nothing else. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
// npm on PATH, run by the Node 22 that runs the tests (npm's own shebang is `env node`).
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}` };

let files: string[] = [];

beforeAll(async () => {
  // `npm test` has built already; `prepare` would build again, so scripts are skipped.
  if (!existsSync(`${root}dist/bundle/cli.js`)) await run('npm', ['run', 'build', '--silent'], { cwd: root, env });
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });
  files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}, 120_000);

describe('npm pack', () => {
  it('ships the bundle, the provider config, the README, the licence and package.json', () => {
    for (const f of [
      'dist/bundle/cli.js',
      'dist/bundle/espeak-worker.js',
      'dist/providers.json',
      'config/providers.yaml',
      'README.md',
      'LICENSE',
      'package.json',
    ])
      expect(files).toContain(f);
  });

  it('ships no tests, sources, benchmarks, build scripts, tsc output or source maps', () => {
    expect(files.filter((f) => /^(test|src|bench|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/') && f !== 'dist/providers.json')).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});
