/** Public contract of the Vertex emulator and the state its route modules share. */
import type { IncomingHttpHeaders } from 'node:http';

export interface VertexEmulatorOptions {
  /** Project id the project-form routes accept (others answer 404 NOT_FOUND). Default 'test-project'. */
  project?: string;
  /** API key accepted in express mode (`x-goog-api-key` header or `?key=`). Default 'test-api-key'. */
  apiKey?: string;
  /** fetchPredictOperation calls until a Veo operation reports done (the Nth call is done). Default 3. */
  operationPolls?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, as received (not decoded). */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the form fields of a form-encoded body (token endpoint); undefined if none. */
  body: unknown;
}

export type VertexFault =
  /** A google.rpc.Status error answer: `{"error":{"code","message","status","details"?}}`. */
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
   */
  | { operationError: { code: number; message: string } };

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
  sent: SentMedia;
  /** 'bucket/path/to/object' → bytes; tests may add objects, the GCS routes serve them. */
  gcsObjects: Map<string, Uint8Array>;
  externalAccountFile(dir: string): Promise<string>;
  issuedTokens: string[];
  /** Extension: Veo operations by name. */
  operations: Map<string, VeoOperation>;
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
