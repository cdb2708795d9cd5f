/**
 * The MCP stdio transport (newline-delimited JSON-RPC on stdin/stdout) with a bounded line
 * length and an answer for every malformed request.
 *
 * Why not the SDK's `StdioServerTransport` (`@modelcontextprotocol/server` 2.4): its `ReadBuffer`
 * concatenates chunks into one buffer and throws once that buffer would pass 10 MiB; the
 * transport reports the throw to `onerror` and closes itself, so one oversized request ends the
 * connection (the server exits 0 without a word), or leaves the reader stopped so every later
 * call hangs. It also drops malformed lines silently: invalid JSON is skipped, and JSON that fails
 * the SDK's message schema (a batch, `id: null`, array `params`, a BOM, ...) only reaches
 * `onerror`, so the client waits forever for an answer.
 *
 * This transport:
 * - splits the raw bytes on `\n` (a trailing `\r` is dropped, a leading UTF-8 BOM stripped,
 *   blank lines ignored) and never holds more than `maxMessageBytes` of one line. Past the limit
 *   it keeps only the line's first and last 4 KiB (to read its `id`), drops the rest as it
 *   streams in, answers one error when the line ends, and reads on;
 * - answers what JSON-RPC 2.0 says to answer (table below) and hands every valid message to
 *   `onmessage` exactly as the SDK's own `parseJSONRPCMessage` returns it;
 * - writes one `serializeMessage` line per message, in order, waiting for `'drain'`; a stdout
 *   error (EPIPE: the client has gone) closes the transport instead of crashing the process;
 * - closes, firing `onclose` once, when stdin ends, closes or errors.
 *
 * | line                                                 | answer                          |
 * | ---------------------------------------------------- | ------------------------------- |
 * | empty or whitespace                                  | none (ignored)                  |
 * | over `maxMessageBytes`                               | -32600, id recovered or null    |
 * | not JSON (including truncated JSON)                  | -32700 Parse error, id null     |
 * | array (a batch, empty or not: MCP has none since 2025-06-18) | -32600, id null         |
 * | JSON that is not an object (number, string, null, true)      | -32600, id null         |
 * | notification (`jsonrpc` "2.0", string `method`, no `id`), malformed | none (spec: never answer a notification) |
 * | response (`result`/`error`, no `method`), malformed  | none (answering a response could loop) |
 * | no `id` and not a notification as above              | -32600, id null                 |
 * | `id` null, or not a string / safe integer            | -32600, id null                 |
 * | `jsonrpc` not "2.0", `method` not a string, extra member | -32600 with the id          |
 * | `params` not an object (array, string, null)         | -32602 Invalid params, with the id (MCP params are objects) |
 * | any other schema failure (it is inside `params`)     | -32602 with the id              |
 *
 * The silent cases are still reported through `onRejected`, like every answered one.
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import {
  parseJSONRPCMessage,
  ProtocolErrorCode,
  serializeMessage,
  type JSONRPCMessage,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';

export interface RejectedLine {
  /** Why the line was refused, and whether it was answered. */
  reason: string;
  /** The line's length in bytes, without its newline. */
  bytes: number;
}

export interface StdioTransportOptions {
  /** Longest line accepted, in bytes; a longer one is answered with an error and skipped. */
  maxMessageBytes: number;
  stdin?: Readable;
  stdout?: Writable;
  /** Called for every line refused, answered or not (for a log line on stderr). */
  onRejected?: (info: RejectedLine) => void;
}

export interface StdioTransport extends Transport {
  /** Settles once the transport has closed: stdin ended or failed, stdout failed, or close() was called. */
  readonly closed: Promise<void>;
  /** Bytes of the current unfinished line held in memory (a hook for the memory bound's tests). */
  readonly bufferedBytes: number;
  /** The most `bufferedBytes` has ever been. */
  readonly peakBufferedBytes: number;
}

export function createStdioTransport(opts: StdioTransportOptions): StdioTransport {
  return new NdjsonStdioTransport(opts);
}

/** How much of an over-limit line's start and end is kept to find its `id`. */
const ID_WINDOW_BYTES = 4096;
const NEWLINE = 0x0a;

type Verdict =
  | { kind: 'deliver'; message: JSONRPCMessage }
  | { kind: 'answer'; id: RequestId | null; code: number; message: string }
  | { kind: 'ignore'; reason: string };

/** A late stdout error after close has nowhere to go; this keeps it from crashing the process. */
const swallow = (): void => {};

class NdjsonStdioTransport implements StdioTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];

  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly lines: LineSplitter;
  private readonly abort = new AbortController();
  private writes: Promise<void> = Promise.resolve();
  private started = false;
  private isClosed = false;

  constructor(private readonly opts: StdioTransportOptions) {
    this.stdin = opts.stdin ?? process.stdin;
    this.stdout = opts.stdout ?? process.stdout;
    this.lines = new LineSplitter(opts.maxMessageBytes, (line) => this.onLine(line), (bytes, head, tail) => this.onOversize(bytes, head, tail));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get bufferedBytes(): number {
    return this.lines.buffered;
  }

  get peakBufferedBytes(): number {
    return this.lines.peak;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('stdio transport already started');
    this.started = true;
    this.stdout.off('error', swallow);
    this.stdout.on('error', this.onStdoutError);
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStdinError);
    this.stdin.on('end', this.onStdinEnd);
    this.stdin.on('close', this.onStdinEnd);
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onStdinEnd);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(serializeMessage(message));
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStdinError);
    this.stdin.off('end', this.onStdinEnd);
    this.stdin.off('close', this.onStdinEnd);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.stdout.off('error', this.onStdoutError);
    if (!this.stdout.listeners('error').includes(swallow)) this.stdout.on('error', swallow);
    this.abort.abort();
    this.lines.reset();
    this.resolveClosed();
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  private readonly onStdinEnd = (): void => {
    const leftover = this.lines.takeUnterminated();
    if (leftover > 0) this.reject('unterminated last line at end of input (not answered)', leftover);
    void this.close();
  };

  private readonly onStdinError = (error: Error): void => {
    this.report(error);
    void this.close();
  };

  private readonly onStdoutError = (error: Error): void => {
    this.report(error);
    void this.close();
  };

  /** Writes one line after every earlier one, waiting for `'drain'` when stdout's buffer is full. */
  private write(line: string): Promise<void> {
    const done = this.writes.then(async () => {
      if (this.isClosed) throw new Error('stdio transport is closed');
      if (!this.stdout.write(line)) await once(this.stdout, 'drain', { signal: this.abort.signal });
    });
    this.writes = done.catch(() => undefined);
    return done;
  }

  private onLine(raw: Buffer): void {
    if (this.isClosed) return;
    let line = raw;
    if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.answer(null, ProtocolErrorCode.ParseError, 'Parse error: the line is not valid JSON', raw.length);
      return;
    }
    const verdict = classify(value);
    if (verdict.kind === 'deliver') {
      try {
        this.onmessage?.(verdict.message);
      } catch (error) {
        this.report(error);
      }
    } else if (verdict.kind === 'answer') this.answer(verdict.id, verdict.code, verdict.message, raw.length);
    else this.reject(verdict.reason, raw.length);
  }

  /**
   * An over-limit line. JSON-RPC 2.0 has no "too large" code, and MCP defines none. -32600
   * Invalid Request is the standard code closest to "this request is not acceptable as sent",
   * and every client knows it; -32700 would claim the JSON is broken, which we never checked, and
   * the -32000..-32019 range (the SDK's HTTP transport sends -32000 with its 413) carries no
   * meaning across implementations, which matters on stdio where no HTTP status travels with it.
   */
  private onOversize(bytes: number, head: Buffer, tail: Buffer): void {
    if (this.isClosed) return;
    const max = this.opts.maxMessageBytes;
    const message = `Request too large: ${bytes} bytes exceeds the ${max}-byte limit (MCP_PROVIDERS_MAX_MESSAGE_BYTES)`;
    this.answer(recoverId(head, tail), ProtocolErrorCode.InvalidRequest, message, bytes);
  }

  private answer(id: RequestId | null, code: number, message: string, bytes: number): void {
    this.reject(message, bytes);
    // id null is what JSON-RPC 2.0 prescribes when the id cannot be read (MCP's schema would omit it).
    const response = { jsonrpc: '2.0', id, error: { code, message } };
    this.write(`${JSON.stringify(response)}\n`).catch((error: unknown) => this.report(error));
  }

  private reject(reason: string, bytes: number): void {
    try {
      this.opts.onRejected?.({ reason, bytes });
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    this.onerror?.(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Splits a byte stream on `\n`, holding at most `max` bytes of any one line. */
class LineSplitter {
  /** Bytes of the current line, while it is within the limit. */
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the current line so far, held or not. */
  private lineBytes = 0;
  /** Set once the current line passed the limit: its first and last bytes, the rest dropped. */
  private over: { head: Buffer; tail: Buffer } | undefined;
  peak = 0;

  constructor(
    private readonly max: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversize: (bytes: number, head: Buffer, tail: Buffer) => void,
  ) {}

  get buffered(): number {
    return this.held + (this.over ? this.over.head.length + this.over.tail.length : 0);
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.append(chunk.subarray(start, nl), false);
      this.endLine();
      start = nl + 1;
    }
    // A tail cut from a larger chunk is copied, so holding it does not hold the whole chunk.
    if (start < chunk.length) this.append(chunk.subarray(start), start > 0);
  }

  /** Forgets an unterminated last line, returning its length. */
  takeUnterminated(): number {
    const bytes = this.lineBytes;
    this.reset();
    return bytes;
  }

  reset(): void {
    this.parts = [];
    this.held = 0;
    this.lineBytes = 0;
    this.over = undefined;
  }

  private append(piece: Buffer, copy: boolean): void {
    this.lineBytes += piece.length;
    if (this.over) {
      this.over.tail = lastBytes([this.over.tail, piece]);
    } else if (this.held + piece.length > this.max) {
      const all = [...this.parts, piece];
      this.over = { head: firstBytes(all), tail: lastBytes(all) };
      this.parts = [];
      this.held = 0;
    } else if (piece.length > 0) {
      this.parts.push(copy ? Buffer.from(piece) : piece);
      this.held += piece.length;
    }
    this.peak = Math.max(this.peak, this.buffered);
  }

  private endLine(): void {
    const { over, lineBytes, parts, held } = this;
    this.reset();
    if (over) this.onOversize(lineBytes, over.head, over.tail);
    else this.onLine(parts.length === 1 ? parts[0] : Buffer.concat(parts, held));
  }
}

/** A copy of the first `ID_WINDOW_BYTES` of `parts` joined. */
function firstBytes(parts: Buffer[]): Buffer {
  const taken: Buffer[] = [];
  let n = 0;
  for (let i = 0; i < parts.length && n < ID_WINDOW_BYTES; i++) {
    const piece = parts[i].subarray(0, ID_WINDOW_BYTES - n);
    taken.push(piece);
    n += piece.length;
  }
  return Buffer.concat(taken, n);
}

/** A copy of the last `ID_WINDOW_BYTES` of `parts` joined. */
function lastBytes(parts: Buffer[]): Buffer {
  const taken: Buffer[] = [];
  let n = 0;
  for (let i = parts.length - 1; i >= 0 && n < ID_WINDOW_BYTES; i--) {
    const piece = parts[i].subarray(-(ID_WINDOW_BYTES - n));
    taken.unshift(piece);
    n += piece.length;
  }
  return Buffer.concat(taken, n);
}

const ID_TOKEN = String.raw`(-?\d{1,16}|"(?:[^"\\\r\n]|\\.){0,512}")`;
/** `id` among the first members, after nothing but plain-string `jsonrpc`/`method` (how Python's SDK orders them). */
const HEAD_ID = new RegExp(String.raw`^\s*\{\s*(?:"(?:jsonrpc|method)"\s*:\s*"[^"\\]*"\s*,\s*)*"id"\s*:\s*${ID_TOKEN}\s*[,}]`);
/** `id` as the last member, right before the closing brace (how the TypeScript SDK orders them). */
const TAIL_ID = new RegExp(String.raw`[{,]\s*"id"\s*:\s*${ID_TOKEN}\s*\}\s*$`);

/**
 * The `id` of a line too large to parse, read from its first and last bytes where that is
 * unambiguous: a top-level member right at the start or right at the end of the object. A deeper
 * `"id"` (inside params) cannot match either pattern; two readings that disagree give null.
 */
function recoverId(head: Buffer, tail: Buffer): RequestId | null {
  const fromHead = readId(HEAD_ID.exec(head.toString('utf8'))?.[1]);
  const fromTail = readId(TAIL_ID.exec(tail.toString('utf8'))?.[1]);
  if (fromHead !== null && fromTail !== null && fromHead !== fromTail) return null;
  return fromHead ?? fromTail;
}

function readId(token: string | undefined): RequestId | null {
  if (token === undefined) return null;
  try {
    const id: unknown = JSON.parse(token);
    return isRequestId(id) ? id : null;
  } catch {
    return null;
  }
}

/** MCP ids are strings or integers; the SDK's schema takes safe integers only. */
function isRequestId(id: unknown): id is RequestId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const REQUEST_MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params']);

/** What to do with one parsed line; see the table at the top of this file. */
function classify(value: unknown): Verdict {
  const invalid = (id: RequestId | null, message: string): Verdict => ({ kind: 'answer', id, code: ProtocolErrorCode.InvalidRequest, message: `Invalid Request: ${message}` });
  const invalidParams = (id: RequestId, message: string): Verdict => ({ kind: 'answer', id, code: ProtocolErrorCode.InvalidParams, message: `Invalid params: ${message}` });
  const parsed = (): JSONRPCMessage | undefined => {
    try {
      return parseJSONRPCMessage(value);
    } catch {
      return undefined;
    }
  };

  if (Array.isArray(value)) return invalid(null, 'JSON-RPC batches are not supported; send one message per line');
  if (!isObject(value)) return invalid(null, 'a JSON-RPC message must be a JSON object');
  const has = (key: string): boolean => Object.hasOwn(value, key);

  if (!has('method') && (has('result') || has('error'))) {
    const message = parsed();
    return message ? { kind: 'deliver', message } : { kind: 'ignore', reason: 'malformed JSON-RPC response (not answered)' };
  }
  if (!has('id')) {
    if (value.jsonrpc !== '2.0' || typeof value.method !== 'string') return invalid(null, 'a request needs "jsonrpc": "2.0", a string "method" and an "id"');
    const message = parsed();
    return message ? { kind: 'deliver', message } : { kind: 'ignore', reason: `malformed notification ${clip(value.method)} (not answered)` };
  }

  const { id } = value;
  if (id === null) return invalid(null, '"id" must not be null');
  if (!isRequestId(id)) return invalid(null, '"id" must be a string or an integer');
  if (value.jsonrpc !== '2.0') return invalid(id, '"jsonrpc" must be "2.0"');
  if (typeof value.method !== 'string') return invalid(id, '"method" must be a string');
  const extra = Object.keys(value).find((key) => !REQUEST_MEMBERS.has(key));
  if (extra !== undefined) return invalid(id, `unexpected member "${clip(extra)}"`);
  if (has('params') && !isObject(value.params)) return invalidParams(id, '"params" must be an object');
  const message = parsed();
  // The checks above mirror the SDK's request schema, so what it still rejects is inside params (its _meta).
  return message ? { kind: 'deliver', message } : invalidParams(id, '"params" do not match the MCP request schema (see "_meta")');
}

/** A name from the wire, short enough for an error message. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
