/**
 * Start-up, once cli.ts has checked the Node.js version. Turns on Node's module compile cache
 * and routes console output to stderr before anything else loads, because in stdio mode stdout
 * carries only MCP messages; then hands over to the commands.
 */
import module from 'node:module';
import { routeConsoleToStderr } from './util/console.js';

// On-disk V8 code cache for every module loaded from here on, so later launches skip most
// parsing and compiling. The directory is NODE_COMPILE_CACHE, else os.tmpdir()/node-compile-cache
// (NODE_DISABLE_COMPILE_CACHE=1 turns it off). It never writes to stdout or throws: a directory
// it cannot create or write just leaves the cache off. Entries are written when the process exits.
if (typeof module.enableCompileCache === 'function') module.enableCompileCache();
routeConsoleToStderr();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
