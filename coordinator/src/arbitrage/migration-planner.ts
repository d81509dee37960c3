import { type ErrorCodeName, SentraError } from "@sentra/common";
import { type ArbitrageOptions, type CompiledArbitrageOptions, compileArbitrageOptions } from "./arbitrage-options.js";
import type { InstanceChoice, WorkloadShape } from "./cost-model.js";
import { createMarketIndex, type MarketIndex, type MarketProblem, type UsableMarket } from "./market-index.js";
import { computeMigrationPlan, type MigrationPlan, marginAccepted, planSide } from "./migration-plan.js";
import { compilePlacementConstraints } from "./placement-constraints.js";
import { type RegionMarket, type RegionRef, regionKey } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** Why a dry run refused a move. */
export type PlanRefusalCode =
  | "PROTECTED"
  | "PINNED"
  | "SOURCE_PRICE_UNAVAILABLE"
  | "TARGET_UNKNOWN"
  | "TARGET_AMBIGUOUS"
  | "TARGET_IS_SOURCE"
  | "TARGET_NOT_ALLOWED"
  | "TARGET_NOT_LIVE"
  | "TARGET_PRICE_STALE"
  | "TARGET_NOTHING_FITS"
  | "NO_TARGET"
  | "MARGIN_NOT_POSITIVE"
  | "MARGIN_BELOW_MINIMUM";

/** The outcome of a dry run: the numbers (when both prices were usable) and the verdict. */
export interface MigrationPlanResult {
  readonly accepted: boolean;
  readonly workloadId: string;
  readonly source: RegionRef;
  /** The target the caller asked for (null = best target). */
  readonly requestedTarget: RegionRef | string | null;
  /** The full arithmetic; null when a needed price was stale, missing or its satellite not live. */
  readonly plan: MigrationPlan | null;
  readonly refusalCode: PlanRefusalCode | null;
  /** Human sentence with the numbers that decided it; null when accepted. */
  readonly refusalReason: string | null;
  readonly evaluatedAtMs: number;
}

const usd = (value: number): string => `${value < 0 ? "−" : ""}${Math.abs(value).toFixed(2)} USD`;
const rate = (value: number): string => `${value.toFixed(4)} USD/h`;

function describeProblem(
  where: string,
  problem: MarketProblem | { readonly kind: "nothing-fits" },
  shape: WorkloadShape,
) {
  switch (problem.kind) {
    case "unknown-region":
      return { code: "TARGET_UNKNOWN" as const, reason: `${where} has no satellite reporting prices` };
    case "satellite-not-live":
      return {
        code: "TARGET_NOT_LIVE" as const,
        reason: `${where}: satellite ${problem.satelliteId} missed its heartbeats; its prices are not used`,
      };
    case "no-fresh-price":
      return {
        code: "TARGET_PRICE_STALE" as const,
        reason:
          problem.newestAgeSeconds === null
            ? `${where} reports no price${shape.instanceType === undefined ? "" : ` for ${shape.instanceType}`}`
            : `${where}: newest price${shape.instanceType === undefined ? "" : ` for ${shape.instanceType}`} is ${Math.round(problem.newestAgeSeconds)} s old, older than the ${problem.ttlSeconds} s TTL`,
      };
    case "nothing-fits":
      return {
        code: "TARGET_NOTHING_FITS" as const,
        reason: `${where}: no offered instance type fits one replica (${shape.cpuMillicores} m CPU, ${(shape.memoryBytes / 1024 ** 3).toFixed(2)} GiB${shape.instanceType === undefined ? "" : `, type ${shape.instanceType}`})`,
      };
  }
}

/** The sentence behind a refused margin, with every number of the formula. */
export function describeMargin(plan: MigrationPlan): string {
  return (
    `${usd(plan.savingsUsd)} saved over ${plan.horizonHours} h ` +
    `(${rate(plan.costNowUsdPerHour)} in ${plan.source.cloud}:${plan.source.region} on ${plan.source.instanceType} at ${plan.source.instanceUsdPerHour} USD/h, price ${Math.round(plan.source.priceAgeSeconds)} s old → ` +
    `${rate(plan.costTargetUsdPerHour)} in ${plan.target.cloud}:${plan.target.region} on ${plan.target.instanceType} at ${plan.target.instanceUsdPerHour} USD/h, price ${Math.round(plan.target.priceAgeSeconds)} s old) ` +
    `− egress ${usd(plan.egressUsd)} (${plan.stateGb} GB × ${plan.egressUsdPerGb} USD/GB) ` +
    `− overlap ${usd(plan.overlapUsd)} (${plan.readinessEstimateSeconds} s of both copies) ` +
    `= margin ${usd(plan.marginUsd)}; minimum ${usd(plan.minMarginUsd)}`
  );
}

function resolveTarget(
  target: RegionRef | string,
  markets: readonly RegionMarket[],
): { ref: RegionRef } | { code: "TARGET_UNKNOWN" | "TARGET_AMBIGUOUS"; reason: string } {
  if (typeof target !== "string") return { ref: target };
  const colon = target.indexOf(":");
  if (colon > 0) return { ref: { cloud: target.slice(0, colon), region: target.slice(colon + 1) } };
  const clouds = [...new Set(markets.filter((m) => m.region === target).map((m) => m.cloud))];
  if (clouds.length === 1) return { ref: { cloud: clouds[0] as string, region: target } };
  if (clouds.length === 0)
    return { code: "TARGET_UNKNOWN", reason: `region ${target} has no satellite reporting prices` };
  return {
    code: "TARGET_AMBIGUOUS",
    reason: `region ${target} exists in clouds ${clouds.join(", ")}; write it as cloud:region`,
  };
}

/**
 * Dry run of moving one workload, to `target` (`region`, `cloud:region` or a {@link RegionRef}) or,
 * when absent, to the target with the highest margin (even a negative one, so the refusal can show
 * the numbers). Never throws for a refusal: it is returned as data; see {@link assertPlanAccepted}.
 */
export function planMigration(
  workload: WorkloadCostInput,
  target: RegionRef | string | undefined,
  markets: readonly RegionMarket[],
  nowMs: number,
  options: ArbitrageOptions | CompiledArbitrageOptions = {},
): MigrationPlanResult {
  const compiled = compileArbitrageOptions(options);
  const index = createMarketIndex(markets, nowMs, compiled.priceTtlMs);
  const base = {
    workloadId: workload.id,
    source: { cloud: workload.cloud, region: workload.region },
    requestedTarget: target ?? null,
    evaluatedAtMs: nowMs,
  };
  const refuse = (code: PlanRefusalCode, reason: string, plan: MigrationPlan | null = null): MigrationPlanResult => ({
    ...base,
    accepted: false,
    plan,
    refusalCode: code,
    refusalReason: reason,
  });

  if (workload.protectedReason !== undefined) {
    // Before any price: no margin, however large, moves kube-system or Sentra itself.
    return refuse("PROTECTED", `${workload.id} is never migrated: ${workload.protectedReason}`);
  }
  const sourceMarket = index.sourceOf(workload);
  const sourceChoice = sourceMarket?.choose(workload) ?? null;
  if (sourceMarket === undefined || sourceChoice === null) {
    const problem = describeProblem(
      `source region ${regionKey(workload)}`,
      index.explain(workload, workload),
      workload,
    );
    return refuse("SOURCE_PRICE_UNAVAILABLE", `Cannot price the workload where it runs now: ${problem.reason}`);
  }
  const source = planSide(sourceMarket, sourceChoice, workload.replicas, nowMs);
  const constraints = compilePlacementConstraints(workload);

  let plan: MigrationPlan;
  if (target === undefined) {
    if (constraints.pinned) return refuse("PINNED", `${workload.id} is pinned (sentra.io/pinned: "true")`);
    let best: MigrationPlan | null = null;
    for (const market of index.usable) {
      if (market.key === sourceMarket.key || !constraints.allows(market.market)) continue;
      const choice = market.choose(workload);
      if (choice === null) continue;
      const candidate = computeMigrationPlan(
        workload,
        source,
        planSide(market, choice, workload.replicas, nowMs),
        compiled,
      );
      if (best === null || candidate.marginUsd > best.marginUsd) best = candidate;
    }
    if (best === null) {
      return refuse(
        "NO_TARGET",
        `No other allowed region has a live satellite and a fresh price that fits ${workload.id}`,
      );
    }
    plan = best;
  } else {
    const resolved = resolveTarget(target, markets);
    if (!("ref" in resolved)) return refuse(resolved.code, resolved.reason);
    const ref = resolved.ref;
    if (regionKey(ref) === sourceMarket.key) {
      return refuse("TARGET_IS_SOURCE", `${workload.id} already runs in ${regionKey(ref)}`);
    }
    const found = pickTarget(index, ref, workload);
    if ("problem" in found) {
      const problem = describeProblem(`target region ${regionKey(ref)}`, found.problem, workload);
      return refuse(problem.code, problem.reason);
    }
    plan = computeMigrationPlan(
      workload,
      source,
      planSide(found.market, found.choice, workload.replicas, nowMs),
      compiled,
    );
    if (constraints.pinned) {
      return refuse("PINNED", `${workload.id} is pinned (sentra.io/pinned: "true"); ${describeMargin(plan)}`, plan);
    }
    const notAllowed = constraints.check(ref);
    if (notAllowed !== null) return refuse("TARGET_NOT_ALLOWED", `${workload.id}: ${notAllowed}`, plan);
  }

  if (!marginAccepted(plan.marginUsd, plan.minMarginUsd)) {
    return plan.marginUsd <= 0
      ? refuse("MARGIN_NOT_POSITIVE", `Moving ${workload.id} would not pay: ${describeMargin(plan)}`, plan)
      : refuse(
          "MARGIN_BELOW_MINIMUM",
          `Margin of moving ${workload.id} is below the minimum: ${describeMargin(plan)}`,
          plan,
        );
  }
  return { ...base, accepted: true, plan, refusalCode: null, refusalReason: null };
}

function pickTarget(
  index: MarketIndex,
  ref: RegionRef,
  workload: WorkloadCostInput,
):
  | { readonly market: UsableMarket; readonly choice: InstanceChoice }
  | { readonly problem: MarketProblem | { readonly kind: "nothing-fits" } } {
  for (const market of index.inRegion(ref)) {
    const choice = market.choose(workload);
    if (choice !== null) return { market, choice };
  }
  return { problem: index.explain(ref, workload) };
}

const ERROR_CODE_BY_REFUSAL: Record<PlanRefusalCode, ErrorCodeName> = {
  PROTECTED: "FAILED_PRECONDITION",
  PINNED: "FAILED_PRECONDITION",
  SOURCE_PRICE_UNAVAILABLE: "FAILED_PRECONDITION",
  TARGET_UNKNOWN: "NOT_FOUND",
  TARGET_AMBIGUOUS: "INVALID_ARGUMENT",
  TARGET_IS_SOURCE: "FAILED_PRECONDITION",
  TARGET_NOT_ALLOWED: "FAILED_PRECONDITION",
  TARGET_NOT_LIVE: "FAILED_PRECONDITION",
  TARGET_PRICE_STALE: "FAILED_PRECONDITION",
  TARGET_NOTHING_FITS: "FAILED_PRECONDITION",
  NO_TARGET: "FAILED_PRECONDITION",
  MARGIN_NOT_POSITIVE: "FAILED_PRECONDITION",
  MARGIN_BELOW_MINIMUM: "FAILED_PRECONDITION",
};

/**
 * The error a refused plan answers with: FAILED_PRECONDITION (NOT_FOUND for an unknown region,
 * INVALID_ARGUMENT for an ambiguous one) whose details carry the refusal code and every number.
 */
export function planRefusalError(result: MigrationPlanResult): SentraError {
  const code = result.refusalCode ?? "MARGIN_NOT_POSITIVE";
  return new SentraError(ERROR_CODE_BY_REFUSAL[code], result.refusalReason ?? "Plan refused", {
    details: {
      refusalCode: code,
      workloadId: result.workloadId,
      source: result.source,
      requestedTarget: result.requestedTarget,
      evaluatedAtMs: result.evaluatedAtMs,
      plan: result.plan,
    },
  });
}

/** Returns the plan of an accepted dry run; throws {@link planRefusalError} otherwise. */
export function assertPlanAccepted(result: MigrationPlanResult): MigrationPlan {
  if (result.accepted && result.plan !== null) return result.plan;
  throw planRefusalError(result);
}
