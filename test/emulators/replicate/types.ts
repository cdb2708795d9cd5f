/** Shapes of the Replicate emulator: options, faults, recorded requests and its predictions. */
import type { RecordedRequest as ReceivedRequest } from '../http-kit.js';

export interface ReplicateEmulatorOptions {
  /** The API token requests must carry as `Authorization: Bearer <token>`. */
  token?: string;
  /** GETs that answer `processing` (with a growing "NN%|" log line) before a prediction ends (default 2). */
  processingPolls?: number;
}

/** Which requests a fault applies to; without one, the next API request of any kind (not a file download). */
export type FaultRoute = 'create' | 'get' | 'cancel' | 'file';

export type ReplicateFault =
  /** An error answer with an RFC 7807 body `{title, detail, status}` (and Retry-After when given). */
  | { route?: FaultRoute; status: number; retryAfter?: string; title?: string; detail?: string; invalidFields?: { type: string; field: string; description: string }[] }
  /** The connection is destroyed without an answer. */
  | { route?: FaultRoute; reset: true }
  /** A 200 whose JSON body is cut in half. */
  | { route?: FaultRoute; malformed: true }
  /** Waits, then answers normally (the wait ends if the client leaves). */
  | { route?: FaultRoute; delayMs: number }
  /** Taken by the next create: that prediction ends `failed` with this error text. */
  | { route?: 'create'; fail: string }
  /** Taken by the next create: that prediction stays `processing` for ever. */
  | { route?: 'create'; neverFinish: true }
  /** Taken by the next create: a sync-mode (`Prefer: wait`) create answers while still `processing`. */
  | { route?: 'create'; syncTimesOut: true };

/** A request as received (method, path without the query, headers, parsed JSON body; no query), and when. */
export interface RecordedRequest extends Omit<ReceivedRequest, 'query'> {
  /** Epoch ms the request arrived. */
  at: number;
}

export interface EmulatedPrediction {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  logs: string;
  output: unknown;
  error: string | null;
  created_at: string;
  started_at?: string;
  completed_at?: string;
  metrics: Record<string, number>;
  /** GETs answered so far. */
  polls: number;
  /** Cancel requests received. */
  cancels: number;
  fail?: string;
  neverFinish?: boolean;
}

export interface ServedFile {
  bytes: Uint8Array;
  contentType: string;
}

export interface ReplicateEmulator {
  /** What REPLICATE_BASE_URL is set to: `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  /** `http://127.0.0.1:<port>`: output files are served from here (`/files/<name>`). */
  origin: string;
  token: string;
  requests: RecordedRequest[];
  predictions: Map<string, EmulatedPrediction>;
  /** Output files by URL, as served. */
  files: Map<string, ServedFile>;
  enqueueFault(...faults: ReplicateFault[]): void;
  pendingFaults: ReplicateFault[];
  /** The creates received (POST …/predictions), in order. */
  creates(): RecordedRequest[];
  close(): Promise<void>;
}
