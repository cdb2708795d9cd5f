/**
 * One body, every client: the v1 SDK client at 2025-11-25 and the v2 client at 2026-07-28,
 * each over stdio and over Streamable HTTP, see the same tools, call tts, and read the
 * artifact back with resources/read.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MATRIX, type AnyClient } from '../helpers/clients.js';
import { httpServer, testEnv, type HttpServer } from '../helpers/server-process.js';
import { TOOL_NAMES } from '../helpers/tool-names.js';

const env = testEnv();
let http: HttpServer;
const clients = new Map<string, AnyClient>();

beforeAll(async () => {
  http = await httpServer(env);
  for (const m of MATRIX) clients.set(`${m.revision} over ${m.transport}`, await connect({ ...m, env, url: http.url }));
});
afterAll(async () => {
  for (const c of clients.values()) await c.close().catch(() => undefined);
  await http?.close();
});

describe.each(MATRIX.map((m) => `${m.revision} over ${m.transport}`))('%s', (name) => {
  it('negotiates the revision it asked for', () => {
    expect(clients.get(name)!.negotiated()).toBe(name.slice(0, 10));
  });

  it('lists the same tools in the same order', async () => {
    const names = await clients.get(name)!.listToolNames();
    expect(names).toEqual(TOOL_NAMES);
  });

  it('calls tts and reads the artifact back with resources/read, sha256 equal', async () => {
    const c = clients.get(name)!;
    const res = await c.callTool('tts', { text: `Hello over ${name}.` });
    expect(res.isError).toBeFalsy();
    const art = (res.structuredContent as { artifacts: { uri: string; sha256: string; size: number }[] }).artifacts[0];
    const read = await c.readResource(art.uri);
    const bytes = Buffer.from(read.contents[0].blob!, 'base64');
    expect(bytes.length).toBe(art.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(art.sha256);
  });
});
