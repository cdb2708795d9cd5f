/** On a Node.js older than 22.12 the bin says so in one line and exits 1, before anything loads. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/server-process.js';

const run = promisify(execFile);
// The system Node, when there is one and it is too old (on this project's machines, Node 20).
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].find((p) => existsSync(p));

async function versionOf(node: string): Promise<string> {
  return (await run(node, ['-p', 'process.versions.node'])).stdout.trim();
}

const old = OLD_NODE && (await versionOf(OLD_NODE).catch(() => '99.0.0'));
const tooOld = !!old && (Number(old.split('.')[0]) < 22 || (Number(old.split('.')[0]) === 22 && Number(old.split('.')[1]) < 12));

describe.skipIf(!tooOld)(`the bin on Node.js ${old ?? '(none older than 22.12 found)'}`, () => {
  for (const args of [['doctor'], []]) {
    it(`${['mcp-providers', ...args].join(' ')}: empty stdout, one line on stderr naming the version, exit 1`, async () => {
      const err = await run(OLD_NODE!, [CLI, ...args], { env: { PATH: '/usr/bin:/bin' } }).then(
        () => null,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(err).not.toBeNull();
      expect(err!.code).toBe(1);
      expect(err!.stdout).toBe('');
      expect(err!.stderr).toBe(
        `mcp-providers needs Node.js 22.12 or later; this is Node.js ${old}. Install Node 22 (https://nodejs.org) and run it again.\n`,
      );
    });
  }
});
