/**
 * What every generation tool shares: the routing arguments (provider, model, fallback,
 * extra), the output schema, the annotations, and the hand-off to runGeneration. A tool
 * file declares only its own fields and how they map to a Prompt and an options DTO.
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Capability, OptionsByCapability, Prompt } from '../providers/base.js';
import type { ToolDeps } from './deps.js';
import { runGeneration } from './run-generation.js';
import { decideSave } from './save-target.js';
import { GenerationOutputJsonSchema, routingFields, withCachedJsonSchema, type SchemaLimits } from './schemas.js';

/** The options a tool maps itself; model and extra come from the routing arguments. */
type OwnOptions<C extends Capability> = Omit<OptionsByCapability[C], 'model' | 'extra'>;

export interface GenerationToolDefinition<C extends Capability, S extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  capability: C;
  fields: (limits: SchemaLimits) => S;
  toRequest(args: z.infer<z.ZodObject<S>>): { prompt: Prompt; options: OwnOptions<C> };
}

/** Said in every generation tool's description, so an agent knows the job protocol without a README. */
export function jobNote(waitSeconds: number): string {
  return (
    `Every call is a job. If it is not finished within wait_seconds (default ${waitSeconds}) the call returns a job handle ` +
    '(structuredContent.job, state "running") instead of an error: the job keeps running on the server, and get_job with ' +
    'that job_id returns the finished result; cancel_job stops it. A dropped connection does not stop the job.'
  );
}

/** Said in every generation tool's description: the cap and the estimate. */
export function costNote(maxCostUsd: number | undefined): string {
  return (
    `max_cost_usd caps what the call may cost${maxCostUsd !== undefined ? ` (default $${maxCostUsd})` : ''}: a call estimated above it is refused before anything is paid; ` +
    'estimate: true returns the estimated cost without running. Results carry usage.costUsd and usage.costSource.'
  );
}

/** How media comes back, per MCP_PROVIDERS_INLINE; said in every file-producing tool's description. */
export function mediaNote(mode: ToolDeps['config']['inline']): string {
  switch (mode) {
    case 'none':
      return 'Files come back as resource links only (nothing inline).';
    case 'full':
      return 'Files come back as resource links; images and audio up to MCP_PROVIDERS_INLINE_MAX_BYTES are inlined too.';
    default:
      return 'Images come back as a resource link plus a small inline preview (at most 512 px); audio and video as links only.';
  }
}

/**
 * What a tool's registration builds from the configuration, built once per configuration (one per
 * core): a stateless 2026-07-28 request gets a server of its own, and building the five generation
 * tools' zod schemas for it — and converting them to JSON Schema for its tools/list — cost every
 * request about 2 ms. Keyed by the config object, so a new core (a test's) builds its own.
 */
const builtPerConfig = new WeakMap<object, Map<string, unknown>>();
function oncePerConfig<T>(config: object, key: string, build: () => T): T {
  let built = builtPerConfig.get(config);
  if (!built) builtPerConfig.set(config, (built = new Map()));
  if (!built.has(key)) built.set(key, build());
  return built.get(key) as T;
}

export function registerGenerationTool<C extends Capability, S extends z.ZodRawShape>(
  server: McpServer,
  deps: ToolDeps,
  limits: SchemaLimits,
  def: GenerationToolDefinition<C, S>,
): void {
  const build = () => {
    const input = z.object({ ...def.fields(limits), ...routingFields(limits) });
    const description = `${def.description} ${def.capability === 'text' ? '' : `${mediaNote(deps.config.inline)} `}${jobNote(limits.waitSeconds)} ${costNote(limits.maxCostUsd)}`;
    return { input, jsonInput: withCachedJsonSchema(input), description };
  };
  const { input, jsonInput, description } = oncePerConfig(deps.config, def.name, build);
  const registered = server.registerTool(
    def.name,
    {
      title: def.title,
      description,
      inputSchema: jsonInput,
      outputSchema: GenerationOutputJsonSchema,
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async (args: unknown, ctx: ServerContext) => {
      // The SDK has validated args against `input`; with a generic shape it cannot infer their type, so this recovers it.
      const all = args as z.infer<typeof input>;
      const { provider, model, fallback, extra: passThrough, wait_seconds, save_to, overwrite, max_cost_usd, estimate } = all as z.infer<z.ZodObject<ReturnType<typeof routingFields>>>;
      const { prompt, options } = def.toRequest(all as z.infer<z.ZodObject<S>>);
      const count = (options as { count?: number }).count ?? 1;
      // An estimate writes nothing, so it asks the client for no roots.
      const save = estimate === true ? {} : await decideSave(deps, ctx, save_to, overwrite, count);
      if ('answer' in save) return save.answer;
      return runGeneration(
        deps,
        {
          tool: def.name,
          capability: def.capability,
          prompt,
          options: { ...options, model, extra: passThrough ?? {} } as OptionsByCapability[C],
          plan: { provider, model, fallback, maxCostUsd: max_cost_usd ?? limits.maxCostUsd },
          arguments: all,
          ...(save.plan ? { saveTo: save.plan } : {}),
          waitSeconds: wait_seconds ?? limits.waitSeconds,
          estimateOnly: estimate === true,
        },
        ctx,
      );
    },
  );
  const taskSupport = deps.taskSupport?.(def.name);
  if (taskSupport) registered.execution = { taskSupport };
}
