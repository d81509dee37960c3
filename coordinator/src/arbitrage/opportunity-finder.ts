import { type ArbitrageOptions, type CompiledArbitrageOptions, compileArbitrageOptions } from "./arbitrage-options.js";
import { hourlyCostUsd } from "./cost-model.js";
import { createMarketIndex, type UsableMarket } from "./market-index.js";
import {
  computeMigrationPlan,
  type MigrationPlan,
  marginAccepted,
  migrationMargin,
  planSide,
} from "./migration-plan.js";
import { compilePlacementConstraints } from "./placement-constraints.js";
import type { RegionMarket } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** The best move for one workload, with the full plan arithmetic; only accepted margins are opportunities. */
export type ArbitrageOpportunity = MigrationPlan;

/** Ranks opportunities with fixed options (compiled once). */
export interface OpportunityFinder {
  readonly options: CompiledArbitrageOptions;
  /**
   * For each workload, the target with the highest margin among the allowed, live, freshly priced
   * markets; kept only when the margin is accepted (> 0 and ≥ `minMarginUsd`). Sorted by margin,
   * highest first (ties by workload id). Pinned workloads and workloads whose own region has no
   * fresh price are skipped: a stale price is never used, not even for the source.
   */
  find(
    workloads: readonly WorkloadCostInput[],
    markets: readonly RegionMarket[],
    nowMs: number,
  ): ArbitrageOpportunity[];
}

/** Creates an {@link OpportunityFinder}. */
export function createOpportunityFinder(options: ArbitrageOptions | CompiledArbitrageOptions = {}): OpportunityFinder {
  const compiled = compileArbitrageOptions(options);
  return {
    options: compiled,
    find: (workloads, markets, nowMs) => rankOpportunities(workloads, markets, nowMs, compiled),
  };
}

/** One-shot form of {@link OpportunityFinder.find}. */
export function findOpportunities(
  workloads: readonly WorkloadCostInput[],
  markets: readonly RegionMarket[],
  nowMs: number,
  options: ArbitrageOptions | CompiledArbitrageOptions = {},
): ArbitrageOpportunity[] {
  return rankOpportunities(workloads, markets, nowMs, compileArbitrageOptions(options));
}

function rankOpportunities(
  workloads: readonly WorkloadCostInput[],
  markets: readonly RegionMarket[],
  nowMs: number,
  options: CompiledArbitrageOptions,
): ArbitrageOpportunity[] {
  const index = createMarketIndex(markets, nowMs, options.priceTtlMs);
  const targets = index.usable;
  const position = new Map<UsableMarket, number>(targets.map((m, i) => [m, i]));
  // Why a matrix: only markets² egress pairs exist, while workloads × markets candidates are priced.
  const egress: (Float64Array | undefined)[] = new Array(targets.length);
  const egressRow = (sourceIndex: number, source: UsableMarket): Float64Array => {
    let row = egress[sourceIndex];
    if (row === undefined) {
      row = new Float64Array(targets.length);
      for (let i = 0; i < targets.length; i++) {
        row[i] = options.egressPrices.usdPerGb(source.market, (targets[i] as UsableMarket).market);
      }
      egress[sourceIndex] = row;
    }
    return row;
  };

  const opportunities: ArbitrageOpportunity[] = [];
  for (const workload of workloads) {
    if (workload.pinned === true || workload.protectedReason !== undefined) continue;
    const source = index.sourceOf(workload);
    if (source === undefined) continue;
    const sourceChoice = source.choose(workload);
    if (sourceChoice === null) continue;
    const costNow = hourlyCostUsd(workload.replicas, sourceChoice);
    const constraints =
      workload.allowedRegions === undefined && workload.allowedClouds === undefined
        ? null
        : compilePlacementConstraints(workload);
    const stateGb = workload.stateGb ?? options.defaultStateGb;
    const row = egressRow(position.get(source) as number, source);

    let bestIndex = -1;
    let bestMargin = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as UsableMarket;
      if (target === source || target.key === source.key) continue;
      if (constraints !== null && !constraints.allows(target.market)) continue;
      const choice = target.choose(workload);
      if (choice === null) continue;
      const costTarget = hourlyCostUsd(workload.replicas, choice);
      // Egress and overlap are never negative, so a target that is not cheaper cannot win.
      if (!(costTarget < costNow)) continue;
      const { marginUsd } = migrationMargin(
        { costNowUsdPerHour: costNow, costTargetUsdPerHour: costTarget, stateGb, egressUsdPerGb: row[i] as number },
        options,
      );
      if (marginUsd > bestMargin) {
        bestMargin = marginUsd;
        bestIndex = i;
      }
    }
    if (bestIndex < 0 || !marginAccepted(bestMargin, options.minMarginUsd)) continue;
    const target = targets[bestIndex] as UsableMarket;
    const targetChoice = target.choose(workload);
    if (targetChoice === null) continue;
    opportunities.push(
      computeMigrationPlan(
        workload,
        planSide(source, sourceChoice, workload.replicas, nowMs),
        planSide(target, targetChoice, workload.replicas, nowMs),
        options,
      ),
    );
  }
  opportunities.sort((a, b) =>
    b.marginUsd !== a.marginUsd
      ? b.marginUsd - a.marginUsd
      : a.workloadId < b.workloadId
        ? -1
        : a.workloadId > b.workloadId
          ? 1
          : 0,
  );
  return opportunities;
}
