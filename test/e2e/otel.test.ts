/**
 * OpenTelemetry through the built server: spans reach an in-process OTLP/HTTP receiver (http/json),
 * the tool call is an MCP server span whose parent is the caller's `traceparent` from `_meta`, each
 * provider attempt is a GenAI client span under it (a retry, then a fallback), no prompt text or key
 * is in any span, a console exporter keeps stdout clean, spans are flushed on shutdown, a collector
 * that is down breaks nothing — and without OTEL_* variables no OpenTelemetry code loads at all.
 */
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Emulator } from '../emulators/openai-compatible.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { CLI, httpServer, stdioClient, stdioWithLoads, testEnv, type HttpServer } from '../helpers/server-process.js';

const KEY = 'sk-or-v1-otel-emulated-key-0123456789';
const OTLP_TOKEN = 'otlp-ingest-token-9f8e7d6c5b4a';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** Every string a span carries: attribute values, event attributes, resource, status message. */
function stringsOf(spans: ReceivedSpan[]): string {
  return JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.resource, s.status]));
}

describe('tracing over HTTP, OTLP http/json', () => {
  let receiver: OtlpReceiver;
  let openrouter: Emulator;
  let local: Emulator;
  let srv: HttpServer;
  let client: Client;
  let sessionId: string | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    openrouter = await start({ basePath: '/api/v1', apiKey: KEY });
    local = await start({ basePath: '/v1' });
    srv = await httpServer(
      testEnv({
        OPENROUTER_API_KEY: KEY,
        OPENROUTER_BASE_URL: openrouter.url,
        LOCAL_OPENAI_BASE_URL: local.url,
        MCP_PROVIDERS_MAX_ATTEMPTS: '2',
        MCP_PROVIDERS_RETRY_BASE_MS: '10',
        MCP_PROVIDERS_COOLDOWN_AFTER: '1000',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: `x-otlp-token=${OTLP_TOKEN}`,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_SERVICE_NAME: 'otel-e2e',
      }),
    );
    client = new Client({ name: 'otel-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(srv.url));
    await client.connect(transport);
    sessionId = transport.sessionId;
  });
  afterAll(async () => {
    await client?.close();
    await srv?.close();
    await Promise.all([openrouter?.close(), local?.close(), receiver?.close()]);
  });

  it('a call that retried once and fell back: one tool-call span under the incoming traceparent, one GenAI span per attempt, no prompt or key anywhere', async () => {
    const prompt = 'PROMPT-MARKER-7c1d: name three moons of Jupiter';
    openrouter.enqueueFault({ status: 503 }, { status: 500 });
    const res = (await client.callTool({
      name: 'generate_text',
      arguments: { prompt, system: 'SYSTEM-MARKER-2b9f be brief' },
      _meta: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'rojo=00f067aa0ba902b7' },
    })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent).toMatchObject({ provider: 'local', telemetry: { attempts: 3, fallbackFrom: ['openrouter'] } });

    const tool = await receiver.waitForSpan((s) => s.name === 'tools/call generate_text');
    expect(tool).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, traceState: 'rojo=00f067aa0ba902b7', kind: SERVER });
    expect(tool.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'generate_text',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      'network.transport': 'tcp',
      'jsonrpc.request.id': expect.any(String),
      'mcp_providers.provider': 'local',
      'mcp_providers.attempts': 3,
      'mcp_providers.fallback_from': ['openrouter'],
      'mcp_providers.job.state': 'succeeded',
    });
    expect(sessionId).toBeTruthy();
    expect(tool.attributes['mcp.session.id']).toBe(sessionId);
    expect(tool.attributes['error.type']).toBeUndefined();
    expect(tool.resource['service.name']).toBe('otel-e2e');

    const attempts = await waitForChildren(receiver, tool, 3);
    const [first, second, third] = attempts;
    for (const a of attempts) expect(a).toMatchObject({ traceId: TRACE_ID, kind: CLIENT });
    expect(first.name).toBe('chat openai/gpt-4o-mini');
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openrouter',
      'gen_ai.request.model': 'openai/gpt-4o-mini',
      'gen_ai.output.type': 'text',
      'mcp_providers.attempt': 1,
      'error.type': 'unavailable',
      'http.response.status_code': 503,
      'server.address': '127.0.0.1',
      'mcp_providers.job.id': tool.attributes['mcp_providers.job.id'],
    });
    expect(first.status.code).toBe(ERROR);
    expect(first.events.map((e) => e.name)).toEqual(['mcp_providers.retry']);
    expect(first.events[0].attributes['mcp_providers.retry.delay_ms']).toEqual(expect.any(Number));
    expect(second.attributes).toMatchObject({ 'gen_ai.provider.name': 'openrouter', 'mcp_providers.attempt': 2, 'error.type': 'unavailable', 'http.response.status_code': 500 });
    expect(second.events).toEqual([]);
    expect(third.name).toBe('chat llama3.2');
    expect(third.attributes).toMatchObject({
      'gen_ai.provider.name': 'local',
      'gen_ai.request.model': 'llama3.2',
      'gen_ai.response.model': 'llama3.2',
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
      'mcp_providers.attempt': 1,
      'mcp_providers.fallback_from': ['openrouter'],
    });
    expect(third.attributes['error.type']).toBeUndefined();
    expect(third.status.code ?? 0).not.toBe(ERROR);

    // Off by default: no prompt or system text, no API key, no OTLP header value — in spans or in any byte sent to the collector.
    const everything = receiver.requests.map((r) => r.body).join('\n');
    for (const secret of ['PROMPT-MARKER-7c1d', 'SYSTEM-MARKER-2b9f', KEY, OTLP_TOKEN]) {
      expect(stringsOf(receiver.spans)).not.toContain(secret);
      expect(everything).not.toContain(secret);
    }
    // The exporter sent OTEL_EXPORTER_OTLP_HEADERS, and nothing logged it.
    expect(receiver.requests.at(-1)?.headers['x-otlp-token']).toBe(OTLP_TOKEN);
    expect(srv.stderr()).not.toContain(OTLP_TOKEN);
  });

  it('a call answered at the first try carries its cost and tokens, on the attempt and on the tool call', async () => {
    const res = (await client.callTool({ name: 'generate_text', arguments: { prompt: 'cost me' } })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    const cost = (res.structuredContent as { usage: { costUsd: number } }).usage.costUsd;
    expect(cost).toBeGreaterThan(0);
    const jobId = (res.structuredContent as { job: { id: string } }).job.id;
    const tool = await receiver.waitForSpan((s) => s.kind === SERVER && s.attributes['mcp_providers.job.id'] === jobId);
    // No traceparent came: a root span.
    expect(tool.parentSpanId).toBeUndefined();
    expect(tool.attributes['mcp_providers.usage.cost_usd']).toBe(cost);
    const [attempt] = await waitForChildren(receiver, tool, 1);
    expect(attempt.attributes).toMatchObject({ 'gen_ai.provider.name': 'openrouter', 'mcp_providers.usage.cost_usd': cost, 'gen_ai.response.id': expect.any(String) });
  });

  it('a tool error ends the span with error.type tool_error', async () => {
    const res = (await client.callTool({ name: 'generate_text', arguments: { prompt: 'no such provider here', provider: 'replicate', fallback: false } })) as CallToolResult;
    expect(res.isError).toBe(true);
    const tool = await receiver.waitForSpan((s) => s.kind === SERVER && s.attributes['error.type'] === 'tool_error');
    expect(tool.status.code).toBe(ERROR);
    expect(tool.status.message).not.toContain('no such provider here');
  });
});

describe('tracing over stdio', () => {
  it('a console exporter writes spans to stderr and nothing but JSON-RPC to stdout; the span has network.transport pipe', async () => {
    const proc = spawn(process.execPath, [CLI], { env: testEnv({ OTEL_TRACES_EXPORTER: 'console', OTEL_BSP_SCHEDULE_DELAY: '20' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const send = (msg: object) => proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
    const until = async (ok: () => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await until(() => stdout.includes('"id":1'), 'initialize');
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'tts', arguments: { text: 'spoken, never traced' }, _meta: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } } });
    await until(() => stdout.includes('"id":2'), 'the tts answer');
    await until(() => stderr.includes('"name":"tools/call tts"'), 'the tool-call span on stderr');
    proc.stdin.end();
    await new Promise((r) => proc.once('exit', r));

    for (const line of stdout.trimEnd().split('\n')) expect((JSON.parse(line) as { jsonrpc: string }).jsonrpc).toBe('2.0');
    const spans = stderr
      .split('\n')
      .filter((l) => l.startsWith('{"traceId"'))
      .map((l) => JSON.parse(l) as { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: Record<string, unknown> });
    const tool = spans.find((s) => s.name === 'tools/call tts')!;
    expect(tool).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, attributes: { 'network.transport': 'pipe', 'mcp.protocol.version': '2025-11-25' } });
    expect(spans.find((s) => s.parentSpanId === tool.spanId)).toMatchObject({ name: 'generate_content espeak-ng', attributes: { 'gen_ai.provider.name': 'local', 'gen_ai.output.type': 'speech' } });
    expect(stderr).not.toContain('spoken, never traced');
  });

  it('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true puts the prompt and the tool arguments in the spans (and still no key)', async () => {
    const receiver = await startOtlpReceiver();
    const local = await start({ basePath: '/v1' });
    const s = await stdioClient(
      testEnv({
        LOCAL_OPENAI_BASE_URL: local.url,
        OPENROUTER_API_KEY: KEY,
        // Nothing listens there: OpenRouter fails at once and the call falls back to local.
        OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1',
        MCP_PROVIDERS_MAX_ATTEMPTS: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      }),
    );
    try {
      const res = (await s.client.callTool({ name: 'generate_text', arguments: { prompt: 'CAPTURED-PROMPT hello', system: 'CAPTURED-SYSTEM' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const tool = await receiver.waitForSpan((sp) => sp.name === 'tools/call generate_text');
      expect(String(tool.attributes['gen_ai.tool.call.arguments'])).toContain('CAPTURED-PROMPT');
      const answered = await receiver.waitForSpan((sp) => sp.parentSpanId === tool.spanId && sp.attributes['gen_ai.provider.name'] === 'local');
      expect(JSON.parse(String(answered.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'CAPTURED-PROMPT hello' }] }]);
      expect(answered.attributes['gen_ai.system_instructions']).toContain('CAPTURED-SYSTEM');
      expect(answered.attributes['gen_ai.output.messages']).toContain('assistant');
      expect(receiver.requests.map((r) => r.body).join('\n')).not.toContain(KEY);
    } finally {
      await s.close();
      await Promise.all([local.close(), receiver.close()]);
    }
  });

  it.each([
    ['stdin closes', (proc: ReturnType<typeof spawn>) => proc.stdin!.end()],
    ['SIGTERM', (proc: ReturnType<typeof spawn>) => proc.kill('SIGTERM')],
  ])('spans still queued are exported when %s (batch delay far longer than the run)', async (_how, stop) => {
    const receiver = await startOtlpReceiver();
    const env = testEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'pipe' });
    const client = new Client({ name: 'otel-flush', version: '1.0.0' });
    try {
      await client.connect(transport);
      const res = (await client.callTool({ name: 'tts', arguments: { text: 'flush me' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      expect(receiver.spans).toHaveLength(0);
      const proc = (transport as unknown as { _process: ReturnType<typeof spawn> })._process;
      const exited = new Promise((r) => proc.once('exit', r));
      stop(proc);
      await exited;
      expect(receiver.spans.map((s) => s.name).sort()).toEqual(['generate_content espeak-ng', 'tools/call tts']);
    } finally {
      await client.close().catch(() => undefined);
      await receiver.close();
    }
  });

  it('with the collector down (http/protobuf, the default protocol) the call succeeds, the failure is logged without the header token, and the server exits promptly', async () => {
    const receiver = await startOtlpReceiver();
    const endpoint = receiver.url;
    await receiver.close(); // nothing listens there now
    const s = await stdioClient(
      testEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${OTLP_TOKEN},x-team=${OTLP_TOKEN}`,
        OTEL_BSP_SCHEDULE_DELAY: '20',
        // The exporter gives up on a batch after this (its retries included), so the failures show within the test.
        OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      }),
    );
    for (let i = 0; i < 3; i++) {
      const res = (await s.client.callTool({ name: 'tts', arguments: { text: `call ${i}` } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      await new Promise((r) => setTimeout(r, 400));
    }
    const until = Date.now() + 10_000;
    while (!s.stderr().includes('OpenTelemetry export failed') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(4_000);
    // Every batch failed; the log says so once (then at most once a minute), without the header values.
    expect(s.stderr().match(/OpenTelemetry export failed/g)).toHaveLength(1);
    expect(s.stderr()).toMatch(/ECONNREFUSED/);
    expect(s.stderr()).not.toContain(OTLP_TOKEN);
  });

  it('http/protobuf, the default, is what goes to the collector when no protocol is set', async () => {
    const receiver = await startOtlpReceiver();
    const s = await stdioClient(testEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20' }));
    try {
      await s.client.callTool({ name: 'tts', arguments: { text: 'protobuf' } });
      const until = Date.now() + 10_000;
      while (!receiver.requests.length && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      expect(receiver.requests[0]).toMatchObject({ path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' } });
    } finally {
      await s.close();
      await receiver.close();
    }
  });
});

describe('without OTEL_* variables', () => {
  it.each([
    ['none set', {}, false],
    ['OTEL_SDK_DISABLED=true', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' }, false],
    ['an endpoint set (the check itself)', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '200' }, true],
  ])('%s: whether any OpenTelemetry code loads, at start-up or in a tool call', async (_what, extra: Record<string, string>, loads: boolean) => {
    const s = await stdioWithLoads(testEnv(extra));
    try {
      const res = (await s.client.callTool({ name: 'tts', arguments: { text: 'no tracing' } })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const loaded = await s.loaded();
      expect(loaded.some((u) => u.endsWith('/src/telemetry/tracing.ts'))).toBe(true);
      const otel = loaded.filter((u) => u.includes('/node_modules/@opentelemetry/') || u.endsWith('/src/telemetry/sdk.ts'));
      if (loads) expect(otel.length).toBeGreaterThan(0);
      else expect(otel).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

/** The spans whose parent is `parent`, in start order, once `count` of them have arrived. */
async function waitForChildren(receiver: OtlpReceiver, parent: ReceivedSpan, count: number): Promise<ReceivedSpan[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const children = receiver.spans.filter((s) => s.parentSpanId === parent.spanId);
    if (children.length >= count) {
      return children.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    }
    if (Date.now() > until) throw new Error(`${children.length} of ${count} child spans of ${parent.name} arrived`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
