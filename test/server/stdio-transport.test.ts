import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { McpServer, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { describe, expect, it, vi } from 'vitest';
import { createStdioTransport, type RejectedLine } from '../../src/server/stdio-transport.js';

const MiB = 1024 * 1024;

interface WireError {
  jsonrpc: string;
  id: string | number | null;
  error: { code: number; message: string };
}

/** A started transport on PassThrough streams, with everything it delivers, writes and rejects. */
async function harness(maxMessageBytes = MiB) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const rejected: RejectedLine[] = [];
  const messages: JSONRPCMessage[] = [];
  const written: WireError[] = [];
  const transport = createStdioTransport({ maxMessageBytes, stdin, stdout, onRejected: (info) => rejected.push(info) });
  transport.onmessage = (message) => messages.push(message);
  let pending = '';
  stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      written.push(JSON.parse(pending.slice(0, nl)) as WireError);
      pending = pending.slice(nl + 1);
    }
  });
  await transport.start();
  return { stdin, stdout, transport, rejected, messages, written };
}

const ping = (id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};
const deliveredIds = (messages: JSONRPCMessage[]) => messages.map((m) => ('id' in m ? m.id : undefined));

type Expected = { code: number; id: string | number | null; message?: RegExp } | 'silent' | 'delivered';

// Each line is followed by a valid ping (id 99) that must still be delivered.
const CASES: Array<[name: string, line: string, expected: Expected]> = [
  ['invalid JSON', 'not json at all', { code: -32700, id: null }],
  ['truncated JSON', '{"jsonrpc":"2.0","id":1,"method":"pi', { code: -32700, id: null }],
  ['batch (array)', `[${ping(2)},${ping(3)}]`, { code: -32600, id: null, message: /batches are not supported/ }],
  ['empty batch', '[]', { code: -32600, id: null }],
  ['id null', '{"jsonrpc":"2.0","id":null,"method":"ping"}', { code: -32600, id: null }],
  ['params an array', '{"jsonrpc":"2.0","id":6,"method":"tools/list","params":[1,2]}', { code: -32602, id: 6, message: /"params" must be an object/ }],
  ['params a string', '{"jsonrpc":"2.0","id":"seven","method":"tools/list","params":"x"}', { code: -32602, id: 'seven', message: /"params" must be an object/ }],
  ['BOM before valid JSON', `\uFEFF${ping(8)}`, 'delivered'],
  ['a number', '42', { code: -32600, id: null }],
  ['a string', '"hello"', { code: -32600, id: null }],
  ['null', 'null', { code: -32600, id: null }],
  ['true', 'true', { code: -32600, id: null }],
  ['missing jsonrpc', '{"id":13,"method":"ping"}', { code: -32600, id: 13 }],
  ['jsonrpc "1.0"', '{"jsonrpc":"1.0","id":14,"method":"ping"}', { code: -32600, id: 14 }],
  ['missing method', '{"jsonrpc":"2.0","id":15}', { code: -32600, id: 15 }],
  ['method not a string', '{"jsonrpc":"2.0","id":16,"method":5}', { code: -32600, id: 16 }],
  ['id an object', '{"jsonrpc":"2.0","id":{"n":17},"method":"ping"}', { code: -32600, id: null }],
  ['id a boolean', '{"jsonrpc":"2.0","id":true,"method":"ping"}', { code: -32600, id: null }],
  // Beyond the eighteen:
  ['id fractional', '{"jsonrpc":"2.0","id":1.5,"method":"ping"}', { code: -32600, id: null }],
  ['id past the safe integers', '{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}', { code: -32600, id: null }],
  ['params null', '{"jsonrpc":"2.0","id":21,"method":"ping","params":null}', { code: -32602, id: 21 }],
  ['params._meta malformed', '{"jsonrpc":"2.0","id":22,"method":"ping","params":{"_meta":5}}', { code: -32602, id: 22 }],
  ['unexpected top-level member', '{"jsonrpc":"2.0","id":23,"method":"ping","extra":1}', { code: -32600, id: 23 }],
  ['no id and a non-string method (the JSON-RPC spec example)', '{"jsonrpc":"2.0","method":1,"params":"bar"}', { code: -32600, id: null }],
  ['empty object', '{}', { code: -32600, id: null }],
  ['notification with array params', '{"jsonrpc":"2.0","method":"notifications/initialized","params":[]}', 'silent'],
  ['notification with an extra member', '{"jsonrpc":"2.0","method":"notifications/initialized","x":1}', 'silent'],
  ['malformed response', '{"jsonrpc":"2.0","id":28,"result":5}', 'silent'],
  ['error response with id null', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}', 'silent'],
  ['empty line', '', 'silent'],
  ['whitespace line', ' \t  ', 'silent'],
  ['valid notification', '{"jsonrpc":"2.0","method":"notifications/initialized"}', 'delivered'],
  ['valid response', '{"jsonrpc":"2.0","id":33,"result":{}}', 'delivered'],
];

describe('createStdioTransport: malformed lines', () => {
  it.each(CASES)('%s', async (_name, line, expected) => {
    const h = await harness();
    h.stdin.write(`${line}\n${ping(99)}\n`);
    await vi.waitFor(() => expect(deliveredIds(h.messages)).toContain(99));
    await settle();

    if (expected === 'delivered') {
      expect(h.messages).toHaveLength(2);
      expect(h.written).toEqual([]);
      expect(h.rejected).toEqual([]);
      if (line.startsWith('\uFEFF')) expect(h.messages[0]).toEqual(JSON.parse(line.slice(1)));
      else expect(h.messages[0]).toEqual(JSON.parse(line));
      return;
    }
    expect(h.messages).toEqual([JSON.parse(ping(99))]);
    if (expected === 'silent') {
      expect(h.written).toEqual([]);
      // Blank lines are not even worth a log line; every other silent case is reported.
      expect(h.rejected).toHaveLength(line.trim() === '' ? 0 : 1);
      return;
    }
    expect(h.written).toHaveLength(1);
    expect(h.written[0]).toEqual({ jsonrpc: '2.0', id: expected.id, error: { code: expected.code, message: expect.stringMatching(expected.message ?? /./) } });
    expect(h.rejected).toEqual([{ reason: h.written[0]!.error.message, bytes: Buffer.byteLength(line) }]);
  });
});

describe('createStdioTransport: size limit', () => {
  const bigRequest = (bytes: number, order: 'ts' | 'python', id: number | string | undefined) => {
    const filler = 'x'.repeat(bytes);
    const params = { name: 'generate_text', arguments: { prompt: filler } };
    const msg = order === 'ts' ? { method: 'tools/call', params, jsonrpc: '2.0', id } : { jsonrpc: '2.0', id, method: 'tools/call', params };
    return JSON.stringify(msg);
  };

  it('answers a 12 MB line (limit 10 MB) with one -32600 carrying the id from its end, then reads on', async () => {
    const h = await harness(10 * MiB);
    const line = bigRequest(12 * MiB, 'ts', 42);
    h.stdin.write(`${line}\n${ping(1)}\n`);
    await vi.waitFor(() => expect(deliveredIds(h.messages)).toEqual([1]));
    await settle();
    expect(h.written).toHaveLength(1);
    expect(h.written[0]!.id).toBe(42);
    expect(h.written[0]!.error.code).toBe(-32600);
    expect(h.written[0]!.error.message).toBe(`Request too large: ${line.length} bytes exceeds the ${10 * MiB}-byte limit (MCP_PROVIDERS_MAX_MESSAGE_BYTES)`);
    expect(h.rejected).toEqual([{ reason: h.written[0]!.error.message, bytes: line.length }]);
    expect(h.transport.peakBufferedBytes).toBeLessThanOrEqual(10 * MiB);
  });

  it('recovers a string id from the start of the line (Python SDK member order)', async () => {
    const h = await harness(64 * 1024);
    h.stdin.write(`${bigRequest(100_000, 'python', 'req-7')}\n${ping(1)}\n`);
    await vi.waitFor(() => expect(h.written).toHaveLength(1));
    expect(h.written[0]!.id).toBe('req-7');
  });

  it('answers id null when the only "id" it can see is nested in params', async () => {
    const h = await harness(64 * 1024);
    const nested = JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { arguments: { id: 5, prompt: 'x'.repeat(100_000), tail: { id: 6 } } } });
    h.stdin.write(`${nested}\n${ping(1)}\n`);
    await vi.waitFor(() => expect(h.written).toHaveLength(1));
    expect(h.written[0]!.id).toBeNull();
    expect(h.written[0]!.error.code).toBe(-32600);
  });

  it('accepts a line of exactly the limit and refuses one byte more', async () => {
    const h = await harness(4096);
    const exact = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: '' } });
    const pad = 'p'.repeat(4096 - exact.length);
    const atLimit = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad } });
    const overLimit = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping', params: { pad: `${pad}p` } });
    expect(Buffer.byteLength(atLimit)).toBe(4096);
    h.stdin.write(`${atLimit}\n${overLimit}\n${ping(3)}\n`);
    await vi.waitFor(() => expect(deliveredIds(h.messages)).toEqual([1, 3]));
    await settle();
    expect(h.written.map((w) => [w.id, w.error.code])).toEqual([[2, -32600]]);
  });

  it('holds at most the limit, then a few KiB, while a 60 MB line streams in 64 KiB chunks', async () => {
    const max = 10 * MiB;
    const h = await harness(max);
    const chunk = Buffer.alloc(64 * 1024, 'x'.charCodeAt(0));
    const chunks = Math.ceil((60 * 1000 * 1000) / chunk.length);
    let afterOverflow = 0;
    h.stdin.write('{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"p":"');
    for (let i = 0; i < chunks; i++) {
      if (!h.stdin.write(chunk)) await once(h.stdin, 'drain');
      if (i * chunk.length > max + chunk.length) afterOverflow = Math.max(afterOverflow, h.transport.bufferedBytes);
    }
    h.stdin.write(`"}}\n${ping(1)}\n`);
    await vi.waitFor(() => expect(deliveredIds(h.messages)).toEqual([1]));
    await settle();
    expect(h.transport.peakBufferedBytes).toBeLessThanOrEqual(max);
    expect(afterOverflow).toBeLessThanOrEqual(8 * 1024);
    expect(h.transport.bufferedBytes).toBe(0);
    expect(h.written).toHaveLength(1);
    expect(h.written[0]!.id).toBe('big');
    expect(h.rejected[0]!.bytes).toBeGreaterThan(60 * 1000 * 1000);
  });
});

describe('createStdioTransport: framing', () => {
  it('reassembles a line split across many chunks, even inside a multi-byte character', async () => {
    const h = await harness();
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { text: 'héllo wörld 🎉 ✓' } } };
    const bytes = Buffer.from(`${JSON.stringify(message)}\n`);
    for (let i = 0; i < bytes.length; i += 3) h.stdin.write(bytes.subarray(i, i + 3));
    await vi.waitFor(() => expect(h.messages).toEqual([message]));
  });

  it('tolerates \\r\\n, also when the \\r and the \\n arrive in different chunks', async () => {
    const h = await harness();
    h.stdin.write(`${ping(1)}\r\n${ping(2)}\r`);
    h.stdin.write(`\n${ping(3)}\n`);
    await vi.waitFor(() => expect(deliveredIds(h.messages)).toEqual([1, 2, 3]));
    expect(h.written).toEqual([]);
  });

  it('delivers several lines from one chunk in order', async () => {
    const h = await harness();
    h.stdin.write([1, 2, 3, 4].map(ping).join('\n') + '\n');
    await vi.waitFor(() => expect(deliveredIds(h.messages)).toEqual([1, 2, 3, 4]));
  });
});

describe('createStdioTransport: lifecycle and writing', () => {
  it('closes once when stdin ends, and reports an unterminated last line without delivering it', async () => {
    const h = await harness();
    const onclose = vi.fn();
    h.transport.onclose = onclose;
    h.stdin.end(`${ping(1)}\n${ping(2)}`);
    await h.transport.closed;
    await settle();
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(deliveredIds(h.messages)).toEqual([1]);
    expect(h.rejected).toEqual([{ reason: expect.stringContaining('unterminated'), bytes: ping(2).length }]);
    await expect(h.transport.send({ jsonrpc: '2.0', id: 1, result: {} })).rejects.toThrow(/closed/);
  });

  it('closes when stdin errors', async () => {
    const h = await harness();
    const onerror = vi.fn();
    h.transport.onerror = onerror;
    h.stdin.destroy(new Error('boom'));
    await h.transport.closed;
    expect(onerror).toHaveBeenCalledWith(expect.objectContaining({ message: 'boom' }));
  });

  it('closes instead of crashing when stdout fails with EPIPE', async () => {
    const stdin = new PassThrough();
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const transport = createStdioTransport({ maxMessageBytes: MiB, stdin, stdout });
    const onerror = vi.fn();
    const onclose = vi.fn();
    transport.onerror = onerror;
    transport.onclose = onclose;
    await transport.start();
    await transport.send({ jsonrpc: '2.0', id: 1, result: {} }).catch(() => undefined);
    await transport.closed;
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(onerror).toHaveBeenCalledWith(expect.objectContaining({ code: 'EPIPE' }));
    // A late error on the dead stream must not become an uncaught exception.
    stdout.emit('error', new Error('late'));
  });

  it('waits for drain: never writes while stdout is full, and keeps order', async () => {
    const lines: string[] = [];
    const stdout = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        setTimeout(callback, 2);
      },
    });
    const write = stdout.write.bind(stdout);
    let wroteWhileFull = false;
    stdout.write = ((...args: Parameters<typeof stdout.write>) => {
      if (stdout.writableNeedDrain) wroteWhileFull = true;
      return write(...args);
    }) as typeof stdout.write;
    const transport = createStdioTransport({ maxMessageBytes: MiB, stdin: new PassThrough(), stdout });
    await transport.start();
    await Promise.all([1, 2, 3, 4, 5].map((id) => transport.send({ jsonrpc: '2.0', id, result: {} })));
    expect(wroteWhileFull).toBe(false);
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });

  it('refuses a second start()', async () => {
    const h = await harness();
    await expect(h.transport.start()).rejects.toThrow(/already started/);
  });
});

describe('createStdioTransport under serveStdio', () => {
  it('serves initialize, answers a malformed and an oversized line, and keeps serving', async () => {
    const h = await harness(64 * 1024);
    // serveStdio installs its own onmessage; watch the wire instead.
    const handle = serveStdio(() => new McpServer({ name: 'test', version: '1.0.0' }), { transport: h.transport });
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'vitest', version: '1' } },
    };
    h.stdin.write(`${JSON.stringify(initialize)}\n`);
    await vi.waitFor(() => expect(h.written.map((w) => w.id)).toContain(1));
    h.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    h.stdin.write('[]\n');
    h.stdin.write(`${JSON.stringify({ method: 'ping', params: { pad: 'x'.repeat(100_000) }, jsonrpc: '2.0', id: 2 })}\n`);
    h.stdin.write(`${ping(3)}\n`);
    await vi.waitFor(() => expect(h.written.map((w) => w.id)).toContain(3));
    const byId = (id: number | null) => h.written.find((w) => w.id === id) as unknown as Record<string, unknown>;
    expect(byId(null)).toMatchObject({ error: { code: -32600 } });
    expect(byId(2)).toMatchObject({ error: { code: -32600, message: expect.stringContaining('Request too large') } });
    expect(byId(3)).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
    await handle.close();
    await h.transport.closed;
  });
});
