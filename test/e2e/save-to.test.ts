/**
 * save_to through a real client against our server factory: the client's roots (roots/list on
 * 2025-11-25, an input_required round trip on 2026-07-28) or MCP_PROVIDERS_OUTPUT_DIRS decide
 * where a copy may go. A saved file is byte-identical to its artifact; every refusal names
 * save_to and the roots, and leaves no file, no job and no artifact behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, type CallToolResult } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import type { Core } from '../../src/tools/deps.js';
import { startFalEmulator, type FalEmulator } from '../emulators/fal/index.js';
import { testCore } from '../helpers/in-process.js';
import { httpServer, testEnv } from '../helpers/server-process.js';

type Revision = '2025-11-25' | '2026-07-28';
interface Out {
  job: { id: string; state: string };
  artifacts?: { uri: string; path: string; sha256: string }[];
  saved?: { path: string; uri?: string }[];
  warnings?: string[];
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const textOf = (res: CallToolResult) => res.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A client offering `roots` (or none), on either revision, wired in process to `core`. */
async function connect(core: Core, revision: Revision, roots: string[] | undefined, clientRootsRefused?: string): Promise<{ client: Client; close(): Promise<void> }> {
  const options = clientRootsRefused ? { clientRootsRefused } : {};
  const client = new Client(
    { name: 'save-to-test', version: '1.0.0' },
    { capabilities: roots ? { roots: {} } : {}, ...(revision === '2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}) },
  );
  if (roots) client.setRequestHandler('roots/list', async () => ({ roots: roots.map((r) => ({ uri: pathToFileURL(r).href, name: 'project' })) }));
  if (revision === '2025-11-25') {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = createServer(core, 'legacy', options);
    await server.connect(serverSide);
    await client.connect(clientSide);
    return { client, close: async () => void (await client.close(), await server.close()) };
  }
  const handler = createMcpHandler((rc) => createServer(core, rc.era, options), { legacy: 'reject' });
  await client.connect(new StreamableHTTPClientTransport(new URL('http://in-process.test/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
  return { client, close: async () => void (await client.close(), await handler.close()) };
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const res = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { res, out: res.structuredContent as unknown as Out, text: textOf(res) };
}

/** Every file under `dir`, as relative paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe.each(['2025-11-25', '2026-07-28'] as Revision[])('save_to on %s', (revision) => {
  let core: Core;
  let project: string;
  let outside: string;
  let session: Awaited<ReturnType<typeof connect>>;

  beforeAll(async () => {
    core = testCore();
    project = mkdtempSync(join(tmpdir(), 'mcp-providers-project-'));
    outside = mkdtempSync(join(tmpdir(), 'mcp-providers-outside-'));
    symlinkSync(outside, join(project, 'out-link'));
    session = await connect(core, revision, [project]);
  });
  afterAll(async () => {
    await session.close();
    await core.shutdown();
  });

  it('writes assets/voice.wav under the client root, byte-identical to the artifact, and names it', async () => {
    const { res, out, text } = await call(session.client, 'tts', { text: 'hello there', save_to: 'assets/voice.wav' });
    expect(res.isError, text).toBeFalsy();
    const target = join(project, 'assets', 'voice.wav');
    expect(out.saved).toEqual([{ path: target, uri: out.artifacts![0]!.uri }]);
    expect(sha(target)).toBe(out.artifacts![0]!.sha256);
    expect(readFileSync(target).equals(readFileSync(out.artifacts![0]!.path))).toBe(true);
    expect(text).toContain(`Saved to: ${target}`);
  });

  it.each([
    ['../x.wav', "'..' is not allowed"],
    ['assets/../../x.wav', "'..' is not allowed"],
    ['ABSOLUTE_OUTSIDE', 'must lie inside one of the allowed roots'],
    ['out-link/x.wav', 'symlink that leads out of the root'],
    ['out-link/deeper/x.wav', 'symlink that leads out of the root'],
    ['assets/voice.wav', 'already exists; pass overwrite: true'],
    ['.git/config', "a path into '.git' is not allowed"],
    ['sub/.GIT/hooks/pre-commit', "a path into '.git' is not allowed"],
  ])('refuses %s naming save_to and the roots, and writes nothing', async (requested, why) => {
    const path = requested === 'ABSOLUTE_OUTSIDE' ? join(outside, 'x.wav') : requested;
    const before = { project: filesUnder(project), outside: filesUnder(outside), jobs: (await core.jobs.list({ limit: 1000 })).length };
    const existing = readFileSync(join(project, 'assets', 'voice.wav'));
    const { res, text } = await call(session.client, 'tts', { text: 'not to be written', save_to: path });
    expect(res.isError).toBe(true);
    expect(text).toContain(`save_to "${path}" refused`);
    expect(text).toContain(why);
    expect(text).toContain(`Allowed roots: ${project}`);
    expect(filesUnder(project)).toEqual(before.project);
    expect(filesUnder(outside)).toEqual(before.outside);
    expect((await core.jobs.list({ limit: 1000 })).length).toBe(before.jobs);
    expect(readFileSync(join(project, 'assets', 'voice.wav')).equals(existing)).toBe(true);
  });

  it('replaces an existing file with overwrite: true', async () => {
    const target = join(project, 'assets', 'voice.wav');
    const old = sha(target);
    const { res, out, text } = await call(session.client, 'tts', { text: 'a different sentence, longer than the first', save_to: 'assets/voice.wav', overwrite: true });
    expect(res.isError, text).toBeFalsy();
    expect(sha(target)).toBe(out.artifacts![0]!.sha256);
    expect(sha(target)).not.toBe(old);
  });

  it('writes the copy when the job finishes after the call answered with a handle', async () => {
    const first = await call(session.client, 'tts', { text: 'finished later', save_to: 'later/voice.wav', wait_seconds: 0 });
    expect(first.res.isError, first.text).toBeFalsy();
    const done = await call(session.client, 'get_job', { job_id: first.out.job.id, wait_seconds: 30 });
    expect(done.out.job.state).toBe('succeeded');
    const target = join(project, 'later', 'voice.wav');
    expect(done.out.saved).toEqual([{ path: target, uri: done.out.artifacts![0]!.uri }]);
    expect(sha(target)).toBe(done.out.artifacts![0]!.sha256);
  });

  it('takes an absolute path inside the root', async () => {
    const target = join(project, 'abs', 'hi.wav');
    const { res, out, text } = await call(session.client, 'tts', { text: 'hi', save_to: target });
    expect(res.isError, text).toBeFalsy();
    expect(out.saved?.[0]?.path).toBe(target);
    expect(sha(target)).toBe(out.artifacts![0]!.sha256);
  });
});

describe('save_to without client roots', () => {
  it('uses MCP_PROVIDERS_OUTPUT_DIRS when the client offers no roots', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-providers-outdir-'));
    const core = testCore({ MCP_PROVIDERS_OUTPUT_DIRS: dir });
    const s = await connect(core, '2025-11-25', undefined);
    try {
      const { res, out, text } = await call(s.client, 'tts', { text: 'configured folder', save_to: 'speech/a.wav' });
      expect(res.isError, text).toBeFalsy();
      expect(out.saved?.[0]?.path).toBe(join(dir, 'speech', 'a.wav'));
      expect(existsSync(join(dir, 'speech', 'a.wav'))).toBe(true);
    } finally {
      await s.close();
      await core.shutdown();
    }
  });

  it('refuses when there is no root at all, saying how to get one', async () => {
    const core = testCore();
    const s = await connect(core, '2025-11-25', undefined);
    try {
      const { res, text } = await call(s.client, 'tts', { text: 'nowhere', save_to: 'a.wav' });
      expect(res.isError).toBe(true);
      expect(text).toMatch(/save_to "a\.wav" refused: .*roots\/list.*MCP_PROVIDERS_OUTPUT_DIRS/);
      expect(await core.jobs.list({ limit: 10 })).toEqual([]);
    } finally {
      await s.close();
      await core.shutdown();
    }
  });

  it('in process, with client roots refused (as HTTP beyond loopback sets them), uses MCP_PROVIDERS_OUTPUT_DIRS only, and says why', async () => {
    const project = mkdtempSync(join(tmpdir(), 'mcp-providers-remote-'));
    const core = testCore();
    const s = await connect(core, '2025-11-25', [project], "this server is reached over the network, so its disk is not the client's");
    try {
      const { res, text } = await call(s.client, 'tts', { text: 'remote', save_to: 'a.wav' });
      expect(res.isError).toBe(true);
      expect(text).toContain("its disk is not the client's; it writes only into MCP_PROVIDERS_OUTPUT_DIRS, which is not set");
      expect(filesUnder(project)).toEqual([]);
    } finally {
      await s.close();
      await core.shutdown();
    }
  });
});

describe('save_to with several files', () => {
  let emu: FalEmulator;
  beforeAll(async () => {
    emu = await startFalEmulator({ apiKey: 'fal-save-id:fal-save-secret', queuePolls: 0, progressPolls: 0 });
  });
  afterAll(async () => emu.close());

  it('gives count > 1 files -1, -2 suffixes, each a copy of its artifact, and checks every name first', async () => {
    const project = mkdtempSync(join(tmpdir(), 'mcp-providers-multi-'));
    const core = testCore({ FAL_AI_API_KEY: 'fal-save-id:fal-save-secret', FAL_BASE_URL: emu.baseUrl, MCP_PROVIDERS_POLL_MS: '20', MCP_PROVIDERS_OUTPUT_DIRS: project });
    const s = await connect(core, '2025-11-25', undefined);
    try {
      mkdirSync(join(project, 'icons'));
      writeFileSync(join(project, 'icons', 'logo-2.png'), 'taken');
      const submitsBefore = emu.requests.filter((r) => r.method === 'POST').length;
      const refused = await call(s.client, 'generate_image', { prompt: 'a logo', provider: 'fal', count: 2, save_to: 'icons/logo.png' });
      expect(refused.res.isError).toBe(true);
      expect(refused.text).toContain('logo-2.png already exists');
      expect(emu.requests.filter((r) => r.method === 'POST').length).toBe(submitsBefore);

      const { res, out, text } = await call(s.client, 'generate_image', { prompt: 'a logo', provider: 'fal', count: 2, save_to: 'icons/logo.png', overwrite: true });
      expect(res.isError, text).toBeFalsy();
      expect(out.artifacts).toHaveLength(2);
      expect(out.saved?.map((f) => f.path)).toEqual([join(project, 'icons', 'logo-1.png'), join(project, 'icons', 'logo-2.png')]);
      out.saved!.forEach((f, i) => expect(sha(f.path)).toBe(out.artifacts![i]!.sha256));
    } finally {
      await s.close();
      await core.shutdown();
    }
  });
});

describe('save_to over Streamable HTTP on loopback (the built server)', () => {
  /** A v2 client offering `project` as its root, on 2025-11-25, to the built server at `url`. */
  async function rootsClient(url: string, project: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'save-to-http', version: '1.0.0' }, { capabilities: { roots: {} } });
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: pathToFileURL(project).href }] }));
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  }

  it('without a token, ignores the client roots (any local process could name them) and writes nothing', async () => {
    const project = mkdtempSync(join(tmpdir(), 'mcp-providers-http-'));
    const srv = await httpServer(testEnv({ MCP_PROVIDERS_LOG_LEVEL: 'warn' }));
    const client = await rootsClient(srv.url, project);
    try {
      const { res, text } = await call(client, 'tts', { text: 'over http', save_to: 'a.wav' });
      expect(res.isError).toBe(true);
      expect(text).toContain('takes no token (MCP_PROVIDERS_AUTH_TOKEN)');
      expect(filesUnder(project)).toEqual([]);
    } finally {
      await client.close();
      await srv.close();
    }
  });

  it('with a token, writes into the client root', async () => {
    const project = mkdtempSync(join(tmpdir(), 'mcp-providers-http-'));
    const token = 'save-to-test-token-0123456789';
    const srv = await httpServer(testEnv({ MCP_PROVIDERS_LOG_LEVEL: 'warn', MCP_PROVIDERS_AUTH_TOKEN: token }));
    const client = await rootsClient(srv.url, project, { authorization: `Bearer ${token}` });
    try {
      const { res, out, text } = await call(client, 'tts', { text: 'over http', save_to: 'a.wav' });
      expect(res.isError, text).toBeFalsy();
      expect(out.saved?.[0]?.path).toBe(join(project, 'a.wav'));
      expect(sha(join(project, 'a.wav'))).toBe(out.artifacts![0]!.sha256);
    } finally {
      await client.close();
      await srv.close();
    }
  });
});
