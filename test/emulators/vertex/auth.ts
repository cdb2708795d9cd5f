/**
 * Credentials side of the emulator:
 * - STS token exchange (RFC 8693), as google-auth-library's StsCredentials.exchangeToken sends it
 *   for `external_account` credentials: POST form-encoded to the file's `token_url`.
 * - GCE metadata server, as gcp-metadata calls it when GCE_METADATA_HOST points here.
 * - Cloud Resource Manager `projects.get`, which BaseExternalAccountClient.getProjectId calls at the
 *   file's `cloud_resource_manager_url` + project number.
 * - The Bearer / API-key check of the model routes.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asObject, errorInfo, sendJson, sendRpcError } from './http.js';
import type { EmulatorState } from './types.js';

export const STS_PATH = '/v1/token';
export const CRM_PREFIX = '/cloudresourcemanager/v1/projects/';
export const PROJECT_NUMBER = '123456789012';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export function issueToken(state: EmulatorState, source: 'sts' | 'metadata'): string {
  const token = `ya29.emulator-${source}-${state.issuedTokens.length + 1}-${randomBytes(9).toString('base64url')}`;
  state.issuedTokens.push(token);
  return token;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1];
}

/** The API key from `x-goog-api-key` (what @google/genai's NodeAuth sends) or `?key=`. */
export function apiKeyOf(req: IncomingMessage, query: Record<string, string>): string | undefined {
  const header = req.headers['x-goog-api-key'];
  if (typeof header === 'string') return header;
  return query.key;
}

/**
 * Checks a model call. Project form: a Bearer token this emulator issued, or the API key (the SDK
 * sends `x-goog-api-key` on project paths when given apiKey + project). Express form: the API key.
 * Answers the error itself and returns false when the call may not go on.
 */
export function authorizeModelCall(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  query: Record<string, string>,
  expressMode: boolean,
): boolean {
  const key = apiKeyOf(req, query);
  const token = bearerToken(req);
  if (key !== undefined) {
    if (key === state.apiKey) return true;
    // What Google answers for an unknown key.
    sendRpcError(res, 400, {
      status: 'INVALID_ARGUMENT',
      message: 'API key not valid. Please pass a valid API key.',
      details: [errorInfo('API_KEY_INVALID', 'googleapis.com', { service: 'aiplatform.googleapis.com' })],
    });
    return false;
  }
  if (expressMode) {
    sendRpcError(res, 401, {
      status: 'UNAUTHENTICATED',
      message:
        'Request is missing required authentication credential. Expected an API key for express mode requests without a project.',
      details: [errorInfo('CREDENTIALS_MISSING', 'googleapis.com', { service: 'aiplatform.googleapis.com' })],
    });
    return false;
  }
  if (token === undefined) {
    sendRpcError(res, 401, {
      status: 'UNAUTHENTICATED',
      message:
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      details: [errorInfo('CREDENTIALS_MISSING', 'googleapis.com', { service: 'aiplatform.googleapis.com' })],
    });
    return false;
  }
  if (!state.issuedTokens.includes(token)) {
    sendRpcError(res, 401, {
      status: 'UNAUTHENTICATED',
      details: [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED', 'googleapis.com', { service: 'aiplatform.googleapis.com' })],
    });
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// STS
// ---------------------------------------------------------------------------

/** OAuth 2.0 error body (RFC 6749 §5.2), what STS answers and oauth2common parses. */
function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}

export function handleSts(state: EmulatorState, req: IncomingMessage, res: ServerResponse, body: unknown): void {
  if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'POST required');
  if (!req.headers['content-type']?.includes('application/x-www-form-urlencoded')) {
    return oauthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const form = asObject(body);
  if (form.grant_type !== TOKEN_EXCHANGE_GRANT) {
    return oauthError(res, 400, 'unsupported_grant_type', `Unsupported grant_type: ${String(form.grant_type)}`);
  }
  if (form.requested_token_type !== ACCESS_TOKEN_TYPE) {
    return oauthError(res, 400, 'invalid_request', 'requested_token_type must be an access token');
  }
  const subject = typeof form.subject_token === 'string' ? form.subject_token : '';
  const audience = state.subjectTokens.get(subject);
  if (audience === undefined) return oauthError(res, 400, 'invalid_grant', 'The subject token is not valid.');
  if (form.audience !== audience) return oauthError(res, 400, 'invalid_target', 'The target audience is invalid.');
  if (form.subject_token_type !== JWT_TOKEN_TYPE) {
    return oauthError(res, 400, 'invalid_request', `Unsupported subject_token_type: ${String(form.subject_token_type)}`);
  }
  const scopes = typeof form.scope === 'string' ? form.scope.split(' ') : [];
  if (!scopes.includes(CLOUD_PLATFORM_SCOPE)) {
    return oauthError(res, 400, 'invalid_scope', `scope must include ${CLOUD_PLATFORM_SCOPE}`);
  }
  sendJson(res, 200, {
    access_token: issueToken(state, 'sts'),
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: 3600,
  });
}

/** Writes a subject-token file and an external_account credentials file into `dir`. */
export async function writeExternalAccountFile(state: EmulatorState, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const n = state.subjectTokens.size + 1;
  const audience =
    `//iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/emulator-pool/providers/emulator-provider-${n}`;
  // An OIDC ID token in shape (header.payload.signature); STS only compares it here.
  const jwtPart = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const subjectToken = [
    jwtPart({ alg: 'RS256', typ: 'JWT' }),
    jwtPart({ iss: 'https://emulator.invalid', sub: `workload-${n}`, aud: audience, iat: Math.floor(Date.now() / 1000) }),
    randomBytes(32).toString('base64url'),
  ].join('.');
  state.subjectTokens.set(subjectToken, audience);
  const tokenFile = join(dir, `vertex-emulator-subject-token-${n}.txt`);
  await writeFile(tokenFile, subjectToken, 'utf8');
  const credentials = {
    type: 'external_account',
    audience,
    subject_token_type: JWT_TOKEN_TYPE,
    token_url: `${state.baseUrl}${STS_PATH}`,
    credential_source: { file: tokenFile },
    // Followed by BaseExternalAccountClient.getProjectId (project number from the audience).
    cloud_resource_manager_url: `${state.baseUrl}${CRM_PREFIX}`,
    universe_domain: 'googleapis.com',
  };
  const path = join(dir, `vertex-emulator-external-account-${n}.json`);
  await writeFile(path, JSON.stringify(credentials, null, 2), 'utf8');
  return path;
}

/** GET {cloud_resource_manager_url}{projectNumber} → the Project resource (v1). */
export function handleCrm(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): void {
  const token = bearerToken(req);
  if (token === undefined || !state.issuedTokens.includes(token)) return sendRpcError(res, 401);
  const id = decodeURIComponent(path.slice(CRM_PREFIX.length));
  if (id !== PROJECT_NUMBER && id !== state.project) {
    return sendRpcError(res, 403, { message: `The caller does not have permission on project ${id}` });
  }
  sendJson(res, 200, { projectNumber: PROJECT_NUMBER, projectId: state.project, lifecycleState: 'ACTIVE', name: state.project });
}

// ---------------------------------------------------------------------------
// GCE metadata server (gcp-metadata: BASE_PATH '/computeMetadata/v1', header Metadata-Flavor: Google;
// it rejects answers that lack the same header)
// ---------------------------------------------------------------------------

export const METADATA_PREFIX = '/computeMetadata/v1';
const SERVICE_ACCOUNT = (project: string) => `emulator@${project}.iam.gserviceaccount.com`;

export function handleMetadata(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const text = (status: number, body: string, type = 'application/text') => {
    res.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };
  if (req.headers['metadata-flavor'] !== 'Google') {
    return text(403, 'Missing Metadata-Flavor:Google header.', 'text/html; charset=UTF-8');
  }
  const key = path.slice(METADATA_PREFIX.length).replace(/^\/+/, '').replace(/\/+$/, '');
  const account = /^instance\/service-accounts\/(default|[^/]+@[^/]+)(?:\/(.*))?$/.exec(key);
  if (account && account[1] !== 'default' && account[1] !== SERVICE_ACCOUNT(state.project)) {
    return text(404, 'Not Found', 'text/html; charset=UTF-8');
  }
  switch (account ? `sa/${account[2] ?? ''}` : key) {
    case 'instance':
      // isAvailable() pings this key; a real server lists the directory.
      return text(200, 'attributes/\nhostname\nid\nservice-accounts/\nzone\n');
    case 'project/project-id':
      return text(200, state.project);
    case 'project/numeric-project-id':
      return text(200, PROJECT_NUMBER);
    case 'universe/universe-domain':
      return text(200, 'googleapis.com');
    case 'sa/':
      return text(200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
    case 'sa/email':
      return text(200, SERVICE_ACCOUNT(state.project));
    case 'sa/scopes':
      return text(200, `${CLOUD_PLATFORM_SCOPE}\n`);
    case 'sa/token':
      // computeclient.refreshTokenNoCache: GET .../service-accounts/default/token?scopes=a,b
      return text(200, JSON.stringify({ access_token: issueToken(state, 'metadata'), expires_in: 3599, token_type: 'Bearer' }), 'application/json');
    default:
      return text(404, 'Not Found', 'text/html; charset=UTF-8');
  }
}
