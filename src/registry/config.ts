/**
 * The one config loader: config/providers.yaml for provider metadata, the environment
 * for everything else. Read once at start-up; nothing below reads process.env.
 *
 * config/providers.yaml is the source of truth. The build (scripts/build.mjs) validates it with
 * the schema below and writes dist/providers.json, which the server reads instead, so a built
 * server never loads a YAML parser (importing and running `yaml` was ≈30 ms of every start-up).
 * Without that file, or when the YAML has changed since it was written, the YAML is parsed.
 *
 * MCP_PROVIDERS_CONFIG may name the user's own YAML file, laid over the packaged document
 * (objects merge key by key; arrays and scalars replace) and validated with the same schema.
 * Precedence, lowest first: packaged config, the user's file, per-provider env vars.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_BYTES, parseByteSize } from '../artifacts/retention.js';
import { CAPABILITIES, type Capability, type ProviderInfo } from '../providers/base.js';
import { ALLOW_HOSTS_ENV, parseAllowHosts } from '../util/guarded-fetch.js';
import { PricesSchema, type PriceBook } from './prices.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface DefaultChoice {
  provider: string;
  model?: string;
}

export interface RetryPolicy {
  /** Attempts per provider, including the first. */
  maxAttempts: number;
  /** First backoff; doubles each retry, with full jitter. */
  baseDelayMs: number;
  /** Cap on any single wait, including a provider's Retry-After. */
  maxDelayMs: number;
  /** Consecutive retryable failures after which a provider cools down. */
  cooldownAfterFailures: number;
  cooldownMs: number;
  /** First poll of a long-running job (overrides the adapter's suggestion when set); polls grow to at most 10 s apart. */
  pollIntervalMs?: number;
  /** Requests in flight per provider at most (MCP_PROVIDERS_CONCURRENCY); more wait in a queue. */
  defaultConcurrency?: number;
  /** Per-provider overrides (`<PROVIDER>_CONCURRENCY`). */
  concurrency?: Record<string, number>;
}

export interface ServerConfig {
  providers: ProviderInfo[];
  /** PROVIDER_DEFAULTS_JSON: preferred provider (and model) per capability. */
  defaults: Partial<Record<Capability, DefaultChoice>>;
  artifactDir: string;
  /** Inline image/audio content blocks only for artifacts at most this big. */
  inlineMaxBytes: number;
  /** MCP_PROVIDERS_INLINE: `preview` (default; a small JPEG/WebP of each image, ≤ 512 px, no audio or video), `none`, or `full` (images and audio as they are, up to inlineMaxBytes). */
  inline: 'preview' | 'none' | 'full';
  maxPromptChars: number;
  /** Overall deadline for one job (a tool call and whatever runs on after it returned a handle). */
  callTimeoutMs: number;
  /** How long a generation tool call waits for its job before answering with a handle (MCP_PROVIDERS_WAIT_SECONDS). */
  waitSeconds: number;
  /** MCP_PROVIDERS_OUTPUT_DIRS: folders `save_to` may write into besides the client's roots (absolute, `path.delimiter`-separated). */
  outputDirs: string[];
  /** The job store (SQLite) beside the artifact folder, shared by every process on this data directory. */
  jobDbPath: string;
  /** A job's lease: the process polling it renews it at a third of this; when it dies another takes over after it. */
  jobLeaseMs: number;
  /** Artifact leftovers (temp files, media without a sidecar, bad sidecars) are swept once older than this (MCP_PROVIDERS_SWEEP_AGE_MS). */
  sweepAgeMs?: number;
  /** MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS (default 30): artifacts older than this many days are deleted. Undefined: no age limit (`off` or 0). */
  artifactMaxAgeDays?: number;
  /** MCP_PROVIDERS_ARTIFACT_MAX_BYTES (default 10 GiB): past this total the oldest artifacts are deleted. Undefined: no size limit (`off` or 0). */
  artifactMaxBytes?: number;
  /**
   * MCP_PROVIDERS_FETCH_ALLOW_HOSTS (comma-separated host names, `*.suffix` names, IP addresses or
   * CIDRs): hosts whose private, loopback or link-local addresses a URL download may reach. https is
   * still required; plain http goes only to a configured `<PROVIDER>_BASE_URL` origin. Empty
   * (the default): every URL we did not build must resolve to public addresses only.
   */
  fetchAllowHosts: string[];
  /** MCP_PROVIDERS_MAX_DOWNLOAD_BYTES: largest generated file downloaded from a URL into the store (default 2 GiB). */
  maxDownloadBytes: number;
  /** MCP_PROVIDERS_DOWNLOAD_TIMEOUT_MS: time limit for one such download, body included (default 15 minutes). */
  downloadTimeoutMs: number;
  retry: RetryPolicy;
  logLevel: string;
  authToken?: string;
  /** HTTP: close a session unused this long. */
  sessionIdleMs: number;
  /** HTTP: live 2025-11-25 sessions at most; a new `initialize` past it gets 503. */
  maxSessions: number;
  /** HTTP: on SIGTERM, how long in-flight calls may take to finish before they are answered with an error. */
  drainMs: number;
  /**
   * Largest JSON-RPC message accepted, in bytes, on stdio and HTTP alike. Sized for the largest
   * request our own limits allow: a prompt and a system prompt at MCP_PROVIDERS_MAX_PROMPT_CHARS
   * each (up to 4 bytes a character in UTF-8, 6 when JSON-escaped) plus inline attachments.
   */
  maxMessageBytes: number;
  /** The provider configuration files read, in order: the packaged one (dist/providers.json or config/providers.yaml), then MCP_PROVIDERS_CONFIG if set. */
  configFiles: string[];
  /** Per provider, the prices of its models (`prices:` in providers.yaml), and whether it is free (local). */
  prices: PriceBook;
  /** MCP_PROVIDERS_MAX_COST_USD: the cap per call when the call gives no max_cost_usd; unset, no cap. */
  maxCostUsd?: number;
  /** MCP_PROVIDERS_DAILY_BUDGET_USD: new paid calls are refused once today's spend (UTC) would pass it. */
  dailyBudgetUsd?: number;
  /** The raw environment, handed to adapters (which never read process.env themselves). */
  env: Env;
}

const CapabilitySchema = z.enum(CAPABILITIES as [Capability, ...Capability[]]);
/** An env var name, or a probe name such as `adc:gcloud`. */
const RequirementSchema = z.array(z.string().regex(/^([A-Z][A-Z0-9_]*|[a-z]+:[a-z-]+)$/)).min(1);
const KeysSchema = z.array(RequirementSchema);

const ProviderYamlSchema = z.object({
  display_name: z.string(),
  priority: z.number().int(),
  enabled_by_default: z.boolean(),
  notes: z.string().optional(),
  capabilities: z.array(CapabilitySchema).min(1),
  /** One way to authenticate: every entry must be met. */
  credentials: KeysSchema.optional(),
  /** Several ways to authenticate, any one of which is enough. */
  credential_modes: z.array(z.object({ name: z.string(), requires: KeysSchema })).optional(),
  capability_credentials: z.partialRecord(CapabilitySchema, KeysSchema).optional(),
  default_models: z.partialRecord(CapabilitySchema, z.string()),
  models: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** Prices per model id (registry/prices.ts): each with its source page and the day it was read. */
  prices: PricesSchema.optional(),
  /** Everything this provider does runs on this machine and costs nothing (local). */
  free: z.boolean().optional(),
});
const ProvidersYamlSchema = z.object({ providers: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), ProviderYamlSchema) });

/** config/providers.yaml, validated. */
export type ProvidersDocument = z.infer<typeof ProvidersYamlSchema>;

/**
 * 48 MiB, on stdio and HTTP alike. The largest request our own limits allow is a prompt and a
 * system prompt of 1,000,000 characters each, at worst 6 bytes a character once JSON-escaped
 * (about 12 MB), plus up to 16 inline base64 attachments: 48 MiB leaves over 2 MiB of base64
 * (about 1.6 MB of file) for each. Larger media should travel by URI anyway.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 48 * 1024 * 1024;

// Both are resolved from the package root, two folders up. That holds for this file in src/registry/
// (tests), for tsc's dist/registry/ and for the bundle's chunks in dist/bundle/ (what `bin` runs).
export const PROVIDERS_YAML = new URL('../../config/providers.yaml', import.meta.url);
/** Generated by the build from PROVIDERS_YAML; never edit it. */
export const PROVIDERS_JSON = new URL('../../dist/providers.json', import.meta.url);

/** Parses and validates providers.yaml text. */
export function parseProvidersYaml(text: string): ProvidersDocument {
  // Loaded here, on demand and synchronously, so that a server reading the JSON never loads it.
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return ProvidersYamlSchema.parse(parse(text));
}

/**
 * The contents of PROVIDERS_JSON for this providers.yaml text (the build writes it): the validated
 * document, and the SHA-256 of the text it came from. The hash, not file times, tells whether the
 * YAML changed since (npm and git set file times as they please).
 */
export function providersJson(yamlText: string): string {
  const document = parseProvidersYaml(yamlText);
  const json = `${JSON.stringify({ yamlSha256: sha256(yamlText), document }, null, 1)}\n`;
  if (!isDeepStrictEqual(JSON.parse(json).document, document)) throw new Error('holds a value JSON cannot represent (such as .inf)');
  return json;
}

/**
 * The provider document: the build's JSON copy when it was made from this very providers.yaml,
 * else the YAML itself (no build yet, or edited since). Either way it goes through the same schema.
 */
export function readProvidersDocument(yamlFile: URL | string = PROVIDERS_YAML, jsonFile: URL | string = PROVIDERS_JSON): ProvidersDocument {
  return readPackagedDocument(yamlFile, jsonFile).document;
}

/** readProvidersDocument, and the path of the file it came from (the JSON copy or the YAML). */
function readPackagedDocument(yamlFile: URL | string, jsonFile: URL | string): { document: ProvidersDocument; file: string } {
  const path = (f: URL | string) => (typeof f === 'string' ? f : fileURLToPath(f));
  const yamlText = readFileSync(yamlFile, 'utf8');
  let built: { yamlSha256?: unknown; document?: unknown } | undefined;
  try {
    built = JSON.parse(readFileSync(jsonFile, 'utf8')) as typeof built;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (built?.yamlSha256 === sha256(yamlText)) return { document: ProvidersYamlSchema.parse(built.document), file: path(jsonFile) };
  return { document: parseProvidersYaml(yamlText), file: path(yamlFile) };
}

export const USER_CONFIG_ENV = 'MCP_PROVIDERS_CONFIG';
/** The cap per call when a call gives no max_cost_usd, USD. */
export const MAX_COST_ENV = 'MCP_PROVIDERS_MAX_COST_USD';
/** New paid calls are refused once today's spend (UTC) would pass it, USD. */
export const DAILY_BUDGET_ENV = 'MCP_PROVIDERS_DAILY_BUDGET_USD';

/**
 * The provider document in effect: the packaged one, with the user's MCP_PROVIDERS_CONFIG file
 * (when set) laid over it, and the files read. Errors name the file and the key path.
 */
export function readConfiguredDocument(
  env: Env,
  yamlFile: URL | string = PROVIDERS_YAML,
  jsonFile: URL | string = PROVIDERS_JSON,
): { document: ProvidersDocument; files: string[] } {
  const packaged = readPackagedDocument(yamlFile, jsonFile);
  const setting = env[USER_CONFIG_ENV];
  if (!setting) return { document: packaged.document, files: [packaged.file] };
  const file = resolve(setting);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`${USER_CONFIG_ENV} names ${file}, which does not exist`);
    throw new Error(`${USER_CONFIG_ENV} names ${file}, which cannot be read: ${e.message}`);
  }
  return { document: overlayUserConfig(packaged.document, text, file), files: [packaged.file, file] };
}

/**
 * Lays the user's YAML text over the packaged document and validates the result. The user may
 * write only the keys they change; every provider id must be a packaged one (a provider without
 * an adapter could never be used, and a misspelt id would otherwise add an entry instead of
 * changing one), and every key must be one the schema knows (it would otherwise be dropped unseen).
 */
export function overlayUserConfig(packaged: ProvidersDocument, text: string, file: string): ProvidersDocument {
  const fail = (path: string, message: string): never => {
    throw new Error(`${file}: ${path ? `${path}: ` : ''}${message}`);
  };
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  let user: unknown;
  try {
    user = parse(text);
  } catch (err) {
    fail('', `not valid YAML: ${(err as Error).message}`);
  }
  if (user === null || user === undefined) return packaged; // an empty file changes nothing
  if (!isPlainObject(user)) return fail('', 'expected a mapping with a `providers:` key');
  for (const key of Object.keys(user)) if (key !== 'providers') fail(key, 'unknown key; expected `providers`');
  const providers = user.providers;
  if (providers === undefined || providers === null) return packaged;
  if (!isPlainObject(providers)) return fail('providers', 'expected a mapping of provider ids');
  const knownIds = Object.keys(packaged.providers);
  const knownKeys = Object.keys(ProviderYamlSchema.shape);
  for (const [id, entry] of Object.entries(providers)) {
    if (!Object.hasOwn(packaged.providers, id)) fail(`providers.${id}`, `unknown provider; known: ${knownIds.join(', ')}`);
    if (!isPlainObject(entry)) fail(`providers.${id}`, 'expected a mapping of provider settings');
    for (const key of Object.keys(entry as object)) {
      if (!knownKeys.includes(key)) fail(`providers.${id}.${key}`, `unknown key; expected one of ${knownKeys.join(', ')}`);
    }
  }
  const result = ProvidersYamlSchema.safeParse(deepMerge(packaged, user));
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `${file}: ${i.path.map(String).join('.') || '(root)'}: ${i.message.replace(/^Invalid input: /, '')}`).join('\n'));
  }
  return result.data;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays, scalars and null replace. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = Object.hasOwn(base, k) ? deepMerge(base[k], v) : v;
  return out;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `google-vertex` → `GOOGLE_VERTEX`. */
export function envPrefix(id: string): string {
  return id.toUpperCase().replace(/-/g, '_');
}

export function loadProviderInfos(env: Env, document: ProvidersDocument = readConfiguredDocument(env).document): ProviderInfo[] {
  return Object.entries(document.providers)
    .map(([id, p]): ProviderInfo => {
      const prefix = envPrefix(id);
      const baseUrlEnv = `${prefix}_BASE_URL`;
      return {
        id,
        displayName: p.display_name,
        capabilities: p.capabilities,
        defaultModels: { ...p.default_models, ...modelOverrides(prefix, env) },
        credentialModes: p.credential_modes ?? (p.credentials?.length ? [{ name: 'api key', requires: p.credentials }] : []),
        capabilityKeys: p.capability_credentials ?? {},
        priority: intFromEnv(env, `${prefix}_PRIORITY`, p.priority),
        featureFlag: `ENABLE_PROVIDER_${prefix}`,
        enabledByDefault: p.enabled_by_default,
        baseUrlEnv,
        baseUrl: env[baseUrlEnv] || undefined,
        notes: p.notes,
        models: p.models ?? {},
      };
    })
    .sort((a, b) => a.priority - b.priority);
}

/** `<PROVIDER>_<CAPABILITY>_MODEL`, e.g. OPENROUTER_TEXT_MODEL, overrides a default model. */
function modelOverrides(prefix: string, env: Env): Partial<Record<Capability, string>> {
  const out: Partial<Record<Capability, string>> = {};
  for (const cap of CAPABILITIES) {
    const v = env[`${prefix}_${cap.toUpperCase()}_MODEL`];
    if (v) out[cap] = v;
  }
  return out;
}

const DefaultsSchema = z.partialRecord(
  CapabilitySchema,
  z.union([z.string().min(1).transform((provider) => ({ provider })), z.object({ provider: z.string().min(1), model: z.string().min(1).optional() })]),
);

export function parseDefaults(json: string | undefined): Partial<Record<Capability, DefaultChoice>> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('PROVIDER_DEFAULTS_JSON is not valid JSON; expected e.g. {"image":"fal"} or {"text":{"provider":"openrouter","model":"openai/gpt-4o"}}');
  }
  const result = DefaultsSchema.safeParse(value);
  if (!result.success) {
    throw new Error(`PROVIDER_DEFAULTS_JSON: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

/** Prices per provider, from the validated document. */
export function priceBook(document: ProvidersDocument): PriceBook {
  return Object.fromEntries(Object.entries(document.providers).map(([id, p]) => [id, { free: p.free ?? false, models: p.prices ?? {} }]));
}

/** An amount in US dollars, 0 or more; unset or empty: undefined. */
function usdFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be an amount in US dollars, 0 or more (e.g. 1.50), got "${raw}"`);
  return n;
}

function intFromEnv(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${raw}"`);
  return n;
}

/** Absolute folders only: a relative one would depend on where a client happened to launch the server. */
export function parseOutputDirs(raw: string | undefined): string[] {
  const dirs = (raw ?? '').split(delimiter).map((d) => d.trim()).filter(Boolean);
  for (const d of dirs) {
    if (!isAbsolute(d)) throw new Error(`MCP_PROVIDERS_OUTPUT_DIRS must list absolute folders (separated by "${delimiter}"), got "${d}"`);
  }
  return [...new Set(dirs.map((d) => resolve(d)))];
}

/**
 * A retention limit: unset or empty gives `fallback`; `off` or 0 turn the limit off (undefined),
 * since keeping nothing is never what someone means (the newest hour is kept regardless).
 */
function limitFromEnv(env: Env, name: string, fallback: number, parse: (raw: string) => number | undefined, expected: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (raw.toLowerCase() === 'off') return undefined;
  const n = parse(raw);
  if (n === undefined) throw new Error(`${name} must be ${expected}, got "${raw}"`);
  return n === 0 ? undefined : n;
}

export function defaultArtifactDir(env: Env): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'mcp-providers', 'artifacts');
}

export function loadConfig(env: Env = process.env): ServerConfig {
  const { document, files: configFiles } = readConfiguredDocument(env);
  const providers = loadProviderInfos(env, document);
  const defaults = parseDefaults(env.PROVIDER_DEFAULTS_JSON);
  const known = new Set(providers.map((p) => p.id));
  for (const [cap, choice] of Object.entries(defaults)) {
    if (!known.has(choice.provider)) {
      throw new Error(`PROVIDER_DEFAULTS_JSON names unknown provider "${choice.provider}" for ${cap}; known: ${[...known].join(', ')}`);
    }
  }
  const artifactDir = env.MCP_PROVIDERS_ARTIFACT_DIR || defaultArtifactDir(env);
  return {
    providers,
    defaults,
    artifactDir,
    inlineMaxBytes: intFromEnv(env, 'MCP_PROVIDERS_INLINE_MAX_BYTES', 64 * 1024),
    inline: ((v: string): ServerConfig['inline'] => { if (v === 'preview' || v === 'none' || v === 'full') return v; throw new Error(`MCP_PROVIDERS_INLINE must be preview, none or full, got "${v}"`); })(env.MCP_PROVIDERS_INLINE || 'preview'),
    maxPromptChars: intFromEnv(env, 'MCP_PROVIDERS_MAX_PROMPT_CHARS', 1_000_000, 1),
    callTimeoutMs: intFromEnv(env, 'MCP_PROVIDERS_CALL_TIMEOUT_MS', 10 * 60_000, 1),
    waitSeconds: intFromEnv(env, 'MCP_PROVIDERS_WAIT_SECONDS', 45),
    outputDirs: parseOutputDirs(env.MCP_PROVIDERS_OUTPUT_DIRS),
    jobDbPath: env.MCP_PROVIDERS_JOB_DB || join(dirname(artifactDir), 'jobs.sqlite'),
    jobLeaseMs: intFromEnv(env, 'MCP_PROVIDERS_JOB_LEASE_MS', 20_000, 300),
    sweepAgeMs: intFromEnv(env, 'MCP_PROVIDERS_SWEEP_AGE_MS', 60_000),
    artifactMaxAgeDays: limitFromEnv(env, 'MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS', DEFAULT_MAX_AGE_DAYS, (raw) => (/^\d+$/.test(raw) ? Number(raw) : undefined), 'a whole number of days, 0 or off'),
    artifactMaxBytes: limitFromEnv(env, 'MCP_PROVIDERS_ARTIFACT_MAX_BYTES', DEFAULT_MAX_BYTES, parseByteSize, 'a size in bytes (10737418240, 500MB, 10GiB), 0 or off'),
    fetchAllowHosts: parseAllowHosts(env[ALLOW_HOSTS_ENV]),
    maxDownloadBytes: intFromEnv(env, 'MCP_PROVIDERS_MAX_DOWNLOAD_BYTES', 2 * 1024 ** 3, 1),
    downloadTimeoutMs: intFromEnv(env, 'MCP_PROVIDERS_DOWNLOAD_TIMEOUT_MS', 15 * 60_000, 1),
    retry: {
      maxAttempts: intFromEnv(env, 'MCP_PROVIDERS_MAX_ATTEMPTS', 3, 1),
      baseDelayMs: intFromEnv(env, 'MCP_PROVIDERS_RETRY_BASE_MS', 500),
      maxDelayMs: intFromEnv(env, 'MCP_PROVIDERS_RETRY_MAX_MS', 20_000),
      cooldownAfterFailures: intFromEnv(env, 'MCP_PROVIDERS_COOLDOWN_AFTER', 3, 1),
      cooldownMs: intFromEnv(env, 'MCP_PROVIDERS_COOLDOWN_MS', 60_000),
      pollIntervalMs: env.MCP_PROVIDERS_POLL_MS ? intFromEnv(env, 'MCP_PROVIDERS_POLL_MS', 2000, 1) : undefined,
      defaultConcurrency: intFromEnv(env, 'MCP_PROVIDERS_CONCURRENCY', 16, 1),
      concurrency: Object.fromEntries(
        providers.filter((p) => env[`${envPrefix(p.id)}_CONCURRENCY`]).map((p) => [p.id, intFromEnv(env, `${envPrefix(p.id)}_CONCURRENCY`, 16, 1)]),
      ),
    },
    logLevel: env.MCP_PROVIDERS_LOG_LEVEL || 'info',
    authToken: env.MCP_PROVIDERS_AUTH_TOKEN || undefined,
    sessionIdleMs: intFromEnv(env, 'MCP_PROVIDERS_SESSION_IDLE_MS', 30 * 60_000, 1),
    maxSessions: intFromEnv(env, 'MCP_PROVIDERS_MAX_SESSIONS', 1000, 1),
    drainMs: intFromEnv(env, 'MCP_PROVIDERS_DRAIN_MS', 10_000),
    maxMessageBytes: intFromEnv(env, 'MCP_PROVIDERS_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1024),
    configFiles,
    prices: priceBook(document),
    maxCostUsd: usdFromEnv(env, MAX_COST_ENV),
    dailyBudgetUsd: usdFromEnv(env, DAILY_BUDGET_ENV),
    env,
  };
}
