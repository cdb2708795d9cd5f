/**
 * Protocol behaviour of our server factory on both revisions, in process: resource-not-found
 * per SEP-2164, the logging gate, and the caller's trace id on our log lines.
 */
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/registry/config.js';
import { createCore } from '../../src/server/core.js';
import { inProcessClient, testCore } from '../helpers/in-process.js';

const REVISIONS = ['2025-11-25', '2026-07-28'] as const;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!().catch(() => undefined);
});

async function connected(revision: (typeof REVISIONS)[number], core = testCore()) {
  const c = await inProcessClient(core, revision);
  closers.push(c.close);
  return c.client;
}

type Artifact = { uri: string; path: string; sha256: string };

describe.each(REVISIONS)('resources/read at %s', (revision) => {
  async function readError(uri: string) {
    const client = await connected(revision);
    return client.readResource({ uri }).then(
      () => undefined,
      (err: { code?: number; data?: { uri?: string } }) => err,
    );
  }

  it.each([
    ['unknown', 'artifact://mabcdefgh0123456789ab'],
    ['malformed', 'artifact://'],
    ['malformed (not a URI)', 'not a uri at all'],
    ['off the template', 'file:///etc/passwd'],
    ['off the template (extra path)', 'artifact://mabcdefgh0123456789ab/x'],
  ])('answers -32602 with data.uri for an %s URI', async (_kind, uri) => {
    const err = await readError(uri);
    expect(err?.code).toBe(-32602);
    expect(err?.data?.uri).toBe(uri);
  });

  it('answers -32602 with data.uri for an artifact whose file has vanished', async () => {
    const client = await connected(revision);
    const res = await client.callTool({ name: 'tts', arguments: { text: 'Soon gone.' } });
    const art = (res.structuredContent as { artifacts: Artifact[] }).artifacts[0];
    rmSync(art.path);
    const err = await client.readResource({ uri: art.uri }).then(
      () => undefined,
      (e: { code?: number; data?: { uri?: string } }) => e,
    );
    expect(err?.code).toBe(-32602);
    expect(err?.data?.uri).toBe(art.uri);
  });
});

describe('MCP log notifications', () => {
  it.each(REVISIONS)('%s: a client that never asked receives none', async (revision) => {
    const client = await connected(revision);
    const got: unknown[] = [];
    client.setNotificationHandler('notifications/message', (n) => void got.push(n.params));
    const res = await client.callTool({ name: 'tts', arguments: { text: 'Quiet, please.' } });
    expect(res.isError).toBeFalsy();
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
  });

  it('2025-11-25: after logging/setLevel info the call’s log line arrives', async () => {
    const client = await connected('2025-11-25');
    const got: { level: string; data: { tool?: string; outcome?: string } }[] = [];
    client.setNotificationHandler('notifications/message', (n) => void got.push(n.params as never));
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'tts', arguments: { text: 'Tell me about it.' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ level: 'info', data: { tool: 'tts', outcome: 'ok' } });
  });

  it('2025-11-25: setLevel error filters out the info line', async () => {
    const client = await connected('2025-11-25');
    const got: unknown[] = [];
    client.setNotificationHandler('notifications/message', (n) => void got.push(n.params));
    await client.setLoggingLevel('error');
    await client.callTool({ name: 'tts', arguments: { text: 'Only errors.' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
  });

  it('2026-07-28: a request carrying logLevel info in _meta gets the call’s log line', async () => {
    const client = await connected('2026-07-28');
    const got: { level: string; data: { tool?: string } }[] = [];
    client.setNotificationHandler('notifications/message', (n) => void got.push(n.params as never));
    await client.callTool({ name: 'tts', arguments: { text: 'Tell me.' }, _meta: { 'io.modelcontextprotocol/logLevel': 'info' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ level: 'info', data: { tool: 'tts' } });
  });
});

describe('traceparent', () => {
  it.each(REVISIONS)('%s: a traceparent in _meta becomes the trace id on the call’s log lines', async (revision) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const base = testCore();
    const core = createCore({ config: loadConfig({ ...base.config.env, MCP_PROVIDERS_LOG_LEVEL: 'info' }), logger: pino({ level: 'info' }, sink) });
    const client = await connected(revision, core);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await client.callTool({ name: 'tts', arguments: { text: 'Traced.' }, _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await client.callTool({ name: 'tts', arguments: { text: 'Not traced.' }, _meta: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
    const calls = lines.filter((l) => l.msg === 'tool call');
    expect(calls).toHaveLength(2);
    expect(calls[0].traceId).toBe(traceId);
    expect(calls[1].traceId).toBeUndefined();
  });
});
