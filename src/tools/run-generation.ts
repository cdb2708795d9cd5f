/**
 * Runs one generation tool call: the request becomes a job (persisted before any provider is
 * asked), and the call waits for it up to wait_seconds. Tool files only map their arguments to
 * a Prompt and an options DTO; nothing here knows a provider or a file path.
 */
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import type { Capability, OptionsByCapability, Prompt } from '../providers/base.js';
import type { PlanRequest } from '../registry/registry.js';
import { answerJob } from './answer-job.js';
import type { ToolDeps } from './deps.js';
import { callLogger } from './request-context.js';

export interface GenerationRequest<C extends Capability> {
  tool: string;
  capability: C;
  prompt: Prompt;
  options: OptionsByCapability[C];
  plan: PlanRequest;
  /** The validated tool arguments, kept with the job. */
  arguments: Record<string, unknown>;
  waitSeconds: number;
}

export async function runGeneration<C extends Capability>(deps: ToolDeps, req: GenerationRequest<C>, mcp: ServerContext): Promise<CallToolResult> {
  const logger = callLogger(deps, mcp, req.tool);
  const job = await deps.jobs.submit({ tool: req.tool, capability: req.capability, prompt: req.prompt, options: req.options, plan: req.plan, arguments: req.arguments });
  return answerJob(deps, mcp, logger.child({ job: job.id }), job.id, req.waitSeconds);
}
