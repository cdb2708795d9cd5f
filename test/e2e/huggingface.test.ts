/**
 * The built server, with the huggingface provider pointed at the loopback Hugging Face emulator
 * (HUGGINGFACE_BASE_URL): the five tools over stdio, each request the emulator received checked
 * (path, Authorization, input mapping, the inference provider chosen through extra) and each
 * artifact byte-identical to what the emulator served; a network guard in the server process
 * (fetch-guard.mjs) that fails any request not for 127.0.0.1, and a count that every request went
 * to the emulator; stdout that carries nothing but JSON-RPC with the client at work; and the
 * fal-queue video job over HTTP surviving a SIGKILL (one submit) and reaching fal's cancel.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHfEmulator, type HfEmulator, type RecordedRequest } from '../emulators/huggingface/index.js';
import { httpHarness, until } from '../helpers/http-harness.js';
import { CLI, stdioClient, stdioWithLoads, testEnv, type StdioSession } from '../helpers/server-process.js';
import { sha256 } from '../helpers/wav.js';

const TOKEN = 'hf_e2e_token_0123456789abcdef';
const GUARD = fileURLToPath(new URL('../helpers/fetch-guard.mjs', import.meta.url));

interface Out {
  job?: { id: string; state: string; providerCancelled?: boolean };
  provider: string;
  model: string;
  text?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
  artifacts: { uri: string; sha256: string; size: number; path: string; mimeType: string; width?: number; height?: number }[];
  warnings?: string[];
  telemetry: { attempts: number; requestId?: string };
}

/** The server's environment: the emulator as base URL, the network guard loaded, its log file. */
function hfEnv(emu: HfEmulator, extra: Record<string, string> = {}): { env: Record<string, string>; guardLog: string } {
  const guardLog = join(mkdtempSync(join(tmpdir(), 'hf-guard-')), 'refused.log');
  return {
    guardLog,
    env: testEnv({
      HUGGINGFACE_API_TOKEN: TOKEN,
      HUGGINGFACE_BASE_URL: emu.baseUrl,
      NODE_OPTIONS: `--import=${GUARD}`,
      FETCH_GUARD_LOG: guardLog,
      MCP_PROVIDERS_RETRY_BASE_MS: '10',
      MCP_PROVIDERS_COOLDOWN_AFTER: '1000',
      ...extra,
    }),
  };
}

/** Nothing was refused by the guard (nothing tried to leave), and every request the emulator saw carried the token. */
function expectOnlyEmulator(emu: HfEmulator, guardLog: string): void {
  expect(existsSync(guardLog) ? readFileSync(guardLog, 'utf8') : '').toBe('');
  for (const r of emu.requests) if (r.route !== 'file') expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(emu.requests.every((r) => r.route !== undefined)).toBe(true);
}

function bodyOf(r: RecordedRequest | undefined): Record<string, any> {
  expect(r?.body).toBeTypeOf('object');
  return r!.body as Record<string, any>;
}
const only = (emu: HfEmulator, route: RecordedRequest['route']) => emu.requests.filter((r) => r.route === route);

describe('huggingface over stdio: the five tools against the emulator', () => {
  let emu: HfEmulator;
  let s: StdioSession;
  let guardLog: string;

  async function call(name: string, args: Record<string, unknown>, onprogress?: (p: Progress) => void) {
    const res = (await s.client.callTool({ name, arguments: { provider: 'huggingface', ...args } }, undefined, onprogress ? { onprogress } : undefined)) as CallToolResult;
    const text = res.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    expect(res.isError, text).toBeFalsy();
    return { res, out: res.structuredContent as unknown as Out };
  }

  beforeAll(async () => {
    emu = await startHfEmulator({ token: TOKEN, falPolls: 3 });
    const setup = hfEnv(emu, { MCP_PROVIDERS_POLL_MS: '20' });
    guardLog = setup.guardLog;
    s = await stdioClient(setup.env);
  });
  afterAll(async () => {
    await s?.close();
    expectOnlyEmulator(emu, guardLog);
    expect(s.stderr()).not.toContain(TOKEN);
    await emu?.close();
  });
  beforeEach(() => {
    emu.requests.length = 0;
  });

  it('list_providers: huggingface usable, with its five capabilities and YAML defaults', async () => {
    const res = (await s.client.callTool({ name: 'list_providers', arguments: {} })) as CallToolResult;
    const row = (res.structuredContent as { providers: Record<string, unknown>[] }).providers.find((p) => p.id === 'huggingface');
    expect(row).toMatchObject({
      usable: true,
      implemented: true,
      configured: true,
      missing: [],
      capabilities: ['text', 'image', 'video', 'audio', 'tts'],
      defaultModels: { text: 'meta-llama/Llama-3.1-8B-Instruct', image: 'black-forest-labs/FLUX.1-schnell', video: 'Wan-AI/Wan2.1-T2V-14B', tts: 'hexgrad/Kokoro-82M' },
    });
  });

  it('generate_text: POST /v1/chat/completions (auto), usage tokens as the emulator counted them', async () => {
    const { out } = await call('generate_text', { prompt: 'Name three moons', system: 'Be brief', max_tokens: 40 });
    const [req] = only(emu, 'chat');
    expect(req!.path).toBe('/v1/chat/completions');
    expect(bodyOf(req)).toMatchObject({ model: 'meta-llama/Llama-3.1-8B-Instruct', max_tokens: 40, messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Name three moons' }] });
    const usage = (req!.response as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    expect(out).toMatchObject({ provider: 'huggingface', model: 'meta-llama/Llama-3.1-8B-Instruct', text: 'echo: Name three moons' });
    expect(out.usage).toEqual({ inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, costSource: 'unknown' });
    expect(out.telemetry).toMatchObject({ attempts: 1, requestId: expect.stringMatching(/^chatcmpl-emu-/) });
  });

  it('generate_text with extra keyed by provider id: {"huggingface": {"provider": "together"}} → the Hub mapping, then /together/v1/chat/completions', async () => {
    await call('generate_text', { prompt: 'hi', extra: { huggingface: { provider: 'together' } } });
    expect(emu.requests.map((r) => r.route)).toEqual(['hub', 'chat']);
    expect(emu.requests[1]!.path).toBe('/together/v1/chat/completions');
    expect(bodyOf(emu.requests[1]).model).toBe('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
  });

  it('generate_image (auto → hf-inference): {inputs, parameters} and the PNG byte-identical to what the emulator sent', async () => {
    const { res, out } = await call('generate_image', { prompt: 'A red square', aspect_ratio: '16:9', seed: 3, negative_prompt: 'blur' });
    const [req] = only(emu, 'hf-inference');
    expect(req!.path).toBe('/hf-inference/models/black-forest-labs/FLUX.1-schnell');
    expect(bodyOf(req)).toEqual({ inputs: 'A red square', parameters: { negative_prompt: 'blur', seed: 3, width: 1024, height: 576 } });
    const [art] = out.artifacts;
    const sent = Buffer.from(emu.sent.images.at(-1)!);
    expect(await readFile(art!.path)).toEqual(sent);
    expect(art).toMatchObject({ mimeType: 'image/png', sha256: sha256(sent), width: 8, height: 8 });
    // Inline: a JPEG preview (never enlarged: 8×8 stays 8×8) naming the artifact; the PNG itself is behind the link.
    expect(res.content.find((c) => c.type === 'image')).toMatchObject({ mimeType: 'image/jpeg', _meta: { 'mcp-providers/preview': { of: art!.uri, width: 8, height: 8 } } });
  });

  it('generate_image with extra.provider fal-ai: the queue at the router paths; the result file downloaded from the emulator, byte-identical', async () => {
    const { out } = await call('generate_image', { prompt: 'A fox', extra: { provider: 'fal-ai' } });
    expect(emu.requests.map((r) => r.route)).toEqual(['fal-submit', 'fal-status', 'fal-status', 'fal-status', 'fal-result', 'file']);
    const submit = only(emu, 'fal-submit')[0]!;
    expect(submit.path).toBe('/fal-ai/fal-ai/flux/schnell');
    expect(submit.query._subdomain).toBe('queue');
    expect(bodyOf(submit)).toEqual({ prompt: 'A fox' });
    const file = only(emu, 'file')[0]!;
    const served = emu.files.get(file.path.slice('/files/'.length))!.data;
    expect(await readFile(out.artifacts[0]!.path)).toEqual(Buffer.from(served));
    expect(out.artifacts[0]!.sha256).toBe(sha256(Buffer.from(served)));
  });

  it('generate_video: a fal queue job (long-running) with progress; the MP4 byte-identical; one submit', async () => {
    const progress: Progress[] = [];
    const { out } = await call('generate_video', { prompt: 'A fox in the snow', aspect_ratio: '16:9', seed: 9, extra: { num_frames: 81 } }, (p) => void progress.push(p));
    const submits = only(emu, 'fal-submit');
    expect(submits).toHaveLength(1);
    expect(submits[0]!.path).toBe('/fal-ai/fal-ai/wan-t2v');
    expect(bodyOf(submits[0])).toEqual({ prompt: 'A fox in the snow', seed: 9, aspect_ratio: '16:9', num_frames: 81 });
    expect(only(emu, 'fal-status')).toHaveLength(3);
    expect(progress.some((p) => /Wan2\.1-T2V-14B on fal-ai (queued|generating)/.test(p.message ?? ''))).toBe(true);
    const [art] = out.artifacts;
    const mp4 = await readFile(art!.path);
    expect(mp4.toString('ascii', 4, 8)).toBe('ftyp');
    expect(mp4).toEqual(Buffer.from(emu.sent.videos.at(-1)!));
    expect(art!.mimeType).toBe('video/mp4');
  });

  it('generate_audio (Stable Audio, auto → fal-ai): {prompt, seconds_total}; the WAV byte-identical', async () => {
    const { out } = await call('generate_audio', { prompt: 'rain on a roof', duration_seconds: 10 });
    const submit = only(emu, 'fal-submit')[0]!;
    expect(submit.path).toBe('/fal-ai/fal-ai/stable-audio');
    expect(bodyOf(submit)).toEqual({ prompt: 'rain on a roof', seconds_total: 10 });
    expect(await readFile(out.artifacts[0]!.path)).toEqual(Buffer.from(emu.sent.audio.at(-1)!));
    expect(out.artifacts[0]!.mimeType).toBe('audio/wav');
  });

  it('tts (Kokoro on fal-ai): {text, voice, speed}; the WAV byte-identical', async () => {
    const { out } = await call('tts', { text: 'Hello there', voice: 'af_heart', speed: 1.1 });
    const [req] = only(emu, 'fal-submit');
    expect(req!.path).toBe('/fal-ai/fal-ai/kokoro/american-english');
    expect(bodyOf(req)).toEqual({ text: 'Hello there', voice: 'af_heart', speed: 1.1 });
    expect(await readFile(out.artifacts[0]!.path)).toEqual(Buffer.from(emu.sent.audio.at(-1)!));
  });

  it('tts on hf-inference (extra.provider): audio bytes from /hf-inference/models/{model}', async () => {
    const { out } = await call('tts', { text: 'Hi', model: 'facebook/mms-tts-eng' });
    expect(only(emu, 'hf-inference')[0]!.path).toBe('/hf-inference/models/facebook/mms-tts-eng');
    expect(await readFile(out.artifacts[0]!.path)).toEqual(Buffer.from(emu.sent.audio.at(-1)!));
  });

  it('a 429 with Retry-After is retried by the runner (attempts 2); the client itself sent one request per attempt', async () => {
    emu.enqueueFault({ route: 'chat', status: 429, retryAfter: '0' });
    const { out } = await call('generate_text', { prompt: 'retry me' });
    expect(out.telemetry.attempts).toBe(2);
    expect(only(emu, 'chat').map((r) => r.status)).toEqual([429, 200]);
  });

  it('a 401 is an auth error naming the variable, never the token', async () => {
    emu.enqueueFault({ route: 'chat', status: 401 });
    const res = (await s.client.callTool({ name: 'generate_text', arguments: { prompt: 'x', provider: 'huggingface', fallback: false } })) as CallToolResult;
    expect(res.isError).toBe(true);
    const text = JSON.stringify(res);
    expect(text).toMatch(/huggingface: auth \(HTTP 401\)/);
    expect(text).toMatch(/HUGGINGFACE_API_TOKEN/);
    expect(text).not.toContain(TOKEN);
  });
});

describe('huggingface in stdio mode: stdout carries only JSON-RPC while the client works', () => {
  it('debug logging, text + image + tts + an error through the client: every stdout line is a JSON-RPC message', async () => {
    const emu = await startHfEmulator({ token: TOKEN, falPolls: 2 });
    const { env, guardLog } = hfEnv(emu, { MCP_PROVIDERS_LOG_LEVEL: 'debug' });
    const proc = spawn(process.execPath, [CLI], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const send = (msg: object) => proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
    const waitFor = async (id: number) => {
      const deadline = Date.now() + 20_000;
      while (!stdout.split('\n').some((l) => l.includes(`"id":${id},`) || l.endsWith(`"id":${id}}`))) {
        if (Date.now() > deadline) throw new Error(`no reply to ${id}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      emu.mappings.set('emu/staging-chat', [{ provider: 'together', providerId: 'emu-staging-chat', task: 'conversational', status: 'staging' }]);
      send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      await waitFor(1);
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'tools/call', params: { name: 'generate_text', arguments: { prompt: 'hi', provider: 'huggingface' } } });
      // A staging mapping on a named provider: the client warns through its logger.
      send({ id: 3, method: 'tools/call', params: { name: 'generate_text', arguments: { prompt: 'hi', provider: 'huggingface', model: 'emu/staging-chat', extra: { provider: 'together' } } } });
      send({ id: 4, method: 'tools/call', params: { name: 'generate_image', arguments: { prompt: 'x', provider: 'huggingface', extra: { provider: 'fal-ai' } } } });
      send({ id: 5, method: 'tools/call', params: { name: 'tts', arguments: { text: 'Only protocol on stdout.', provider: 'huggingface' } } });
      for (const id of [2, 3, 4, 5]) await waitFor(id);
      // A model that keeps loading: three 503s (estimated_time), as many as the runner's attempts.
      emu.enqueueFault(...Array.from({ length: 3 }, () => ({ route: 'chat' as const, status: 503, estimatedTime: 0.05 })));
      send({ id: 6, method: 'tools/call', params: { name: 'generate_text', arguments: { prompt: 'fail', provider: 'huggingface', fallback: false } } });
      await waitFor(6);
      proc.stdin.end();
      await new Promise((r) => proc.once('exit', r));

      expect(stdout.endsWith('\n')).toBe(true);
      const lines = stdout.slice(0, -1).split('\n');
      for (const line of lines) expect((JSON.parse(line) as { jsonrpc: string }).jsonrpc).toBe('2.0');
      const byId = new Map(lines.map((l) => JSON.parse(l) as { id?: number; result?: { isError?: boolean } }).filter((m) => m.id !== undefined).map((m) => [m.id, m]));
      for (const id of [2, 3, 4, 5]) expect(byId.get(id)?.result?.isError, JSON.stringify(byId.get(id))).toBeFalsy();
      expect(byId.get(6)?.result?.isError).toBe(true);
      expect(only(emu, 'chat').filter((r) => r.status === 503)).toHaveLength(3);
      // The client's staging warning went to stderr, through our logger.
      expect(stderr).toMatch(/staging mode for provider together/);
      expectOnlyEmulator(emu, guardLog);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await emu.close();
    }
  });
});

describe('huggingface video jobs over HTTP: durable and cancellable', () => {
  const { defer, server, client } = httpHarness('hf-jobs-e2e');

  async function call(c: Client, name: string, args: Record<string, unknown>) {
    const res = (await c.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
    return { res, out: res.structuredContent as unknown as Out };
  }

  it('SIGKILL mid-job, restart: get_job returns the MP4 the emulator served; exactly one submit at the emulator', async () => {
    const emu = await startHfEmulator({ token: TOKEN, falPolls: 6 });
    defer(() => emu.close());
    const { env, guardLog } = hfEnv(emu, { MCP_PROVIDERS_POLL_MS: '300', MCP_PROVIDERS_JOB_LEASE_MS: '1500' });
    const first = await server(env);
    const c1 = await client(first);
    const { out: handle } = await call(c1, 'generate_video', { prompt: 'a fox, killed mid-job', wait_seconds: 0, provider: 'huggingface' });
    expect(handle.job!.state).toMatch(/queued|running/);
    await until('the first status poll', () => only(emu, 'fal-status').length >= 1);
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const pollsAtKill = only(emu, 'fal-status').length;

    const second = await server(env);
    const c2 = await client(second);
    const { out } = await call(c2, 'get_job', { job_id: handle.job!.id, wait_seconds: 60 });
    expect(out.job!.state).toBe('succeeded');
    const bytes = await readFile(out.artifacts[0]!.path);
    expect(bytes).toEqual(Buffer.from(emu.sent.videos.at(-1)!));
    expect(out.artifacts[0]!.sha256).toBe(sha256(bytes));
    expect(only(emu, 'fal-submit')).toHaveLength(1);
    expect(only(emu, 'fal-status').length).toBeGreaterThan(pollsAtKill);
    expectOnlyEmulator(emu, guardLog);
  });

  it("cancel_job reaches fal's cancel through the router: providerCancelled true, polling stops", async () => {
    const emu = await startHfEmulator({ token: TOKEN, falPolls: Infinity });
    defer(() => emu.close());
    const { env, guardLog } = hfEnv(emu, { MCP_PROVIDERS_POLL_MS: '50' });
    const srv = await server(env);
    const c = await client(srv);
    const { out: handle } = await call(c, 'generate_video', { prompt: 'stop me', wait_seconds: 0, provider: 'huggingface' });
    await until('two polls', () => only(emu, 'fal-status').length >= 2);
    const { out } = await call(c, 'cancel_job', { job_id: handle.job!.id });
    expect(out.job).toMatchObject({ id: handle.job!.id, state: 'cancelled', providerCancelled: true });
    const [cancel] = only(emu, 'fal-cancel');
    const [job] = [...emu.falJobs.values()];
    expect(cancel).toMatchObject({ method: 'PUT', path: `/fal-ai/fal-ai/wan-t2v/requests/${job!.id}/cancel`, status: 202 });
    expect(job!.cancelled).toBe(true);
    const after = only(emu, 'fal-status').length;
    await new Promise((r) => setTimeout(r, 500));
    expect(only(emu, 'fal-status')).toHaveLength(after);
    expectOnlyEmulator(emu, guardLog);
  });
});

describe('huggingface start-up cost, and the guard itself', () => {
  it('@huggingface/inference loads on the first huggingface call, not at start-up', async () => {
    const emu = await startHfEmulator({ token: TOKEN });
    const { env, guardLog } = hfEnv(emu);
    const s = await stdioWithLoads(env);
    const hf = /\/node_modules\/@huggingface\/|\/src\/providers\/huggingface\//;
    try {
      await s.client.callTool({ name: 'list_providers', arguments: {} });
      const atStart = await s.loaded();
      expect(atStart.some((u) => u.startsWith('bundled:') && u.endsWith('/src/main.ts'))).toBe(true);
      expect(atStart.filter((u) => hf.test(u))).toEqual([]);
      const res = (await s.client.callTool({ name: 'generate_text', arguments: { prompt: 'hi', provider: 'huggingface' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const after = await s.loaded();
      expect(after.some((u) => u.includes('/node_modules/@huggingface/inference/dist/esm/'))).toBe(true);
      expect(after.some((u) => u.endsWith('/src/providers/huggingface/index.ts'))).toBe(true);
      expectOnlyEmulator(emu, guardLog);
    } finally {
      await s.close();
      await emu.close();
    }
  });

  it('control: without HUGGINGFACE_BASE_URL the same call goes for router.huggingface.co, and the guard refuses and logs it', async () => {
    const emu = await startHfEmulator({ token: TOKEN });
    const { env, guardLog } = hfEnv(emu);
    delete env.HUGGINGFACE_BASE_URL;
    const s = await stdioClient(env);
    try {
      const res = (await s.client.callTool({ name: 'generate_text', arguments: { prompt: 'hi', provider: 'huggingface', fallback: false } })) as CallToolResult;
      expect(res.isError).toBe(true);
      expect(readFileSync(guardLog, 'utf8')).toMatch(/^https:\/\/router\.huggingface\.co\/v1\/chat\/completions$/m);
      expect(emu.requests).toHaveLength(0);
    } finally {
      await s.close();
      await emu.close();
    }
  });
});
