/**
 * The cap per call and the daily budget, judged from a call's estimate before anything is sent.
 * A refusal is a ProviderError (`over_cap`, `over_budget`) whose message gives the estimate and
 * the limit in dollars, and what would fit.
 */
import { ProviderError } from '../providers/errors.js';
import { DAILY_BUDGET_ENV } from './config.js';
import { describeEstimate, whatFits, type CostEstimate } from './cost.js';
import { formatUsd, roundUsd } from './prices.js';

/** MCP_PROVIDERS_DAILY_BUDGET_USD and what the job store says was spent today (UTC), this call left out. */
export interface BudgetState {
  limitUsd: number;
  spentTodayUsd: number;
}

/**
 * Why a call may not go ahead on this candidate, or undefined when it may. An estimate that cannot
 * be bounded passes the cap (the result then says its cost was unknown beforehand); it passes the
 * budget only while some budget is left. A free call (estimate $0) always passes. With `budget`
 * undefined only the cap is checked (the runner does that before the job store reserves the budget).
 */
export function costRefusal(estimate: CostEstimate, capUsd: number | undefined, budget: BudgetState | undefined): ProviderError | undefined {
  const cost = estimate.costUsd;
  if (cost === 0) return undefined;
  const refuse = (code: 'over_cap' | 'over_budget', message: string) =>
    new ProviderError({ code, providerId: estimate.providerId, retryable: false, message: `${message} Nothing was sent to ${estimate.providerId}.` });
  if (capUsd !== undefined && cost !== undefined && cost > capUsd) {
    return refuse('over_cap', `${describeEstimate(estimate)} > cap ${formatUsd(capUsd)}${whatFits(estimate, capUsd)}.`);
  }
  if (!budget || fitsBudget(cost, budget)) return undefined;
  const { limitUsd, spentTodayUsd } = budget;
  const spent = `${formatUsd(spentTodayUsd)} spent today (UTC)`;
  const resets = 'it starts again at 00:00 UTC';
  if (spentTodayUsd >= limitUsd) return refuse('over_budget', `The daily budget ${formatUsd(limitUsd)} (${DAILY_BUDGET_ENV}) is used up: ${spent}; ${resets}.`);
  const left = roundUsd(limitUsd - spentTodayUsd);
  return refuse('over_budget', `${describeEstimate(estimate)} would pass the daily budget ${formatUsd(limitUsd)} (${DAILY_BUDGET_ENV}): ${spent}, ${formatUsd(left)} left${whatFits(estimate, left)}; ${resets}.`);
}

/**
 * The budget rule alone, for the job store to apply inside the transaction that records the
 * estimate: a call costing `costUsd` (undefined: not known beforehand) fits while it does not take
 * today's spend past the limit; one of unknown cost fits while some budget is left; a free one always.
 */
export function fitsBudget(costUsd: number | undefined, { limitUsd, spentTodayUsd }: BudgetState): boolean {
  if (costUsd === 0) return true;
  if (spentTodayUsd >= limitUsd) return false;
  return costUsd === undefined || roundUsd(spentTodayUsd + costUsd) <= limitUsd;
}

/** Said in the result when a cap is set but the estimate could not be bounded. */
export function unknownCostNote(estimate: CostEstimate, capUsd: number): string {
  return `The cost of ${estimate.summary} was not known before the call (${estimate.unknown}), so the cap ${formatUsd(capUsd)} could not be checked.`;
}
