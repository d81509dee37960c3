import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import type {
  MigrationPlanView,
  MigrationStateView,
  MigrationView,
  OpportunityView,
  PlanSideView,
  WorkloadRefView,
} from "@sentra/common";
import { type Migration, type MigrationPlan, MigrationPlanSchema, MigrationState, msOf } from "@sentra/proto";
import { regionKey, toPriceSourceView } from "./dashboard-views.js";

/** Arbitrage and migration messages (protobuf) → the dashboard protocol's plain JSON views. */

/**
 * Hours of saving that pay back the one-off costs of a move (egress and the overlap of both
 * copies); null when the move saves nothing per hour, so it never pays back.
 */
export function breakEvenHours(savingUsdPerHour: number, egressUsd: number, overlapUsd: number): number | null {
  if (!(savingUsdPerHour > 0)) return null;
  return (egressUsd + overlapUsd) / savingUsdPerHour;
}

/** A dry run (or a ranking entry) as the dashboard shows its arithmetic. */
export function toPlanView(plan: MigrationPlan): MigrationPlanView {
  const workload: WorkloadRefView = {
    satelliteId: plan.workload?.satelliteId || plan.sourceSatelliteId,
    cluster: plan.workload?.cluster || plan.sourceCluster,
    namespace: plan.workload?.namespace ?? "",
    name: plan.workload?.name ?? "",
  };
  const savingUsdPerHour = plan.priced ? plan.costNowUsdPerHour - plan.costTargetUsdPerHour : 0;
  const source: PlanSideView = {
    regionKey: regionKey(plan.sourceCloud, plan.sourceRegion),
    satelliteId: plan.sourceSatelliteId || workload.satelliteId,
    cluster: plan.sourceCluster || workload.cluster,
    instanceType: plan.sourceInstanceType,
    instanceUsdPerHour: plan.sourcePriceUsdPerHour,
    instanceShare: plan.sourceInstanceShare,
    usdPerHour: plan.costNowUsdPerHour,
    priceObservedAtMs: msOf(plan.sourcePriceObservedAt),
    priceSource: toPriceSourceView(plan.sourcePriceSource),
  };
  const target: PlanSideView = {
    regionKey: plan.targetCloud || plan.targetRegion ? regionKey(plan.targetCloud, plan.targetRegion) : "",
    satelliteId: plan.targetSatelliteId,
    cluster: plan.targetCluster,
    instanceType: plan.targetInstanceType,
    instanceUsdPerHour: plan.targetPriceUsdPerHour,
    instanceShare: plan.targetInstanceShare,
    usdPerHour: plan.costTargetUsdPerHour,
    priceObservedAtMs: msOf(plan.targetPriceObservedAt),
    priceSource: toPriceSourceView(plan.targetPriceSource),
  };
  return {
    workload,
    workloadId: `${workload.namespace}/${workload.name}`,
    replicas: plan.replicas,
    source,
    target,
    priced: plan.priced,
    savingUsdPerHour,
    horizonHours: plan.horizonHours,
    savingsUsd: plan.savings24hUsd,
    stateGb: plan.stateGb,
    stateGbFrom: plan.stateGbFrom,
    egressUsdPerGb: plan.egressUsdPerGb,
    egressUsd: plan.egressUsd,
    egressPriceMatch: plan.egressPriceMatch,
    readinessEstimateSeconds: plan.readinessEstimateSeconds,
    overlapUsd: plan.overlapUsd,
    marginUsd: plan.marginUsd,
    minMarginUsd: plan.minMarginUsd,
    breakEvenHours: plan.priced ? breakEvenHours(savingUsdPerHour, plan.egressUsd, plan.overlapUsd) : null,
    accepted: plan.accepted,
    refusalCode: plan.refusalCode,
    refusalReason: plan.refusalReason,
    evaluatedAtMs: msOf(plan.evaluatedAt),
  };
}

/** One entry of the ranking, keyed by workload id (the ranking keeps the best move per id). */
export function toOpportunityView(plan: MigrationPlan): OpportunityView {
  const view = toPlanView(plan);
  return { key: view.workloadId, ...view };
}

/**
 * The plan a refused dry run carries in its error details (the REST 412 body's `details`: the
 * plan in proto JSON), or undefined when the details are something else (a lock holder…).
 */
export function planViewFromDetails(details: unknown): MigrationPlanView | undefined {
  if (typeof details !== "object" || details === null) return undefined;
  if (!("refusalReason" in details) && !("refusalCode" in details)) return undefined;
  try {
    return toPlanView(fromJson(MigrationPlanSchema, details as JsonValue, { ignoreUnknownFields: true }));
  } catch {
    return undefined;
  }
}

export function toMigrationStateView(state: MigrationState): MigrationStateView {
  const name = MigrationState[state] as MigrationStateView | undefined;
  return name ?? "UNSPECIFIED";
}

/** A journalled migration with its steps. */
export function toMigrationView(migration: Migration): MigrationView {
  const plan = migration.plan ? toPlanView(migration.plan) : null;
  const workload: WorkloadRefView = plan?.workload ?? { satelliteId: "", cluster: "", namespace: "", name: "" };
  return {
    key: migration.id,
    id: migration.id,
    workload,
    workloadId: `${workload.namespace}/${workload.name}`,
    sourceRegionKey: plan?.source.regionKey ?? "",
    targetRegionKey: plan?.target.regionKey ?? "",
    targetSatelliteId: plan?.target.satelliteId ?? "",
    targetCluster: plan?.target.cluster ?? "",
    state: toMigrationStateView(migration.state),
    steps: migration.steps.map((step) => ({
      sequence: step.sequence,
      state: toMigrationStateView(step.state),
      atMs: msOf(step.at),
      detail: step.detail,
    })),
    plan,
    error: migration.error,
    requestedBy: migration.requestedBy,
    sourceReplicas: migration.sourceReplicas,
    targetReplicasBefore: migration.targetReplicasBefore,
    targetReplicasGoal: migration.targetReplicasGoal,
    readyDeadlineMs: msOf(migration.readyDeadline),
    createdAtMs: msOf(migration.createdAt),
    updatedAtMs: msOf(migration.updatedAt),
    finishedAtMs: msOf(migration.finishedAt),
  };
}
