/**
 * One loopback HTTP server for everything: the Vertex model API, STS, the GCE metadata server,
 * Cloud Resource Manager and the GCS JSON API.
 *
 * Model routes (what @google/genai 3.x builds, ApiClient.constructUrl; API version 'v1beta1' by
 * default, 'v1' accepted too):
 * - project form: `/{v}/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}`
 *   — used whenever the client has project + location (auth: Bearer token this emulator issued, or
 *   the API key in `x-goog-api-key`).
 * - express form: `/{v}/publishers/google/models/{model}:{method}` — used with an API key and no
 *   project (auth: `x-goog-api-key` header or `?key=`).
 * Methods: generateContent, streamGenerateContent (one SSE event), predict (imagen*, lyria*),
 * predictLongRunning (veo*), fetchPredictOperation; plus `GET /{v}/{operation name}`.
 *
 * Faults (types.ts) queue in order; each request takes the first one whose route matches it —
 * `start` (predictLongRunning), `status` (fetchPredictOperation / GET operation), `download` (a GCS
 * media download) — and a fault without a route is taken by the next model call of any kind.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLoopback, readRequest } from '../http-kit.js';
import {
  CRM_PREFIX, METADATA_PREFIX, STS_PATH, authorizeModelCall, handleCrm, handleMetadata, handleSts, writeExternalAccountFile,
} from './auth.js';
import { handleGcs, isGcsPath } from './gcs.js';
import { generateContent, type ContentFaults } from './generate-content.js';
import { asObject, breakAnswer, grpcStatusFor, parseBody, resetConnection, retryInfo, sendBody, sendJson, sendRpcError, sleepUnlessClosed } from './http.js';
import { pollVeo, startVeo, type OperationFaults } from './operations.js';
import { predictImagen, predictLyria } from './predict.js';
import type { EmulatorState, FaultRoute, ModelCall, VertexEmulator, VertexEmulatorOptions, VertexFault, WireFault } from './types.js';

const MODEL_ROUTE =
  /^\/(v1|v1beta1)\/(?:projects\/([^/]+)\/locations\/([^/]+)\/)?publishers\/([^/]+)\/models\/([^/:]+):([A-Za-z]+)$/;
const OPERATION_ROUTE =
  /^\/(v1|v1beta1)\/(projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+)\/operations\/[^/:]+)$/;
const EXPRESS_LOCATION = 'us-central1';

export async function startVertexEmulator(opts: VertexEmulatorOptions = {}): Promise<VertexEmulator> {
  const state: EmulatorState = {
    project: opts.project ?? 'test-project',
    apiKey: opts.apiKey ?? 'test-api-key',
    operationPolls: opts.operationPolls ?? 3,
    baseUrl: '',
    requests: [],
    faults: [],
    sent: { images: [], videos: [], audio: [], pcm: [] },
    gcsObjects: new Map(),
    gcsGenerations: new Map(),
    issuedTokens: [],
    subjectTokens: new Map(),
    operations: new Map(),
    concurrency: { now: 0, max: 0 },
    seq: 0,
  };

  const server = createServer((req, res) => {
    void handle(state, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendRpcError(res, 500, { message: `emulator bug: ${String(err)}` });
      else res.destroy();
    });
  });
  state.baseUrl = await listenLoopback(server);

  return {
    baseUrl: state.baseUrl,
    tokenUrl: `${state.baseUrl}${STS_PATH}`,
    metadataHost: new URL(state.baseUrl).host,
    storageEndpoint: state.baseUrl,
    requests: state.requests,
    enqueueFault: (...faults) => void state.faults.push(...faults),
    pendingFaults: state.faults,
    sent: state.sent,
    gcsObjects: state.gcsObjects,
    externalAccountFile: (dir) => writeExternalAccountFile(state, dir),
    issuedTokens: state.issuedTokens,
    operations: state.operations,
    concurrency: state.concurrency,
    close: () => closeServer(server),
  };
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { raw, rec } = await readRequest(req, (raw) => parseBody(raw, req.headers['content-type']));
  const { path, query, body } = rec;
  state.requests.push(rec);

  if (path === STS_PATH) return handleSts(state, req, res, body);
  if (path === METADATA_PREFIX || path.startsWith(`${METADATA_PREFIX}/`)) return handleMetadata(state, req, res, path);
  if (path.startsWith(CRM_PREFIX)) return handleCrm(state, req, res, path);
  if (isGcsPath(path)) {
    // Only media downloads take faults (route 'download'); metadata and list calls never do.
    const fault = query.alt === 'media' ? takeFault(state, 'download') : undefined;
    if (fault && !(await applyFault(fault, res, 'gcs'))) return;
    return handleGcs(state, req, res, path, query);
  }

  const decoded = safeDecode(path);
  const model = MODEL_ROUTE.exec(decoded);
  if (model) {
    const [, version, project, location, publisher, modelId, method] = model;
    const expressMode = project === undefined;
    if (req.method !== 'POST') return sendRpcError(res, 404, { message: `Method ${req.method ?? ''} not allowed on ${path}.` });
    if (!authorizeModelCall(state, req, res, query, expressMode)) return;
    const call: ModelCall = {
      version: version!,
      project: project ?? state.project,
      location: location ?? EXPRESS_LOCATION,
      expressMode,
      model: modelId!,
      method: method!,
      body,
    };
    if (!expressMode && project !== state.project) {
      return sendRpcError(res, 404, { message: `Project \`${project ?? ''}\` not found or the caller has no access to it.` });
    }
    if (publisher !== 'google') {
      return sendRpcError(res, 404, { message: `Publisher Model \`${resourceOf(call).replace('/google/', `/${publisher ?? ''}/`)}\` not found.` });
    }
    if (raw.length > 0 && body === undefined) {
      return sendRpcError(res, 400, { message: 'Invalid JSON payload received.' });
    }
    countInFlight(state, res);
    return modelCall(state, call, res);
  }

  const op = OPERATION_ROUTE.exec(decoded);
  if (op && req.method === 'GET') {
    const [, version, name, project, location, modelId] = op;
    if (!authorizeModelCall(state, req, res, query, false)) return;
    const call: ModelCall = { version: version!, project: project!, location: location!, expressMode: false, model: modelId!, method: 'getOperation', body: { operationName: name } };
    countInFlight(state, res);
    return modelCall(state, call, res);
  }

  sendRpcError(res, 404, { message: `The requested URL ${path} was not found on this server.` });
}

/** Model calls being answered right now (until the answer is sent or the connection closes), and the peak. */
function countInFlight(state: EmulatorState, res: ServerResponse): void {
  state.concurrency.now++;
  state.concurrency.max = Math.max(state.concurrency.max, state.concurrency.now);
  let done = false;
  const end = () => {
    if (!done) state.concurrency.now--;
    done = true;
  };
  res.once('finish', end);
  res.once('close', end);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function resourceOf(call: ModelCall): string {
  return `projects/${call.project}/locations/${call.location}/publishers/google/models/${call.model}`;
}

/** The first queued fault for a request on this route (`undefined`: a model call no route names). */
function takeFault(state: EmulatorState, route: FaultRoute | undefined): VertexFault | undefined {
  const i = state.faults.findIndex((f) => (f.route === undefined ? route !== 'download' : f.route === route));
  return i < 0 ? undefined : state.faults.splice(i, 1)[0];
}

function routeOf(method: string): FaultRoute | undefined {
  if (method === 'predictLongRunning') return 'start';
  if (method === 'fetchPredictOperation' || method === 'getOperation') return 'status';
  return undefined;
}

function isWireFault(fault: VertexFault): fault is WireFault & { route?: FaultRoute } {
  return 'reset' in fault || 'stall' in fault || 'malformedJson' in fault || 'truncate' in fault;
}

/**
 * The faults every route shares. False when the request was answered (an error status, a reset) or
 * the client left during a delay; true when the route should go on and answer — broken, if a wire fault says so.
 */
async function applyFault(fault: VertexFault, res: ServerResponse, shape: 'rpc' | 'gcs'): Promise<boolean> {
  if ('status' in fault) {
    const headers: Record<string, string> = {};
    const details: unknown[] = [];
    if (fault.retryAfter !== undefined) {
      headers['retry-after'] = fault.retryAfter;
      const info = retryInfo(fault.retryAfter);
      if (info) details.push(info);
    }
    if (shape === 'gcs') {
      const message = fault.message ?? `Emulated error ${fault.status}`;
      sendJson(res, fault.status, { error: { code: fault.status, message, errors: [{ message, domain: 'global', reason: 'backendError' }] } }, headers);
      return false;
    }
    sendRpcError(res, fault.status, {
      status: fault.grpcStatus ?? grpcStatusFor(fault.status),
      ...(fault.message !== undefined ? { message: fault.message } : {}),
      details,
      headers,
    });
    return false;
  }
  if ('reset' in fault) {
    resetConnection(res);
    return false;
  }
  if (isWireFault(fault)) breakAnswer(res, fault);
  if ('delayMs' in fault && !(await sleepUnlessClosed(fault.delayMs, res))) return false;
  return true;
}

/** A model call after auth: apply the next fault for its route, then dispatch by method and model family. */
async function modelCall(state: EmulatorState, call: ModelCall, res: ServerResponse): Promise<void> {
  const known = ['generateContent', 'streamGenerateContent', 'predict', 'predictLongRunning', 'fetchPredictOperation', 'getOperation'];
  if (!known.includes(call.method)) {
    return sendRpcError(res, 404, { message: `Method ${call.method} is not supported by the emulator.` });
  }
  const fault = takeFault(state, routeOf(call.method));
  const content: ContentFaults = {};
  const opFaults: OperationFaults = {};
  let imagenFiltered: number | 'all' | undefined;
  if (fault) {
    if (!(await applyFault(fault, res, 'rpc'))) return;
    if ('promptBlocked' in fault) content.promptBlocked = fault.promptBlocked;
    if ('finishSafety' in fault) content.finishSafety = true;
    if ('imagenFiltered' in fault) imagenFiltered = opFaults.filtered = fault.imagenFiltered;
    if ('operationError' in fault) opFaults.operationError = fault.operationError;
    if ('neverFinish' in fault) opFaults.neverFinish = true;
  }

  const family = call.model.startsWith('imagen') ? 'imagen'
    : call.model.startsWith('lyria') ? 'lyria'
    : call.model.startsWith('veo') ? 'veo'
    : 'gemini';
  const wrongFamily = () =>
    sendRpcError(res, 400, {
      status: 'FAILED_PRECONDITION',
      message: `Model ${resourceOf(call)} does not support method ${call.method}.`,
    });

  switch (call.method) {
    case 'generateContent':
    case 'streamGenerateContent': {
      if (family !== 'gemini') return wrongFamily();
      const out = generateContent(state, call, content);
      if (out.kind === 'invalid') return sendRpcError(res, 400, { message: out.message });
      if (call.method === 'generateContent') return sendJson(res, 200, out.body);
      // ?alt=sse as ApiClient.requestStream sets it: `data: <json>\r\n\r\n` events.
      return sendBody(res, 200, Buffer.from(`data: ${JSON.stringify(out.body)}\r\n\r\n`), { 'content-type': 'text/event-stream' });
    }
    case 'predict': {
      if (family !== 'imagen' && family !== 'lyria') return wrongFamily();
      const out = family === 'imagen' ? predictImagen(state, call, imagenFiltered) : predictLyria(state, call);
      if (out.kind === 'invalid') return sendRpcError(res, 400, { status: out.status, message: out.message });
      return sendJson(res, 200, out.body);
    }
    case 'predictLongRunning': {
      if (family !== 'veo') return wrongFamily();
      const out = startVeo(state, call, opFaults);
      if (out.kind === 'ok') return sendJson(res, 200, out.body);
      return sendRpcError(res, out.kind === 'invalid' ? 400 : 404, { message: out.message });
    }
    case 'fetchPredictOperation':
    case 'getOperation': {
      const out = pollVeo(state, call, asObject(call.body).operationName, opFaults);
      if (out.kind === 'ok') return sendJson(res, 200, out.body);
      return sendRpcError(res, out.kind === 'invalid' ? 400 : 404, { message: out.message });
    }
  }
}
