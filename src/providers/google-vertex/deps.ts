/** What every Vertex service shares, and the split of `extra` into named options and body fields. */
import type { AdapterEnv, Capability, CallContext } from '../base.js';
import { invalidRequest } from '../errors.js';
import type { VertexClients } from './client.js';
import { toVertexError, type CallTrace } from './errors.js';
import { PROVIDER_ID, chooseModel, type ModelCatalog, type ModelChoice, type ModelRequest } from './models.js';

export interface VertexDeps {
  env: AdapterEnv;
  clients: VertexClients;
  catalog: ModelCatalog;
  /** Never to appear in a message or log (the API key). */
  secrets: readonly string[];
}

/** The model for one call, checked against config/providers.yaml before anything is paid for. */
export function pickModel(deps: VertexDeps, capability: Capability, requested: string | undefined, req: ModelRequest): ModelChoice {
  return chooseModel(deps.catalog, capability, requested, deps.env.info.defaultModels[capability], deps.clients.settings.location, req);
}

/**
 * `extra` holds a few named options (snake_case, listed per capability in the README) and,
 * for everything else, fields merged untouched into the REST request body — so any
 * parameter Vertex adds can be used before we name it.
 */
export function splitExtra<K extends string>(extra: Record<string, unknown>, names: readonly K[]): { named: Partial<Record<K, unknown>>; body: Record<string, unknown> } {
  const named: Partial<Record<K, unknown>> = {};
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    if ((names as readonly string[]).includes(key)) named[key as K] = value;
    else body[key] = value;
  }
  return { named, body };
}

/** Runs one Vertex request and maps whatever it throws. */
export async function vertexCall<T>(deps: VertexDeps, ctx: CallContext, trace: CallTrace | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toVertexError(err, { secrets: deps.secrets, trace, signal: ctx.signal });
  }
}

/** A request id from the response headers, when the endpoint sends one. */
export function headerRequestId(trace: CallTrace): string | undefined {
  return trace.headers?.get('x-request-id') ?? trace.headers?.get('x-goog-request-id') ?? undefined;
}

// ---------------------------------------------------------------------------
// Named `extra` values, checked before any paid call
// ---------------------------------------------------------------------------

const PERSON_GENERATION = ['dont_allow', 'allow_adult', 'allow_all'] as const;

export function personGeneration(value: unknown): (typeof PERSON_GENERATION)[number] | undefined {
  if (value === undefined) return undefined;
  const v = typeof value === 'string' ? value.toLowerCase() : '';
  if ((PERSON_GENERATION as readonly string[]).includes(v)) return v as (typeof PERSON_GENERATION)[number];
  throw invalidRequest(`extra.person_generation must be one of ${PERSON_GENERATION.join(', ')}.`, PROVIDER_ID);
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidRequest(`${name} must be true or false.`, PROVIDER_ID);
}

export function requiredString(value: unknown, name: string): string {
  if (typeof value === 'string' && value) return value;
  throw invalidRequest(`${name} must be a non-empty string.`, PROVIDER_ID);
}


/** `extra` merged into a REST body the way the SDK's extraBody is: objects deeply, anything else replaced. */
export function mergeBody(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeBody(current, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
