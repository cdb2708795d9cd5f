/**
 * The stdio server survives what a buggy or hostile client sends: a request line over the
 * size limit gets a JSON-RPC error and the next call is answered; 10,000 fuzzed calls (wrong
 * types, huge strings, lines over the limit, control characters, broken JSON) leave it alive
 * and answering, with an answer for every request that had an id.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, testEnv } from '../helpers/server-process.js';
import { TOOL_NAMES } from '../helpers/tool-names.js';

type Message = { id?: number | string | null; result?: Record<string, unknown>; error?: { code: number; message: string } };

/** A raw line-level stdio client: writes lines, collects answers by id. */
class RawStdio {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly answers = new Map<string | number | null, Message[]>();
  #waiters: { id: string | number; resolve: (m: Message) => void }[] = [];
  #partial = '';
  stdoutLines = 0;
  stderr = '';

  constructor(env: Record<string, string>) {
    this.proc = spawn(process.execPath, [CLI], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    this.proc.stdout.on('data', (d: Buffer) => {
      const lines = (this.#partial + d.toString()).split('\n');
      this.#partial = lines.pop()!;
      for (const line of lines) {
        this.stdoutLines++;
        const m = JSON.parse(line) as Message; // every stdout line must be JSON: a throw here fails the test
        const key = m.id ?? null;
        this.answers.set(key, [...(this.answers.get(key) ?? []), m]);
        this.#waiters = this.#waiters.filter((w) => (w.id === m.id ? (w.resolve(m), false) : true));
      }
    });
  }

  write(line: string): Promise<void> {
    return new Promise((resolve) => (this.proc.stdin.write(line + '\n') ? resolve() : this.proc.stdin.once('drain', resolve)));
  }

  async request(id: number | string, method: string, params?: unknown): Promise<Message> {
    const answered = new Promise<Message>((resolve) => this.#waiters.push({ id, resolve }));
    await this.write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    return answered;
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.end();
    await exited;
  }
}

async function initialized(env: Record<string, string>): Promise<RawStdio> {
  const s = new RawStdio(env);
  const init = await s.request(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } });
  expect(init.result?.protocolVersion).toBe('2025-11-25');
  await s.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return s;
}

describe('a 12 MB request line', () => {
  let s: RawStdio;
  beforeAll(async () => {
    s = await initialized(testEnv({ MCP_PROVIDERS_MAX_MESSAGE_BYTES: String(10 * 1024 * 1024) }));
  });
  afterAll(() => s?.close());

  it('gets a JSON-RPC error naming the limit, and the next call is answered', async () => {
    // A 12 MB prompt plus a system prompt: within the prompt limits, over the message limit set here.
    const big = await s.request(1, 'tools/call', { name: 'generate_text', arguments: { prompt: 'p'.repeat(6_000_000), system: 's'.repeat(6_000_000) } });
    expect(big.error?.code).toBe(-32600);
    expect(big.error?.message).toMatch(/Request too large: \d+ bytes exceeds the 10485760-byte limit \(MCP_PROVIDERS_MAX_MESSAGE_BYTES\)/);
    const next = await s.request(2, 'tools/call', { name: 'list_providers', arguments: {} });
    expect(next.result?.structuredContent).toBeDefined();
  });

  it('answers tools/call with non-object arguments with -32602', async () => {
    for (const [id, args] of [[3, [1, 2]], [4, 'text'], [5, 7]] as const) {
      const m = await s.request(id, 'tools/call', { name: 'tts', arguments: args });
      expect(m.error?.code, JSON.stringify(args)).toBe(-32602);
    }
  });
});

/** Small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const LIMIT = 64 * 1024;

function fuzzLines(count: number, rand: () => number): { line: string; id?: number }[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const control = () => String.fromCharCode(...Array.from({ length: 20 }, () => Math.floor(rand() * 32)));
  const values = [
    () => null, () => true, () => -1, () => 1e308, () => Number.MAX_SAFE_INTEGER, () => 3.5, () => '', () => ' \t\n', () => control(),
    () => '\u0000\u2028\u2029\uFEFF\uD800', () => 'x'.repeat(Math.floor(rand() * 200_000)), () => ['a', 1], () => ({ nested: { deep: [1] } }),
    () => '-w /etc/passwd', () => 'artifact://../../etc/passwd', () => ({ uri: 'http://169.254.169.254/' }), () => 'ok text',
  ];
  const fields = ['prompt', 'text', 'count', 'aspect_ratio', 'voice', 'speed', 'format', 'provider', 'model', 'extra', 'attachments', 'seed', 'image', '__proto__', 'constructor'];
  // Every call names a provider that cannot serve it, so none reaches real synthesis: the point is the input path.
  const tools = ['tts', 'generate_text', 'generate_image', 'generate_video', 'generate_audio', 'list_providers', 'nope', ''];
  const out: { line: string; id?: number }[] = [];
  for (let i = 0; i < count; i++) {
    const id = 1000 + i;
    const kind = rand();
    if (kind < 0.05) out.push({ line: 'y'.repeat(LIMIT + Math.floor(rand() * LIMIT)), id: undefined }); // over the limit, no id to answer
    else if (kind < 0.1) out.push({ line: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'tts', arguments: { text: 'z'.repeat(LIMIT) } } }), id }); // over the limit with an id
    else if (kind < 0.15) out.push({ line: `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{${control()}` }); // broken JSON
    else if (kind < 0.2) out.push({ line: control().replace(/\n/g, ' ') });
    else {
      const args: Record<string, unknown> = {};
      for (let f = 0; f < 1 + Math.floor(rand() * 4); f++) args[pick(fields)] = pick(values)();
      if (rand() < 0.5) args.provider = 'openrouter';
      const params = rand() < 0.9 ? { name: pick(tools), arguments: rand() < 0.9 ? args : pick(values)() } : pick(values)();
      out.push({ line: JSON.stringify({ jsonrpc: '2.0', id, method: pick(['tools/call', 'tools/call', 'tools/call', 'resources/read', 'tools/list', 'ping']), params }), id });
    }
  }
  return out;
}

describe('10,000 fuzzed calls', () => {
  let s: RawStdio;
  beforeAll(async () => {
    s = await initialized(testEnv({ MCP_PROVIDERS_MAX_MESSAGE_BYTES: String(LIMIT), MCP_PROVIDERS_LOG_LEVEL: 'warn' }));
  });
  afterAll(() => s?.close());

  it('leave the server alive, answering every request that had an id, stdout pure JSON-RPC', { timeout: 120_000 }, async () => {
    const lines = fuzzLines(10_000, prng(20261201));
    const ids = lines.filter((l) => l.id !== undefined).map((l) => l.id!);
    for (const { line } of lines) await s.write(line);
    const last = await s.request('after', 'ping');
    expect(last.result).toEqual({});
    // Requests are answered in any order; wait until every id has its answer.
    const deadline = Date.now() + 60_000;
    while (ids.some((id) => !s.answers.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const missing = ids.filter((id) => !s.answers.has(id));
    expect(missing.slice(0, 10)).toEqual([]);
    expect(ids.every((id) => s.answers.get(id)!.length === 1)).toBe(true);
    const outcomes = { result: 0, toolError: 0, rpcError: new Map<number, number>() };
    for (const [, [m]] of s.answers) {
      if (m.error) outcomes.rpcError.set(m.error.code, (outcomes.rpcError.get(m.error.code) ?? 0) + 1);
      else if (m.result?.isError) outcomes.toolError++;
      else outcomes.result++;
    }
    console.log(`fuzz: ${lines.length} lines, ${ids.length} with ids; results ${outcomes.result}, tool errors ${outcomes.toolError}, JSON-RPC errors ${JSON.stringify(Object.fromEntries(outcomes.rpcError))}`);
    expect(s.proc.exitCode).toBeNull();
    const tools = await s.request('tools', 'tools/list');
    expect((tools.result?.tools as unknown[]).length).toBe(TOOL_NAMES.length);
  });
});
