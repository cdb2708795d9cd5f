/** Public contract of the Vertex emulator and the state its route modules share. */
import type { RecordedRequest } from '../http-kit.js';

export interface VertexEmulatorOptions {
  /** Project id the project-form routes accept (others answer 404 NOT_FOUND). Default 'test-project'. */
  project?: string;
  /** API key accepted in express mode (`x-goog-api-key` header or `?key=`). Default 'test-api-key'. */
  apiKey?: string;
  /**
   * fetchPredictOperation calls until a Veo operation reports done (the Nth call is done). Default 3.
   * `Infinity`: no operation ever finishes (a job stuck at `done: false`; see also the `neverFinish` fault).
   */
  operationPolls?: number;
}

/** A request as received; its body is parsed JSON, or the form fields of a form-encoded body (token endpoint). */
export type { RecordedRequest };

/**
 * Which request a fault waits for. A fault without a route is taken by the next model call of any
 * kind (never by a Cloud Storage download), as before routes existed.
 * - `start`: `:predictLongRunning` (a Veo start)
 * - `status`: `:fetchPredictOperation` and `GET /{v}/{operation name}` (a Veo poll)
 * - `download`: a Cloud Storage media download (`alt=media`), e.g. of a Veo video written to a bucket
 */
export type FaultRoute = 'start' | 'status' | 'download';

/**
 * How an answer goes wrong on the wire, as a real HTTP server (or the network between) misbehaves.
 * Except for `reset`, the emulator does the work first — a start creates its operation, a poll counts,
 * an object is read — and only the answer is broken, so the client cannot know what happened.
 */
export type WireFault =
  /** Connection reset: the request is read, then the socket destroyed without a byte of answer (no work done). */
  | { reset: true }
  /**
   * Stalled body: status line, headers (the full Content-Length) and the first half of the body, then
   * nothing until the client gives up — or `maxMs` (default 30 000) passes and the socket is destroyed.
   */
  | { stall: true; maxMs?: number }
  /**
   * Malformed JSON: 200 with the answer's JSON cut in half. Content-Length matches the bytes sent, so the
   * HTTP exchange completes cleanly; only the JSON parse fails. (On a download: the object's bytes cut in half.)
   */
  | { malformedJson: true }
  /** Truncated body: headers announce the full Content-Length N, N/2 bytes follow, then the socket closes. */
  | { truncate: true };

/** A fault on one request, taken from the queue in order (the first whose route matches the request). */
export type VertexFault = (
  /**
   * A google.rpc.Status error answer: `{"error":{"code","message","status","details"?}}` (on `download`,
   * the Cloud Storage JSON API error shape). `retryAfter` sets Retry-After and a RetryInfo detail.
   */
  | { status: number; grpcStatus?: string; message?: string; retryAfter?: string }
  /** generateContent: `promptFeedback.blockReason` (e.g. 'SAFETY'), no candidates. */
  | { promptBlocked: string }
  /** generateContent: a candidate with finishReason 'SAFETY' and safetyRatings, no content. */
  | { finishSafety: true }
  /**
   * predict (Imagen): that many predictions replaced by `{ raiFilteredReason }`.
   * predictLongRunning / fetchPredictOperation (Veo): that many videos of that operation's result
   * filtered (`raiMediaFilteredCount` / `raiMediaFilteredReasons`).
   */
  | { imagenFiltered: number | 'all' }
  /** Wait before answering normally (the wait ends early if the client goes away). */
  | { delayMs: number }
  /**
   * Extension (Veo): the operation ends with `{done: true, error: {code, message}}` (a google.rpc.Status
   * inside the Operation) — when it finishes if consumed by predictLongRunning, at once if consumed by a poll.
   * A job that fails after running.
   */
  | { operationError: { code: number; message: string } }
  /**
   * Extension (Veo): the operation this start creates (or this poll reads) never finishes — every poll
   * answers `{done: false}` until the deadline of whoever waits for it.
   */
  | { neverFinish: true }
  | WireFault
) & {
  /** The request this fault waits for; none: the next model call (see FaultRoute). */
  route?: FaultRoute;
};

export interface SentMedia {
  images: Uint8Array[];
  videos: Uint8Array[];
  audio: Uint8Array[];
  pcm: Uint8Array[];
}

/** One Veo long-running operation as the emulator tracks it (extension, read-only for tests). */
export interface VeoOperation {
  name: string;
  model: string;
  /** fetchPredictOperation calls so far. */
  polls: number;
  done: boolean;
  /** `instances[0]` as received: prompt, image / lastFrame ({bytesBase64Encoded|gcsUri, mimeType}). */
  instance: Record<string, unknown>;
  parameters: Record<string, unknown>;
  /** The final Operation JSON once done. */
  result?: Record<string, unknown>;
}

export interface VertexEmulator {
  /** http://127.0.0.1:PORT — httpOptions.baseUrl / GOOGLE_VERTEX_BASE_URL. */
  baseUrl: string;
  /** STS token-exchange endpoint (token_url of the external_account file). */
  tokenUrl: string;
  /** '127.0.0.1:PORT' — value for GCE_METADATA_HOST. */
  metadataHost: string;
  /** 'http://127.0.0.1:PORT' — GCS JSON API endpoint (Storage apiEndpoint / STORAGE_EMULATOR_HOST). */
  storageEndpoint: string;
  requests: RecordedRequest[];
  enqueueFault(...faults: VertexFault[]): void;
  /** Faults not taken yet, in queue order (live view). */
  pendingFaults: readonly VertexFault[];
  sent: SentMedia;
  /** 'bucket/path/to/object' → bytes; tests may add objects, the GCS routes serve them. */
  gcsObjects: Map<string, Uint8Array>;
  externalAccountFile(dir: string): Promise<string>;
  issuedTokens: string[];
  /** Extension: Veo operations by name. */
  operations: Map<string, VeoOperation>;
  /** Extension: model calls being answered now, and the most at once so far (tests may reset `max`). */
  concurrency: { now: number; max: number };
  close(): Promise<void>;
}

/** What the route modules share. */
export interface EmulatorState {
  project: string;
  apiKey: string;
  operationPolls: number;
  /** Set once listening. */
  baseUrl: string;
  requests: RecordedRequest[];
  faults: VertexFault[];
  sent: SentMedia;
  gcsObjects: Map<string, Uint8Array>;
  /** Per-object generation numbers (GCS metadata), assigned on first sight. */
  gcsGenerations: Map<string, string>;
  issuedTokens: string[];
  /** Subject tokens written by externalAccountFile(), with the audience they were written for. */
  subjectTokens: Map<string, string>;
  operations: Map<string, VeoOperation>;
  concurrency: { now: number; max: number };
  /** Counter for ids (responseId, operation ids, output folders). */
  seq: number;
}

/** A routed model call, after authentication. */
export interface ModelCall {
  version: string;
  /** From the path in project form; the emulator's project in express form. */
  project: string;
  /** From the path in project form; 'us-central1' in express form. */
  location: string;
  expressMode: boolean;
  model: string;
  method: string;
  body: unknown;
}
