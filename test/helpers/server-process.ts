/** Spawns the built server on Node 22, as an MCP client would launch it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** The entry users run: package.json `bin`, the esbuild bundle in dist/bundle/ (scripts/build.mjs). */
export const CLI = fileURLToPath(
  new URL(`../../${Object.values((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> }).bin)[0]}`, import.meta.url),
);

/** A clean environment: no credentials from the developer's shell leak into tests. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'mcp-providers-home-'));
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    MCP_PROVIDERS_ARTIFACT_DIR: join(home, 'artifacts'),
    MCP_PROVIDERS_LOG_LEVEL: 'info',
    MCP_PROVIDERS_RETRY_BASE_MS: '20',
    ...extra,
  };
}

export interface StdioSession {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

export function stdioClient(env: Record<string, string>): Promise<StdioSession> {
  return connectStdio([CLI], env);
}

async function connectStdio(args: string[], env: Record<string, string>): Promise<StdioSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

const RECORD_LOADS = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));

export interface RecordingSession extends StdioSession {
  /** Every module the server has run so far: file URLs, and `bundled:<URL>` for each module inside a bundle chunk. */
  loaded(): Promise<string[]>;
}

/** The built server over stdio with record-loads.mjs preloaded, to see what start-up and a call load. */
export async function stdioWithLoads(env: Record<string, string>): Promise<RecordingSession> {
  const file = join(mkdtempSync(join(tmpdir(), 'mcp-providers-loads-')), 'loads.txt');
  const session = await connectStdio(['--import', RECORD_LOADS, CLI], { ...env, RECORD_LOADS_FILE: file });
  return { ...session, loaded: async () => (await readFile(file, 'utf8')).split('\n').filter(Boolean) };
}

export interface HttpServer {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  close(): Promise<void>;
}

/** Starts `mcp-providers --http --port 0` and waits for its "listening on" line. */
export async function httpServer(env: Record<string, string>, args: string[] = []): Promise<HttpServer> {
  const proc = spawn(process.execPath, [CLI, '--http', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
  });
  return {
    url,
    proc,
    stderr: () => stderr,
    async close() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export async function httpClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'e2e-http', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Runs the CLI to completion and collects its output. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
