/** Public contract of the Hugging Face emulator (router + Hub mapping + result files on one loopback origin). */
import type { RecordedRequest as ReceivedRequest } from '../http-kit.js';

/** One entry of a model's `inferenceProviderMapping`, as the Hub sends it (array form). */
export interface MappingEntry {
  provider: string;
  providerId: string;
  task: string;
  status?: 'live' | 'staging';
}

export interface HfEmulatorOptions {
  /** Token the router and the Hub accept (`Authorization: Bearer …`). Default 'hf_emulated_token_0123456789'. */
  token?: string;
  /** Hub model id → its provider mapping; merged over DEFAULT_MAPPINGS (hub.ts). */
  mappings?: Record<string, MappingEntry[]>;
  /** fal status polls until a job reports COMPLETED (the Nth poll does). Default 2. Infinity: never. */
  falPolls?: number;
  /** Side of the square PNGs, in pixels (default 8). */
  imageSize?: number;
}

/** Which request a fault waits for. */
export type FaultRoute =
  | 'hub' // GET /api/models/{id}?expand[]=inferenceProviderMapping
  | 'chat' // POST …/v1/chat/completions (auto router, a provider, or hf-inference)
  | 'hf-inference' // POST /hf-inference/models/{model} (media tasks)
  | 'fal-submit' // POST /fal-ai/{fal id}?_subdomain=queue, and the direct (non-queue) fal call
  | 'fal-status' // GET /fal-ai/{app}/requests/{id}/status
  | 'fal-result' // GET /fal-ai/{app}/requests/{id}
  | 'fal-cancel' // PUT /fal-ai/{app}/requests/{id}/cancel
  | 'together' // POST /together/v1/images/generations
  | 'replicate' // POST /replicate/v1/models/{owner}/{name}/predictions
  | 'file'; // GET /files/{name}

export type HfFault = (
  /**
   * An error answer in the route's dialect: `{"error": message}` from the router and the Hub
   * (plus `estimated_time` when given: hf-inference's model-loading 503), `{"detail": message}`
   * from fal routes, unless `body` replaces it.
   */
  | { status: number; message?: string; body?: unknown; retryAfter?: string; estimatedTime?: number }
  /** Connection reset before any answer. */
  | { reset: true }
  /** 200 with the JSON cut in half. */
  | { malformed: true }
  /** Wait before answering normally (ends early if the client leaves). */
  | { delayMs: number }
) & {
  /** The request this fault waits for; none: the next request of any kind except hub and file. */
  route?: FaultRoute;
};

/** A request as received (method, path without the query, query, headers, parsed JSON body), and how it was served. */
export interface RecordedRequest extends ReceivedRequest {
  /** Route it was served as (undefined: no route matched, answered 404). */
  route?: FaultRoute;
  status?: number;
  /** JSON answered, when the answer was JSON. */
  response?: unknown;
}

/** A fal queue job as the emulator tracks it. */
export interface FalJobState {
  id: string;
  /** The fal endpoint id the job was submitted to (e.g. fal-ai/flux/schnell). */
  endpoint: string;
  /** The app id its request paths use (first two segments: fal-ai/flux). */
  app: string;
  task: string;
  input: Record<string, unknown>;
  polls: number;
  done: boolean;
  cancelled: boolean;
  /** The result JSON once done. */
  result?: Record<string, unknown>;
}

export interface SentMedia {
  images: Uint8Array[];
  videos: Uint8Array[];
  audio: Uint8Array[];
}

export interface HfEmulator {
  /** http://127.0.0.1:PORT — HUGGINGFACE_BASE_URL. */
  baseUrl: string;
  token: string;
  requests: RecordedRequest[];
  enqueueFault(...faults: HfFault[]): void;
  /** Every media file served, in order (as bytes inline, or behind /files/ URLs). */
  sent: SentMedia;
  /** Result files by name (served at /files/{name}). */
  files: Map<string, { data: Uint8Array; mimeType: string }>;
  falJobs: Map<string, FalJobState>;
  mappings: Map<string, MappingEntry[]>;
  close(): Promise<void>;
}
