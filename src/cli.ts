#!/usr/bin/env node
/**
 * Entry point (package.json `bin`). It has no static imports, so nothing else has loaded when it
 * checks the Node.js version: on a Node older than 22.12 (whose syntax or built-ins the rest may
 * need) it prints one line naming the version it found and exits 1. Then it hands over to
 * start.ts, which sets up the compile cache and console routing and runs the commands.
 */
const MIN = [22, 12] as const;
const found = process.versions.node;
const [major = 0, minor = 0] = found.split('.').map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  process.stderr.write(
    `mcp-providers needs Node.js ${MIN.join('.')} or later; this is Node.js ${found}. Install Node 22 (https://nodejs.org) and run it again.\n`,
  );
  process.exit(1);
}
await import('./start.js');

export {};
