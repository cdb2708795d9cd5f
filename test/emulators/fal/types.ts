/** Public contract of the fal queue emulator. */
import type { RecordedRequest } from '../http-kit.js';

export interface FalEmulatorOptions {
  /** Key accepted in `Authorization: Key <key>`. Default `fal-test-id:fal-test-secret`. */
  apiKey?: string;
  /** Status polls a request spends IN_QUEUE (positions count down to 0). Default 1. */
  queuePolls?: number;
  /** Status polls it then spends IN_PROGRESS, one more log line each. Default 1. `Infinity`: never finishes. */
  progressPolls?: number;
}

/** A request as received: method, path (no query), query, headers, parsed JSON body. */
export type { RecordedRequest };

/** Which request a fault waits for; a fault without a route is taken by the next queue API call (never a file download). */
export type FalRoute = 'submit' | 'status' | 'result' | 'cancel' | 'file';

/** A failure fal reports for a request when it completes (the result answers with it). */
export interface JobError {
  status: number;
  /** `detail` as fal sends it: a string (request errors) or the Pydantic-style list (model errors). */
  detail: string | { loc: (string | number)[]; msg: string; type: string; [k: string]: unknown }[];
  errorType?: string;
}

export type FalFault = (
  /** An error answer `{"detail": ..., "error_type"?}`; `retryAfter` sets Retry-After, `errorType` also X-Fal-Error-Type. */
  | { status: number; detail?: string; errorType?: string; retryAfter?: string; retryable?: boolean }
  /** Connection reset: the request is read, then the socket destroyed. */
  | { reset: true }
  /** Wait, then answer normally (ends early if the client leaves). */
  | { delayMs: number }
  /** submit: accepted, but the request fails when it completes. */
  | { jobError: JobError }
  /** submit: accepted, with status/response/cancel URLs on another origin (a client must not follow them). */
  | { foreignUrls: true }
) & { route?: FalRoute };

export interface EmulatedRequest {
  id: string;
  endpoint: string;
  /** `[namespace/]owner/alias`: the only prefix status, result and cancel are answered on. */
  app: string;
  input: Record<string, unknown>;
  polls: number;
  cancelled: boolean;
  failure?: JobError;
  /** Set when it completes: the result body. */
  output?: Record<string, unknown>;
}

export interface ServedFile {
  url: string;
  bytes: Uint8Array;
  contentType: string;
}

export interface FalEmulator {
  /** The queue API base, e.g. http://127.0.0.1:43210 — what FAL_BASE_URL is set to. */
  baseUrl: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Queue requests by request id. */
  jobs: Map<string, EmulatedRequest>;
  /** Every output file, by URL, as served. */
  files: Map<string, ServedFile>;
  /** Output files in the order they were made. */
  made: ServedFile[];
  options: Required<FalEmulatorOptions>;
  enqueueFault(...faults: FalFault[]): void;
  pendingFaults: FalFault[];
  /** Resolves once a recorded request matches, or rejects after `ms`. */
  waitFor(match: (r: RecordedRequest) => boolean, ms?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}
