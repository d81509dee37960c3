import type { CompiledArbitrageOptions } from "./arbitrage-options.js";
import { hourlyCostUsd, type InstanceChoice } from "./cost-model.js";
import type { EgressQuote } from "./egress-price-table.js";
import { priceAgeSeconds, type UsableMarket } from "./market-index.js";
import type { PriceOrigin } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** One end of a move: where, on which instance, at what price and how old that price is. */
export interface PlanSide {
  readonly cloud: string;
  readonly region: string;
  readonly satelliteId: string;
  readonly cluster: string;
  readonly instanceType: string;
  /** Spot price of one instance, USD per hour. */
  readonly instanceUsdPerHour: number;
  readonly instanceVcpus: number;
  readonly instanceMemoryGib: number;
  /** Fraction of one instance a replica occupies. */
  readonly instanceShare: number;
  /** `replicas × share × instanceUsdPerHour`, USD per hour. */
  readonly costUsdPerHour: number;
  readonly priceObservedAtMs: number;
  readonly priceAgeSeconds: number;
  /** Where the price came from; automatic mode acts on `live` prices only unless told otherwise. */
  readonly priceSource: PriceOrigin;
}

/**
 * The full arithmetic of moving one workload, as shown by a dry run and carried by every
 * opportunity:
 *
 * ```
 * savingsUsd = (costNowUsdPerHour − costTargetUsdPerHour) × horizonHours
 * egressUsd  = stateGb × egressUsdPerGb
 * overlapUsd = (costNowUsdPerHour + costTargetUsdPerHour) × readinessEstimateSeconds / 3600
 * marginUsd  = savingsUsd − egressUsd − overlapUsd
 * ```
 */
export interface MigrationPlan {
  readonly workloadId: string;
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly source: PlanSide;
  readonly target: PlanSide;
  readonly costNowUsdPerHour: number;
  readonly costTargetUsdPerHour: number;
  readonly horizonHours: number;
  readonly savingsUsd: number;
  /** GB of state the move transfers. */
  readonly stateGb: number;
  /** Whether `stateGb` came from the workload (`sentra.io/state-gb`) or the default. */
  readonly stateGbFrom: "workload" | "default";
  readonly egressUsdPerGb: number;
  /** Which egress rule priced the pair (`same-region`, `override`, `default`) and its source id. */
  readonly egressPriceMatch: EgressQuote["match"];
  readonly egressPriceSource: string | null;
  readonly egressUsd: number;
  readonly readinessEstimateSeconds: number;
  readonly overlapUsd: number;
  readonly marginUsd: number;
  readonly minMarginUsd: number;
}

/** The numbers the margin formula needs. */
export interface MarginInputs {
  /** USD per hour. */
  readonly costNowUsdPerHour: number;
  /** USD per hour. */
  readonly costTargetUsdPerHour: number;
  readonly stateGb: number;
  readonly egressUsdPerGb: number;
}

/** The terms of the margin formula, USD. */
export interface MarginTerms {
  readonly savingsUsd: number;
  readonly egressUsd: number;
  readonly overlapUsd: number;
  readonly marginUsd: number;
}

/**
 * `margin = (cost_now − cost_target) × horizon − state_GB × egress_per_GB − overlap`, where the
 * overlap is both copies running (make-before-break) while the target becomes ready.
 */
export function migrationMargin(
  inputs: MarginInputs,
  options: Pick<CompiledArbitrageOptions, "horizonHours" | "readinessEstimateSeconds">,
): MarginTerms {
  const savingsUsd = (inputs.costNowUsdPerHour - inputs.costTargetUsdPerHour) * options.horizonHours;
  const egressUsd = inputs.stateGb * inputs.egressUsdPerGb;
  const overlapUsd =
    ((inputs.costNowUsdPerHour + inputs.costTargetUsdPerHour) * options.readinessEstimateSeconds) / 3600;
  return { savingsUsd, egressUsd, overlapUsd, marginUsd: savingsUsd - egressUsd - overlapUsd };
}

/** A margin is good enough when it is strictly positive and at least the configured minimum. */
export function marginAccepted(marginUsd: number, minMarginUsd: number): boolean {
  return marginUsd > 0 && marginUsd >= minMarginUsd;
}

/** Describes one end of a move. */
export function planSide(market: UsableMarket, choice: InstanceChoice, replicas: number, nowMs: number): PlanSide {
  return {
    cloud: market.market.cloud,
    region: market.market.region,
    satelliteId: market.market.satelliteId,
    cluster: market.market.cluster,
    instanceType: choice.price.instanceType,
    instanceUsdPerHour: choice.price.usdPerHour,
    instanceVcpus: choice.price.vcpus,
    instanceMemoryGib: choice.price.memoryGib,
    instanceShare: choice.share,
    costUsdPerHour: hourlyCostUsd(replicas, choice),
    priceObservedAtMs: choice.price.observedAtMs,
    priceAgeSeconds: priceAgeSeconds(nowMs, choice.price.observedAtMs),
    priceSource: choice.price.source ?? "unknown",
  };
}

/**
 * The one place the margin formula lives; the finder, the planner and the backtest all call it.
 */
export function computeMigrationPlan(
  workload: WorkloadCostInput,
  source: PlanSide,
  target: PlanSide,
  options: CompiledArbitrageOptions,
): MigrationPlan {
  const stateGb = workload.stateGb ?? options.defaultStateGb;
  const egress = options.egressPrices.quote(source, target);
  const terms = migrationMargin(
    {
      costNowUsdPerHour: source.costUsdPerHour,
      costTargetUsdPerHour: target.costUsdPerHour,
      stateGb,
      egressUsdPerGb: egress.usdPerGb,
    },
    options,
  );
  return {
    workloadId: workload.id,
    namespace: workload.namespace,
    name: workload.name,
    replicas: workload.replicas,
    source,
    target,
    costNowUsdPerHour: source.costUsdPerHour,
    costTargetUsdPerHour: target.costUsdPerHour,
    horizonHours: options.horizonHours,
    savingsUsd: terms.savingsUsd,
    stateGb,
    stateGbFrom: workload.stateGb === undefined ? "default" : "workload",
    egressUsdPerGb: egress.usdPerGb,
    egressPriceMatch: egress.match,
    egressPriceSource: egress.rule?.source.id ?? null,
    egressUsd: terms.egressUsd,
    readinessEstimateSeconds: options.readinessEstimateSeconds,
    overlapUsd: terms.overlapUsd,
    marginUsd: terms.marginUsd,
    minMarginUsd: options.minMarginUsd,
  };
}
