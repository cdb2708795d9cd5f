/**
 * Task-capable clients of both generations, for the tasks tests.
 *
 * - 2026-07-28: the v2 SDK Client pinned to 2026-07-28 with an `@modelcontextprotocol/ext-tasks`
 *   session. The SDK Client refuses `resultType: "task"` and the tasks methods, so ext-tasks
 *   needs a host `rawDispatch`: here a tap on the Client's own transport (stdio, HTTP, or
 *   in-process fetch) that sends raw JSON-RPC with its own ids and takes their responses
 *   before the Client sees them. The transport still derives the 2026 HTTP headers
 *   (MCP-Protocol-Version, Mcp-Method, Mcp-Name) from each message.
 * - 2025-11-25: the v1 SDK client (1.32) and its `client.experimental.tasks` API.
 */
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttp, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { createTaskSessionFromClient, type JsonRpcResponse, type RawClientDispatch, type TaskEnabledSession } from '@modelcontextprotocol/ext-tasks/client';
import type { JsonValue } from '@modelcontextprotocol/ext-tasks/core';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport as LegacyTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CLI } from './server-process.js';

export const PROTOCOL_2026 = '2026-07-28';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const CLIENT_INFO = { name: 'tasks-test', version: '1.0.0' };

export interface Tap<T extends Transport> {
  transport: T;
  rawDispatch: RawClientDispatch;
}

/** Wraps a client transport so raw requests can share it with the SDK Client (see the header). */
export function tapTransport<T extends Transport>(inner: T): Tap<T> {
  const pending = new Map<string, (response: JsonRpcResponse) => void>();
  let next = 0;
  let clientOnMessage: Transport['onmessage'];
  inner.onmessage = (message, extra) => {
    const m = message as { id?: unknown; method?: unknown; result?: JsonValue; error?: { code: number; message: string; data?: JsonValue } };
    const done = m.method === undefined && typeof m.id === 'string' ? pending.get(m.id) : undefined;
    if (!done) return clientOnMessage?.(message, extra);
    pending.delete(m.id as string);
    done(m.error ? { kind: 'error', error: m.error } : { kind: 'result', result: m.result ?? null });
  };
  const transport = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'onmessage') return clientOnMessage;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, prop, value) {
      if (prop === 'onmessage') clientOnMessage = value as Transport['onmessage'];
      else Reflect.set(target, prop, value, target);
      return true;
    },
  });
  const rawDispatch: RawClientDispatch = async (request, options) => {
    const id = `raw-${++next}`;
    const answered = new Promise<JsonRpcResponse>((resolve, reject) => {
      pending.set(id, resolve);
      options?.signal?.addEventListener(
        'abort',
        () => {
          pending.delete(id);
          reject(options.signal!.reason);
        },
        { once: true },
      );
    });
    try {
      await inner.send({ ...(request as object), jsonrpc: '2.0', id } as JSONRPCMessage);
    } catch (err) {
      // The HTTP transport delivers a JSON-RPC error answered with 400, but raises one answered with
      // another status (-32601 comes as 404) with the body as text: take the error from the body.
      pending.delete(id);
      const text = (err as { data?: { text?: unknown } }).data?.text;
      const body = typeof text === 'string' ? (JSON.parse(text) as { id?: unknown; error?: { code: number; message: string; data?: JsonValue } }) : undefined;
      if (body?.id === id && body.error) return { kind: 'error', error: body.error };
      throw err;
    }
    return answered;
  };
  return { transport, rawDispatch };
}

export interface ModernTaskClient {
  client: ModernClient;
  session: TaskEnabledSession;
  /** Raw JSON-RPC on the same connection; `tasks` false sends no tasks extension in `_meta`. */
  raw(method: string, params: Record<string, JsonValue>, opts?: { tasks?: boolean }): Promise<JsonRpcResponse>;
  stderr(): string;
  close(): Promise<void>;
}

/** Per-request `_meta` of a 2026-07-28 request, with or without the tasks extension. */
export function envelope(tasks: boolean): Record<string, JsonValue> {
  return {
    'io.modelcontextprotocol/protocolVersion': PROTOCOL_2026,
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
    'io.modelcontextprotocol/clientCapabilities': tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {},
  };
}

export type ModernTarget = { stdio: Record<string, string> } | { url: string } | { fetch: (req: Request) => Promise<Response> };

export async function modernTaskClient(target: ModernTarget): Promise<ModernTaskClient> {
  let stderr = '';
  let inner: Transport;
  if ('stdio' in target) {
    const stdio = new ModernStdio({ command: process.execPath, args: [CLI], env: target.stdio, stderr: 'pipe' });
    stdio.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    inner = stdio;
  } else if ('url' in target) {
    inner = new ModernHttp(new URL(target.url));
  } else {
    const handle = target.fetch;
    inner = new ModernHttp(new URL('http://in-process.test/mcp'), { fetch: (url, init) => handle(new Request(url, init)) });
  }
  const tap = tapTransport(inner);
  const client = new ModernClient(CLIENT_INFO, { versionNegotiation: { mode: { pin: PROTOCOL_2026 } } });
  await client.connect(tap.transport);
  const session = createTaskSessionFromClient(client, {
    endpointId: 'tasks-test',
    rawDispatch: tap.rawDispatch,
    v2RequestFraming: { protocolVersion: PROTOCOL_2026, clientInfo: CLIENT_INFO, clientCapabilities: {} },
  });
  return {
    client,
    session,
    raw: (method, params, opts = {}) => {
      const meta = envelope(opts.tasks ?? true);
      return tap.rawDispatch({ method, params: { ...params, _meta: { ...((params._meta as Record<string, JsonValue> | undefined) ?? {}), ...meta } } });
    },
    stderr: () => stderr,
    async close() {
      await session.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

export interface LegacyTaskClient {
  client: LegacyClient;
  /** Notifications received, by method. */
  received(method: string): unknown[];
  stderr(): string;
  close(): Promise<void>;
}

export type LegacyTarget = { stdio: Record<string, string> } | { url: string } | { transport: LegacyTransport };

export async function legacyTaskClient(target: LegacyTarget): Promise<LegacyTaskClient> {
  const client = new LegacyClient(CLIENT_INFO);
  const notes: { method: string; params: unknown }[] = [];
  client.fallbackNotificationHandler = async (n) => void notes.push({ method: n.method, params: n.params });
  let stderr = '';
  if ('stdio' in target) {
    const transport = new LegacyStdio({ command: process.execPath, args: [CLI], env: target.stdio, stderr: 'pipe' });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await client.connect(transport);
  } else if ('url' in target) {
    await client.connect(new LegacyHttp(new URL(target.url)));
  } else {
    await client.connect(target.transport);
  }
  // Caches each tool's execution.taskSupport, which callToolStream reads.
  await client.listTools();
  return {
    client,
    received: (method) => notes.filter((n) => n.method === method).map((n) => n.params),
    stderr: () => stderr,
    close: () => client.close(),
  };
}
