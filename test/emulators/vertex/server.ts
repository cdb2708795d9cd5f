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
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CRM_PREFIX, METADATA_PREFIX, STS_PATH, authorizeModelCall, handleCrm, handleMetadata, handleSts, writeExternalAccountFile,
} from './auth.js';
import { handleGcs, isGcsPath } from './gcs.js';
import { generateContent, type ContentFaults } from './generate-content.js';
import { asObject, grpcStatusFor, parseBody, readBody, retryInfo, sendJson, sendRpcError, sleepUnlessClosed } from './http.js';
import { pollVeo, startVeo, type OperationFaults } from './operations.js';
import { predictImagen, predictLyria } from './predict.js';
import type { EmulatorState, ModelCall, RecordedRequest, VertexEmulator, VertexEmulatorOptions, VertexFault } from './types.js';

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
    seq: 0,
  };

  const server = createServer((req, res) => {
    void handle(state, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendRpcError(res, 500, { message: `emulator bug: ${String(err)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl: state.baseUrl,
    tokenUrl: `${state.baseUrl}${STS_PATH}`,
    metadataHost: `127.0.0.1:${port}`,
    storageEndpoint: state.baseUrl,
    requests: state.requests,
    enqueueFault: (...faults) => void state.faults.push(...faults),
    sent: state.sent,
    gcsObjects: state.gcsObjects,
    externalAccountFile: (dir) => writeExternalAccountFile(state, dir),
    issuedTokens: state.issuedTokens,
    operations: state.operations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // keep-alive sockets would hold close() open
      }),
  };
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname;
  const query = Object.fromEntries(url.searchParams);
  const body = parseBody(raw, req.headers['content-type']);
  const rec: RecordedRequest = { method: req.method ?? '', path, query, headers: req.headers, body };
  state.requests.push(rec);

  if (path === STS_PATH) return handleSts(state, req, res, body);
  if (path === METADATA_PREFIX || path.startsWith(`${METADATA_PREFIX}/`)) return handleMetadata(state, req, res, path);
  if (path.startsWith(CRM_PREFIX)) return handleCrm(state, req, res, path);
  if (isGcsPath(path)) return handleGcs(state, req, res, path, query);

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
    return modelCall(state, call, res);
  }

  const op = OPERATION_ROUTE.exec(decoded);
  if (op && req.method === 'GET') {
    const [, version, name, project, location, modelId] = op;
    if (!authorizeModelCall(state, req, res, query, false)) return;
    const call: ModelCall = { version: version!, project: project!, location: location!, expressMode: false, model: modelId!, method: 'getOperation', body: { operationName: name } };
    return modelCall(state, call, res);
  }

  sendRpcError(res, 404, { message: `The requested URL ${path} was not found on this server.` });
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

/** A model call after auth: apply the next fault, then dispatch by method and model family. */
async function modelCall(state: EmulatorState, call: ModelCall, res: ServerResponse): Promise<void> {
  const known = ['generateContent', 'streamGenerateContent', 'predict', 'predictLongRunning', 'fetchPredictOperation', 'getOperation'];
  if (!known.includes(call.method)) {
    return sendRpcError(res, 404, { message: `Method ${call.method} is not supported by the emulator.` });
  }
  const fault: VertexFault | undefined = state.faults.shift();
  const content: ContentFaults = {};
  const opFaults: OperationFaults = {};
  let imagenFiltered: number | 'all' | undefined;
  if (fault) {
    if ('status' in fault) {
      const headers: Record<string, string> = {};
      const details: unknown[] = [];
      if (fault.retryAfter !== undefined) {
        headers['retry-after'] = fault.retryAfter;
        const info = retryInfo(fault.retryAfter);
        if (info) details.push(info);
      }
      return sendRpcError(res, fault.status, {
        status: fault.grpcStatus ?? grpcStatusFor(fault.status),
        ...(fault.message !== undefined ? { message: fault.message } : {}),
        details,
        headers,
      });
    }
    if ('delayMs' in fault && !(await sleepUnlessClosed(fault.delayMs, res))) return;
    if ('promptBlocked' in fault) content.promptBlocked = fault.promptBlocked;
    if ('finishSafety' in fault) content.finishSafety = true;
    if ('imagenFiltered' in fault) imagenFiltered = opFaults.filtered = fault.imagenFiltered;
    if ('operationError' in fault) opFaults.operationError = fault.operationError;
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
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(out.body)}\r\n\r\n`);
      return;
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
