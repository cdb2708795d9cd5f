// Records every module the process resolves — ESM imports and CommonJS requires alike —
// one URL per line, into the file named by RECORD_LOADS_FILE. Start a server with
//   node --import ./test/helpers/record-loads.mjs dist/bundle/cli.js
// to see exactly which packages it loaded and when (e.g. that an SDK loads on first call,
// not at start-up). module.registerHooks runs in-thread and synchronously (Node ≥ 22.15),
// so each line is on disk before the module it names is evaluated.
//
// A file of the esbuild bundle (scripts/build.mjs) is followed by the modules bundled into it,
// one `bundled:<file URL>` line each, from the inputs.json beside it: loading a chunk runs
// them, so the record says which of our modules and which packages ran, as with tsc's dist/.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.RECORD_LOADS_FILE;
if (out) {
  const seen = new Set();
  /** inputs.json per folder URL (null when there is none). */
  const bundles = new Map();
  const bundledInto = (url) => {
    if (!url.startsWith('file:')) return [];
    const dir = new URL('.', url).href;
    if (!bundles.has(dir)) {
      const file = new URL('inputs.json', dir);
      bundles.set(dir, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);
    }
    const inputs = bundles.get(dir)?.[url.slice(dir.length)] ?? [];
    return inputs.map((rel) => `bundled:${new URL(rel, dir).href}`);
  };
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context);
      if (!seen.has(result.url)) {
        seen.add(result.url);
        appendFileSync(out, [result.url, ...bundledInto(result.url), ''].join('\n'));
      }
      return result;
    },
  });
}
