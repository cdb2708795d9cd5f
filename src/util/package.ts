/** Name and version from package.json, read once. */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
  homepage?: string;
};

export const PACKAGE = {
  name: pkg.name,
  version: pkg.version,
  homepage: pkg.homepage ?? 'https://github.com/mcp-providers/mcp-providers',
};
