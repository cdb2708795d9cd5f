/**
 * `estimate: true` on a generation tool: what the call would cost, and nothing run — no job, no
 * request to any provider. The providers are planned as for a real call; the answer gives the first
 * choice's estimate with the units and prices it rests on, says when the cap or the daily budget
 * would refuse it, and which fallback the call would then go to.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { JobRequest } from '../jobs/jobs.js';
import type { Capability } from '../providers/base.js';
import { describeEstimate, type CostEstimate } from '../registry/cost.js';
import { costRefusal } from '../registry/cost-guard.js';
import { formatUsd } from '../registry/prices.js';
import type { ToolDeps } from './deps.js';
import type { GenerationOutput } from './schemas.js';
import { toErrorResult } from './to-tool-result.js';

export async function answerEstimate<C extends Capability>(deps: ToolDeps, req: JobRequest<C>): Promise<CallToolResult> {
  try {
    const estimates = deps.runner.estimate(req.capability, req.prompt, req.options, req.plan);
    const cap = req.plan.maxCostUsd;
    const budget = deps.config.dailyBudgetUsd === undefined ? undefined : { limitUsd: deps.config.dailyBudgetUsd, spentTodayUsd: await deps.jobs.spentToday() };
    const refusals = estimates.map((e) => costRefusal(e, cap, budget)?.message);
    const [e] = estimates as [CostEstimate, ...CostEstimate[]];
    const refused = refusals[0];
    const instead = refused ? refusals.findIndex((r) => !r) : -1;
    const estimate: NonNullable<GenerationOutput['estimate']> = {
      ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
      provider: e.providerId,
      model: e.model,
      summary: e.summary,
      basis: e.basis,
      ...(e.unknown ? { unknown: e.unknown } : {}),
      ...(e.source ? { source: e.source, read: e.read } : {}),
      ...(cap !== undefined ? { capUsd: cap } : {}),
      ...(refused ? { refused } : {}),
      ...(estimates.length > 1 ? { fallbacks: estimates.slice(1).map((f, i) => brief(f, refusals[i + 1])) } : {}),
    };
    const verdict = !refused
      ? cap !== undefined && e.costUsd !== undefined ? `Within the cap ${formatUsd(cap)}.` : ''
      : instead > 0
        ? `${e.providerId} would refuse it (${refused}); the call would fall back to ${estimates[instead]!.providerId}: ${describeEstimate(estimates[instead]!)}.`
        : `This call would be refused: ${refused}`;
    const text = [`Estimate (nothing was run): ${describeEstimate(e)}, on ${e.providerId}.`, verdict].filter(Boolean).join(' ');
    return { content: [{ type: 'text', text }], structuredContent: { estimate, provider: e.providerId, model: e.model } };
  } catch (err) {
    return toErrorResult(err);
  }
}

function brief(e: CostEstimate, refused: string | undefined): { provider: string; model: string; costUsd?: number; refused?: string } {
  return { provider: e.providerId, model: e.model, ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}), ...(refused ? { refused } : {}) };
}
