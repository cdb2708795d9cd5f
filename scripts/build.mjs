// The second half of `npm run build`, after tsc has type-checked src/ and emitted dist/:
//  1. dist/providers.json from config/providers.yaml (the source of truth people edit), validated
//     with the schema of src/registry/config.ts (imported from tsc's output), so the server never
//     loads a YAML parser at start-up.
//  2. dist/bundle/: src/cli.ts bundled with esbuild, code-split, whitespace-minified. This is what `bin`,
//     `npm start`, the e2e tests and the bench run. Start-up then reads a handful of files
//     instead of ≈260 modules. What start-up needs (the MCP server SDK and its tasks extension, zod, pino, p-limit) is bundled.
//     Every other dependency stays an ordinary `import` resolved from node_modules (provider SDKs,
//     text2wav and the HTTP stack load on first use, and bundling them buys nothing). Commands and
//     provider adapters that the source loads with `import()` become chunks of their own, so stdio
//     start-up still does not load the HTTP server or any adapter.
// The bundle sits two folders deep, like tsc's dist/<dir>/<file>.js and src/<dir>/<file>.ts, so the
// paths the code resolves from import.meta.url hold in every layout: ../../package.json,
// ../../config/providers.yaml, ../../dist/providers.json. The one same-folder lookup,
// providers/local/tts.ts's ./espeak-worker.js, is met by making the worker an entry point too.
// cli.js itself is src/cli.ts alone (the Node.js version check, no static imports); the rest of
// start-up is the chunk it then imports (src/start.ts and what that loads).
// Source maps (without source text, as tsc's) map the bundle to src/*.ts under --enable-source-maps
// in a checkout. They are for development only: the package does not ship them (package.json
// `files` leaves out *.map), since the src/ they point to is not in it either.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

// 1. providers.yaml → providers.json.
const { PROVIDERS_JSON, PROVIDERS_YAML, providersJson } = await import('../dist/registry/config.js');
try {
  writeFileSync(PROVIDERS_JSON, providersJson(readFileSync(PROVIDERS_YAML, 'utf8')));
} catch (err) {
  console.error(`config/providers.yaml: ${err.message}`);
  process.exit(1);
}

// 2. The bundle. Only these dependencies are bundled; any other (including one added later) stays
// external, loaded from node_modules as before.
// ext-tasks and p-limit load at start-up too; ext-tasks imports zod, and left external it would
// load a second zod (≈190 modules) beside the bundled one.
// The @opentelemetry packages are bundled too, on purpose, though nothing of them runs unless OTEL_*
// variables turn tracing on: src/telemetry/sdk.ts, which alone imports them, is loaded with import(),
// so they land in chunks of their own, off the start-up path. With tracing on, those few chunks load
// in ≈20 ms where ≈150 CommonJS files from node_modules took 60–90 ms, and our code and the SDK share
// one copy of @opentelemetry/api (no other dependency uses it).
const BUNDLED = ['@modelcontextprotocol/server', '@modelcontextprotocol/ext-tasks', 'zod', 'pino', 'p-limit', ...Object.keys(pkg.dependencies).filter((d) => d.startsWith('@opentelemetry/'))];
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.includes(d));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
const { metafile } = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts', 'src/providers/local/espeak-worker.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  // Whitespace and syntax only: measured as fast to start as full minification (the compile cache
  // does most of the work), while identifiers keep their names, so stack traces stay readable and
  // code that reads constructor names (pino's error serializer, zod's messages) sees the real ones.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  sourcesContent: false,
  // Bundled CommonJS packages (pino and its helpers) call require() for built-ins; in an ES module
  // that needs a real require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});
chmodSync(`${outdir}/cli.js`, 0o755);
// Which source files each output holds (relative to dist/bundle/), so that a record of the files a
// process loaded can still say which modules it ran: test/helpers/record-loads.mjs reads this.
const inputs = {};
for (const [out, { inputs: of }] of Object.entries(metafile.outputs)) {
  if (out.endsWith('.js')) inputs[basename(out)] = Object.keys(of).map((f) => relative(outdir, `${root}${f}`));
}
writeFileSync(`${outdir}/inputs.json`, `${JSON.stringify(inputs, null, 1)}\n`);
