import { SentraError } from "@sentra/common";
import type { MigrationPlan } from "@sentra/proto";
import type { CompiledArbitrageOptions } from "../arbitrage/arbitrage-options.js";
import type { MigrationPlan as ArbitragePlan } from "../arbitrage/migration-plan.js";
import { type MigrationPlanResult, planMigration, planRefusalError } from "../arbitrage/migration-planner.js";
import {
  copyRegionsOf,
  type EstateSnapshot,
  planJson,
  planResultToMessage,
  toCostInput,
  toRegionMarkets,
  workloadIdOf,
} from "./arbitrage-estate-adapter.js";
import type { EstateSnapshotReader } from "./estate-snapshot-reader.js";
import type { WorkloadLocation } from "./satellite-gateway.js";

/** Names a copy of a workload; `cluster` may be empty when the satellite has one cluster with it. */
export type WorkloadLocator = WorkloadLocation;

/** Refusal code of a target region without a copy of the Deployment (besides the planner's codes). */
export const TARGET_HAS_NO_DEPLOYMENT = "TARGET_HAS_NO_DEPLOYMENT";

/** A dry run: the verdict, the wire plan and the resolved source. */
export interface DryRunOutcome {
  readonly accepted: boolean;
  /** Priced plan; null when a needed price was unusable. */
  readonly plan: ArbitragePlan | null;
  readonly message: MigrationPlan;
  /** The source copy, with its cluster resolved. */
  readonly source: WorkloadLocation;
  readonly refusalCode: string | null;
  /** The error a refusal answers with (FAILED_PRECONDITION, NOT_FOUND, INVALID_ARGUMENT), details = the plan JSON. */
  readonly refusal: SentraError | null;
}

/**
 * Dry run over the live estate (`PlanMigration`, and again at the start of every `Migrate`): finds
 * the source copy in the inventory, prices the move with the arbitrage planner and refuses a target
 * region that has no copy of the Deployment (Sentra scales existing copies; it does not create
 * Deployments).
 */
export class MigrationDryRun {
  constructor(
    private readonly reader: EstateSnapshotReader,
    private readonly options: CompiledArbitrageOptions,
  ) {}

  async plan(locator: WorkloadLocator, targetRegion: string | undefined): Promise<DryRunOutcome> {
    return this.planOn(await this.reader.snapshot(), locator, targetRegion);
  }

  /** The dry run on one snapshot of the estate (no I/O). */
  planOn(snapshot: EstateSnapshot, locator: WorkloadLocator, targetRegion: string | undefined): DryRunOutcome {
    const workload = findSource(snapshot, locator);
    const ref = workload.ref as NonNullable<typeof workload.ref>;
    const source: WorkloadLocation = {
      satelliteId: ref.satelliteId,
      cluster: ref.cluster,
      namespace: ref.namespace,
      name: ref.name,
    };
    const markets = toRegionMarkets(snapshot.satellites, snapshot.prices);
    const copies = copyRegionsOf(snapshot.workloads).get(workloadIdOf(ref)) ?? [];
    // An explicit target is priced even without a copy there, so the refusal can show the numbers;
    // the best target is only sought among regions that hold a copy.
    const input = targetRegion === undefined ? toCostInput(workload, copies) : toCostInput(workload);
    let result: MigrationPlanResult = planMigration(input, targetRegion, markets, snapshot.nowMs, this.options);
    let refusalCode: string | null = result.refusalCode;

    if (result.refusalCode === "NO_TARGET" && copies.length <= 1) {
      result = {
        ...result,
        refusalReason: `${result.refusalReason}: no other region has a Deployment ${workloadIdOf(ref)} to move to (Sentra moves replicas between existing copies)`,
      };
    }
    const plan = result.plan;
    if (result.accepted && plan !== null) {
      const hasCopy = snapshot.workloads.some(
        (candidate) =>
          candidate.ref?.satelliteId === plan.target.satelliteId &&
          candidate.ref.cluster === plan.target.cluster &&
          candidate.ref.namespace === ref.namespace &&
          candidate.ref.name === ref.name,
      );
      if (!hasCopy) {
        refusalCode = TARGET_HAS_NO_DEPLOYMENT;
        result = {
          ...result,
          accepted: false,
          refusalReason: `${workloadIdOf(ref)} has no Deployment in cluster ${plan.target.cluster} of ${plan.target.cloud}:${plan.target.region} (satellite ${plan.target.satelliteId}): Sentra moves replicas between existing copies; create the Deployment there first (0 replicas is fine)`,
        };
      }
    }

    const message = planResultToMessage(result, source);
    if (refusalCode === TARGET_HAS_NO_DEPLOYMENT) message.refusalCode = TARGET_HAS_NO_DEPLOYMENT;
    if (result.accepted) {
      return { accepted: true, plan, message, source, refusalCode: null, refusal: null };
    }
    const error = planRefusalError(result);
    return {
      accepted: false,
      plan,
      message,
      source,
      refusalCode,
      refusal: new SentraError(
        refusalCode === TARGET_HAS_NO_DEPLOYMENT ? "FAILED_PRECONDITION" : error.code,
        result.refusalReason ?? "plan refused",
        { details: planJson(message), ...(error.code === "INVALID_ARGUMENT" ? { field: "target_region" } : {}) },
      ),
    };
  }
}

/** The source copy in the inventory; NOT_FOUND or INVALID_ARGUMENT naming the field otherwise. */
function findSource(snapshot: EstateSnapshot, locator: WorkloadLocator) {
  const matches = snapshot.workloads.filter(
    (workload) =>
      workload.ref?.satelliteId === locator.satelliteId &&
      workload.ref.namespace === locator.namespace &&
      workload.ref.name === locator.name &&
      (locator.cluster === "" || workload.ref.cluster === locator.cluster),
  );
  const [first, second] = matches;
  if (first !== undefined && second === undefined) return first;
  if (second !== undefined) {
    throw new SentraError(
      "INVALID_ARGUMENT",
      `workload.cluster: satellite ${locator.satelliteId} runs ${locator.namespace}/${locator.name} in several clusters (${matches.map((m) => m.ref?.cluster).join(", ")}); name one`,
      { field: "workload.cluster" },
    );
  }
  if (!snapshot.satellites.some((satellite) => satellite.id === locator.satelliteId)) {
    throw new SentraError("NOT_FOUND", `satellite ${locator.satelliteId} is not known to the estate`, {
      field: "workload.satellite_id",
    });
  }
  throw new SentraError(
    "NOT_FOUND",
    `no Deployment ${locator.namespace}/${locator.name}${locator.cluster ? ` in cluster ${locator.cluster}` : ""} on satellite ${locator.satelliteId} (inventory as last pulled)`,
    { field: "workload.name" },
  );
}
