/**
 * The one logger: pino, always to stderr (fd 2) — stdout belongs to the protocol in stdio mode.
 * Known secret fields are redacted by path, and every secret value present in the
 * environment is scrubbed from messages by `redactSecrets`.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

const REDACT_PATHS = [
  'apiKey', '*.apiKey', 'token', '*.token', 'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization', 'env', '*.env',
];

export function createLogger(level: string = process.env.MCP_PROVIDERS_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: 'mcp-providers',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        // Scrub secret values that slip into free text (error messages from SDKs, URLs).
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log(obj) {
          return scrubObject(obj) as Record<string, unknown>;
        },
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** Env var names whose values are secrets. */
export function isSecretName(name: string): boolean {
  return /(KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS_JSON)$/i.test(name) || name === 'FAL_KEY' || name === 'HF_TOKEN';
}

/** The values of the secret variables (see {@link isSecretName}) long enough to scrub (six characters or more). */
export function secretValues(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return Object.entries(env)
    .filter(([k, v]) => isSecretName(k) && typeof v === 'string' && v.length >= 6)
    .map(([, v]) => v as string);
}

/** Replaces every secret value from the environment, bearer tokens and `key=` URL parameters in a string. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return scrubSecrets(text, secretValues(env));
}

/**
 * Replaces the given secret values (an adapter's own key and tokens — adapters never read
 * process.env), bearer tokens and `key=` URL parameters in a string.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/g, '$1[redacted]').replace(/([?&]key=)[^&\s"]+/g, '$1[redacted]');
}

function scrubObject(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map((v) => scrubObject(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubObject(v, depth + 1)]));
  }
  if (value instanceof Error) return { type: value.name, message: redactSecrets(value.message) };
  return value;
}
