/** Command dispatch: stdio server (default), --http, call, doctor. */
import { parseArgs } from 'node:util';
import { loadConfig } from './registry/config.js';
import { PACKAGE } from './util/package.js';

const USAGE = `${PACKAGE.name} ${PACKAGE.version} — AI generation providers as MCP tools

Usage:
  mcp-providers                                  stdio MCP server (what an MCP client launches)
  mcp-providers --http [--host H] [--port P]     Streamable HTTP server at /mcp (default 127.0.0.1:8765)
  mcp-providers call <tool> [--arg k=v ...] [--json '{...}']
                                                 run one tool and print what it made
  mcp-providers doctor [--json]                  show providers: usable, what each needs, capabilities
  mcp-providers --help | --version
`;

export async function main(argv: string[]): Promise<number> {
  // `doctor --json` is a flag, while `call --json '{…}'` takes a value: take the flag out first.
  const doctorJson = argv[0] === 'doctor' && argv.includes('--json');
  if (doctorJson) argv = argv.filter((a) => a !== '--json');
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${PACKAGE.version}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`mcp-providers: configuration error: ${(err as Error).message}\n`);
    return 2;
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case undefined:
      if (values.http) {
        const { runHttp } = await import('./commands/http.js');
        return runHttp(config, { host: values.host, port: values.port });
      }
      return (await import('./commands/stdio.js')).runStdio(config);
    case 'call':
      return (await import('./commands/call.js')).runCall(config, rest, values.arg ?? [], values.json);
    case 'doctor':
      return (await import('./commands/doctor.js')).runDoctor(config, { json: doctorJson });
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      arg: { type: 'string', multiple: true, short: 'a' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
