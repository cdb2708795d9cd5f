/**
 * Real SDK clients of both protocol generations against the built server, over stdio or
 * HTTP: the v1 SDK client (1.32) speaks 2025-11-25 as today's deployed clients do, the v2
 * client pinned to 2026-07-28 speaks the stateless revision. Tests write one body and run
 * it over every pair (see `eachClient`).
 */
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI } from './server-process.js';

export type Revision = '2025-11-25' | '2026-07-28';
export type TransportKind = 'stdio' | 'http';

/** What a test body needs of a client, the same for both SDK generations. */
export interface AnyClient {
  revision: Revision;
  transport: TransportKind;
  /** The revision the connection actually negotiated. */
  negotiated(): string | undefined;
  listToolNames(): Promise<string[]>;
  listTools(): Promise<{ name: string; inputSchema: Record<string, unknown>; outputSchema?: Record<string, unknown> }[]>;
  callTool(name: string, args: Record<string, unknown>, onProgress?: (p: { progress: number; message?: string }) => void): Promise<CallResult>;
  readResource(uri: string): Promise<{ contents: { uri: string; mimeType?: string; blob?: string }[] }>;
  listResources(): Promise<{ resources: { uri: string }[] }>;
  /** Notifications of a method the client received (e.g. notifications/message). */
  received(method: string): unknown[];
  stderr(): string;
  close(): Promise<void>;
}

export interface CallResult {
  isError?: boolean;
  content: { type: string; text?: string; uri?: string; mimeType?: string }[];
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

export interface ConnectOptions {
  revision: Revision;
  transport: TransportKind;
  env: Record<string, string>;
  /** For HTTP: the server's /mcp URL (start one with httpServer()). */
  url?: string;
  headers?: Record<string, string>;
  /** 2025-11-25: send logging/setLevel with this level right after connecting; 2026-07-28: send it in every request's _meta. */
  logLevel?: string;
}

export async function connect(opts: ConnectOptions): Promise<AnyClient> {
  return opts.revision === '2025-11-25' ? connectLegacy(opts) : connectModern(opts);
}

async function connectLegacy(opts: ConnectOptions): Promise<AnyClient> {
  const client = new LegacyClient({ name: 'e2e-2025', version: '1.0.0' });
  const notes: { method: string; params: unknown }[] = [];
  client.fallbackNotificationHandler = async (n) => void notes.push({ method: n.method, params: n.params });
  let stderr = '';
  if (opts.transport === 'stdio') {
    const transport = new LegacyStdio({ command: process.execPath, args: [CLI], env: opts.env, stderr: 'pipe' });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await client.connect(transport);
  } else {
    await client.connect(new LegacyHttp(new URL(opts.url!), { requestInit: { headers: opts.headers ?? {} } }));
  }
  if (opts.logLevel) await client.setLoggingLevel(opts.logLevel as 'info');
  return {
    revision: opts.revision,
    transport: opts.transport,
    negotiated: () => (client as unknown as { _transport?: { protocolVersion?: string } })._transport?.protocolVersion ?? '2025-11-25',
    listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    listTools: async () => (await client.listTools()).tools as never,
    callTool: async (name, args, onProgress) =>
      (await client.callTool({ name, arguments: args }, undefined, onProgress ? { onprogress: onProgress, resetTimeoutOnProgress: true } : undefined)) as CallResult,
    readResource: async (uri) => (await client.readResource({ uri })) as never,
    listResources: async () => client.listResources(),
    received: (method) => notes.filter((n) => n.method === method).map((n) => n.params),
    stderr: () => stderr,
    close: () => client.close(),
  };
}

async function connectModern(opts: ConnectOptions): Promise<AnyClient> {
  const client = new ModernClient({ name: 'e2e-2026', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const notes: { method: string; params: unknown }[] = [];
  client.fallbackNotificationHandler = async (n) => void notes.push({ method: n.method, params: n.params });
  let stderr = '';
  const meta = opts.logLevel ? { 'io.modelcontextprotocol/logLevel': opts.logLevel } : undefined;
  if (opts.transport === 'stdio') {
    const transport = new ModernStdio({ command: process.execPath, args: [CLI], env: opts.env, stderr: 'pipe' });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await client.connect(transport);
  } else {
    await client.connect(new ModernHttp(new URL(opts.url!), { requestInit: { headers: opts.headers ?? {} } }));
  }
  return {
    revision: opts.revision,
    transport: opts.transport,
    negotiated: () => client.getNegotiatedProtocolVersion(),
    listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    listTools: async () => (await client.listTools()).tools as never,
    callTool: async (name, args, onProgress) =>
      (await client.callTool(
        { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
        onProgress ? { onprogress: onProgress, resetTimeoutOnProgress: true } : undefined,
      )) as CallResult,
    readResource: async (uri) => (await client.readResource({ uri })) as never,
    listResources: async () => (await client.listResources()) as never,
    received: (method) => notes.filter((n) => n.method === method).map((n) => n.params),
    stderr: () => stderr,
    close: () => client.close(),
  };
}

export const MATRIX: { revision: Revision; transport: TransportKind }[] = [
  { revision: '2025-11-25', transport: 'stdio' },
  { revision: '2026-07-28', transport: 'stdio' },
  { revision: '2025-11-25', transport: 'http' },
  { revision: '2026-07-28', transport: 'http' },
];
