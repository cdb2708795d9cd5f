// Records every module the process resolves — ESM imports and CommonJS requires alike —
// one URL per line, into the file named by RECORD_LOADS_FILE. Start a server with
//   node --import ./test/helpers/record-loads.mjs dist/cli.js
// to see exactly which packages it loaded and when (e.g. that an SDK loads on first call,
// not at start-up). module.registerHooks runs in-thread and synchronously (Node ≥ 22.15),
// so each line is on disk before the module it names is evaluated.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.RECORD_LOADS_FILE;
if (out) {
  const seen = new Set();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context);
      if (!seen.has(result.url)) {
        seen.add(result.url);
        appendFileSync(out, `${result.url}\n`);
      }
      return result;
    },
  });
}
