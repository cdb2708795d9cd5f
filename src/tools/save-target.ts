/**
 * Where a call's `save_to` copies may go, decided before the job is submitted: the allowed roots
 * are the client's roots (asked of it through the server layer) then MCP_PROVIDERS_OUTPUT_DIRS,
 * and the path is checked against them (artifacts/save-to.ts). A refusal costs nothing: no job,
 * no provider request, no file.
 */
import type { CallToolResult, InputRequiredResult, ServerContext } from '@modelcontextprotocol/server';
import { planSave, type SavePlan } from '../artifacts/save-to.js';
import { toProviderError } from '../providers/errors.js';
import type { ToolDeps } from './deps.js';
import { toErrorResult } from './to-tool-result.js';

export type SaveDecision = { plan?: SavePlan } | { answer: CallToolResult | InputRequiredResult };

export async function decideSave(deps: ToolDeps, ctx: ServerContext, saveTo: string | undefined, overwrite: boolean, count: number): Promise<SaveDecision> {
  if (saveTo === undefined) return {};
  let clientRoots: string[] | undefined;
  try {
    const asked = await deps.clientRoots?.(ctx);
    if (asked && !Array.isArray(asked)) return { answer: asked };
    clientRoots = asked;
  } catch (err) {
    // A client that fails roots/list (or never answers) leaves only the configured folders.
    deps.logger.warn({ err: toProviderError(err).message }, 'roots/list failed; save_to uses MCP_PROVIDERS_OUTPUT_DIRS only');
  }
  const roots = [...new Set([...(clientRoots ?? []), ...deps.config.outputDirs])];
  const noRoots = deps.clientRootsRefused
    ? `${deps.clientRootsRefused}; it writes only into MCP_PROVIDERS_OUTPUT_DIRS, which is not set`
    : 'no folder may be written to: the client offers no roots (roots/list), and MCP_PROVIDERS_OUTPUT_DIRS is not set';
  try {
    return { plan: await planSave(saveTo, roots, { count, overwrite, noRoots }) };
  } catch (err) {
    return { answer: toErrorResult(err) };
  }
}
