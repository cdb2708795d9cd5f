/**
 * Zod schemas shared by the tools: the input fields every generation tool takes and
 * the output shape every one returns. Every field carries a description, because the
 * description is all an agent sees.
 */
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

type StandardJSONSchemaOptions = Parameters<StandardSchemaWithJSON['~standard']['jsonSchema']['input']>[0];
import { ASPECT_RATIOS, type AspectRatio, type MediaAttachment } from '../providers/base.js';

export interface SchemaLimits {
  maxPromptChars: number;
  providerIds: string[];
  /** Default of wait_seconds. */
  waitSeconds: number;
  /** MCP_PROVIDERS_MAX_COST_USD, the default of max_cost_usd (undefined: no cap). */
  maxCostUsd?: number;
}

/** A non-empty, size-limited text field. */
export function promptField(limits: SchemaLimits, what: string) {
  return z
    .string()
    .min(1, `must not be empty; give the ${what}`)
    .max(limits.maxPromptChars, `is too long: at most ${limits.maxPromptChars} characters are allowed (MCP_PROVIDERS_MAX_PROMPT_CHARS)`)
    .refine((s) => s.trim().length > 0, `must contain text, not only whitespace`);
}

export const AttachmentSchema = z
  .object({
    uri: z
      .string()
      .regex(/^(https:\/\/|gs:\/\/|data:|artifact:\/\/)/, 'must start with https://, gs://, data: or artifact://')
      .optional()
      .describe('Where the file is: https://, gs://, a data: URI, or an artifact:// URI returned by an earlier call.'),
    data: z.string().min(1).optional().describe('The file inline, base64-encoded (give mime_type too). Prefer uri for anything large.'),
    mime_type: z
      .string()
      .regex(/^[a-z]+\/[a-z0-9.+-]+$/i, 'must be a MIME type such as image/png')
      .optional()
      .describe('MIME type, e.g. image/png. Required with data; guessed from the URI otherwise.'),
  })
  .refine((a) => (a.uri ? !a.data : !!a.data && !!a.mime_type), 'give either uri, or data with mime_type')
  .describe('A file given to the model.');

export type AttachmentInput = z.infer<typeof AttachmentSchema>;

export function toAttachment(a: AttachmentInput): MediaAttachment {
  if (a.uri) return a.mime_type ? { uri: a.uri, mimeType: a.mime_type } : { uri: a.uri };
  return { data: new Uint8Array(Buffer.from(a.data!, 'base64')), mimeType: a.mime_type! };
}

export const aspectRatioField = z
  .enum(ASPECT_RATIOS as [AspectRatio, ...AspectRatio[]])
  .describe(`Width:height of the output. One of ${ASPECT_RATIOS.join(', ')}; models support a subset.`);

export const seedField = z.number().int().min(0).max(4294967295).describe('Seed for reproducible output, where the model supports one (0 to 4294967295).');

export const negativePromptField = z.string().max(10_000).describe('What the output should not contain.');

/** Arguments every generation tool takes: routing and pass-through. */
export function routingFields(limits: SchemaLimits) {
  return {
    provider: z
      .enum(limits.providerIds as [string, ...string[]])
      .optional()
      .describe('Provider to use. Omit to let the server pick the best usable one; call list_providers to see which are ready.'),
    model: z.string().min(1).max(200).optional().describe("Model id in the provider's own naming. Omit for the provider's default."),
    fallback: z
      .boolean()
      .default(true)
      .describe('When the chosen provider fails with a temporary error, try the next usable provider (with its default model).'),
    // z.json(), not z.unknown(): every sub-schema then says what it accepts (JSON Schema 2020-12 portability).
    wait_seconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe(
        `How long this call waits for the result, 0 to 3600 s (default ${limits.waitSeconds}). If the job is not done by then the call ` +
          'answers with a job handle (structuredContent.job) instead: the job keeps running, and get_job with its id returns the result.',
      ),
    save_to: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        'Also write the result into the project: a file path relative to the first allowed root (the client\'s roots, ' +
          'or MCP_PROVIDERS_OUTPUT_DIRS), e.g. "assets/icon.png", or an absolute path inside one. "..", paths leading out ' +
          'through a symlink, and existing files (unless overwrite) are refused before anything runs. Several files get -1, -2… suffixes.',
      ),
    overwrite: z.boolean().default(false).describe('With save_to: replace a file that already exists there.'),
    max_cost_usd: z
      .number()
      .min(0)
      .max(100_000)
      .optional()
      .describe(
        `The most this call may cost, in US dollars${limits.maxCostUsd !== undefined ? ` (default ${limits.maxCostUsd}, MCP_PROVIDERS_MAX_COST_USD)` : ''}. ` +
          'A call whose estimate is above it is refused before anything is sent, saying what would fit; a fallback estimated above it is skipped.',
      ),
    estimate: z.boolean().optional().describe('true: return the estimated cost (structuredContent.estimate) without running anything.'),
    extra: z
      .record(z.string(), z.json())
      .optional()
      .describe(
        'Provider-specific parameters, passed to the provider untouched. Key them by provider id to give each provider its own ' +
          '({"fal": {...}, "replicate": {...}}); a flat object goes only to the provider that serves the call first and is not passed on to a fallback.',
      ),
  };
}

export const ArtifactOutputSchema = z.object({
  uri: z.string().describe('artifact:// URI; read it with resources/read.'),
  mimeType: z.string().describe('MIME type of the file.'),
  size: z.number().int().describe('Size in bytes.'),
  sha256: z.string().describe('SHA-256 of the bytes, hex.'),
  path: z.string().optional().describe('Path of the file on the server machine (local store).'),
  url: z.string().optional().describe('Download URL, where the server offers one.'),
  width: z.number().optional().describe('Width in pixels, when known.'),
  height: z.number().optional().describe('Height in pixels, when known.'),
  durationSeconds: z.number().optional().describe('Duration in seconds (audio, video), when known.'),
});

export const TelemetryOutputSchema = z.object({
  latencyMs: z.number().describe('Time the call took, ms.'),
  attempts: z.number().int().describe('Provider calls made, retries and fallbacks included.'),
  requestId: z.string().optional().describe("The provider's request id, for support tickets."),
  fallbackFrom: z.array(z.string()).optional().describe('Providers that failed before this one answered.'),
});

export const JobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const JobHandleSchema = z.object({
  id: z.string().describe('Job id: pass it as job_id to get_job or cancel_job.'),
  state: JobStateSchema.describe('queued or running: not done yet; succeeded, failed or cancelled: finished.'),
  progress: z.number().min(0).max(1).optional().describe('0 to 1, when the provider reports it.'),
  message: z.string().optional().describe('What the job is doing now, in words.'),
  provider: z.string().optional().describe('Provider running the job, once chosen.'),
  model: z.string().optional().describe('Model running the job, once chosen.'),
  createdAt: z.string().describe('When the job was created (ISO 8601).'),
  updatedAt: z.string().describe('When it last changed (ISO 8601).'),
  providerCancelled: z.boolean().optional().describe("After cancel_job: whether the provider's own job was stopped (false: the provider has no cancel, and may still bill it)."),
  error: z.object({ code: z.string().describe('Error code, e.g. rate_limited, invalid_request.'), message: z.string().describe('What went wrong.') }).optional().describe('Why the job failed.'),
});

/**
 * One shape for a finished result and for a handle: `job` is always there; the rest is there
 * once the job succeeded (a handle carries only `job`, plus provider and model once known).
 */
export const CostEstimateSchema = z.object({
  costUsd: z.number().optional().describe('The most the call would cost, US dollars; absent when it cannot be bounded (see unknown).'),
  provider: z.string().describe('Provider the call would go to first.'),
  model: z.string().describe('Model it would use.'),
  summary: z.string().describe('What is priced, in words.'),
  basis: z
    .array(z.object({ quantity: z.number(), unit: z.string(), usdPerUnit: z.number(), usd: z.number() }))
    .describe('The units and prices used: quantity × usdPerUnit = usd.'),
  unknown: z.string().optional().describe('Why there is no bound, when there is none.'),
  source: z.string().optional().describe('The page the price was read from.'),
  read: z.string().optional().describe('When the price was read (YYYY-MM-DD).'),
  capUsd: z.number().optional().describe("The call's cap (max_cost_usd or MCP_PROVIDERS_MAX_COST_USD)."),
  refused: z.string().optional().describe('Why the call would be refused (over the cap or the daily budget), when it would be.'),
  fallbacks: z
    .array(z.object({ provider: z.string(), model: z.string(), costUsd: z.number().optional(), refused: z.string().optional() }))
    .optional()
    .describe('The estimates on the providers a fallback would try, in order.'),
});

export const GenerationOutputSchema = z.object({
  job: JobHandleSchema.optional().describe('The job behind this call (absent only for estimate: true). While state is queued or running, call get_job with job.id for the result.'),
  estimate: CostEstimateSchema.optional().describe('With estimate: true, what the call would cost; nothing was run.'),
  provider: z.string().optional().describe('Provider that produced the result.'),
  model: z.string().optional().describe('Model that produced the result.'),
  artifacts: z.array(ArtifactOutputSchema).optional().describe('Files produced, stored as MCP resources (present once the job succeeded).'),
  text: z.string().optional().describe('Text produced.'),
  usage: z
    .object({
      inputTokens: z.number().optional().describe('Input tokens billed.'),
      outputTokens: z.number().optional().describe('Output tokens billed.'),
      costUsd: z.number().optional().describe('Cost in US dollars, where it can be known.'),
      costSource: z
        .enum(['provider', 'price-table', 'unknown'])
        .optional()
        .describe("Where costUsd comes from: the provider's own figure, what was made × the server's price table, or unknown (no price)."),
    })
    .optional()
    .describe('Usage and cost, where known.'),
  warnings: z.array(z.string()).optional().describe('Things worth knowing: fallbacks, ignored options, filtered outputs.'),
  telemetry: TelemetryOutputSchema.optional().describe('How the call went (present once the job succeeded).'),
  saved: z
    .array(z.object({ path: z.string().describe('Where the copy was written.'), uri: z.string().optional().describe('The artifact it copies.') }))
    .optional()
    .describe('Files written for save_to.'),
});

export type GenerationOutput = z.infer<typeof GenerationOutputSchema>;

/**
 * The schema with its JSON Schema computed once per target and direction. The SDK converts every
 * tool's schemas on each tools/list, and six tools share GenerationOutputSchema: converting it once
 * takes about 5 ms off start-up (and off every stateless 2026 tools/list). Callers get a copy.
 */
export function withCachedJsonSchema<S extends StandardSchemaWithJSON>(schema: S): StandardSchemaWithJSON<StandardSchemaWithJSON.InferInput<S>, StandardSchemaWithJSON.InferOutput<S>> {
  const std = schema['~standard'];
  const memo = new Map<string, Record<string, unknown>>();
  const cached =
    (io: 'input' | 'output') =>
    (options: StandardJSONSchemaOptions): Record<string, unknown> => {
      const key = `${io} ${options.target}`;
      let json = memo.get(key);
      if (!json) memo.set(key, (json = std.jsonSchema[io](options)));
      return structuredClone(json);
    };
  return { '~standard': { version: std.version, vendor: std.vendor, validate: (value) => std.validate(value), jsonSchema: { input: cached('input'), output: cached('output') } } } as StandardSchemaWithJSON<
    StandardSchemaWithJSON.InferInput<S>,
    StandardSchemaWithJSON.InferOutput<S>
  >;
}

/** GenerationOutputSchema as the tools register it (see withCachedJsonSchema). */
export const GenerationOutputJsonSchema = withCachedJsonSchema(GenerationOutputSchema);
