import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import {
  Liveness,
  type MigrationPlan,
  MigrationPlanSchema,
  PriceSource,
  priceSourceName,
  type Satellite,
  type SpotPrice,
  timestampFromMs,
  timestampMs,
  type Workload,
} from "@sentra/proto";
import { parseArbitrageAnnotations } from "../arbitrage/annotations.js";
import type { MigrationPlan as ArbitragePlan } from "../arbitrage/migration-plan.js";
import type { MigrationPlanResult } from "../arbitrage/migration-planner.js";
import { compilePlacementConstraints } from "../arbitrage/placement-constraints.js";
import {
  type InstancePrice,
  type PriceOrigin,
  type RegionMarket,
  type RegionRef,
  regionKey,
} from "../arbitrage/region-market.js";
import type { WorkloadCostInput } from "../arbitrage/workload-cost-input.js";
import { protectedWorkloadReason } from "../arbitrage/workload-protection.js";

/**
 * The one place protobuf (what Redis holds) becomes the arbitrage module's plain inputs, and the
 * arbitrage module's plans become protobuf again.
 */

/** The estate as Redis holds it at one instant. */
export interface EstateSnapshot {
  readonly nowMs: number;
  /** Every known satellite, with liveness judged at `nowMs`. */
  readonly satellites: readonly Satellite[];
  /** Current (not expired) prices: the cheapest zone per cloud, region and instance type. */
  readonly prices: readonly SpotPrice[];
  /** Every satellite's last inventory. */
  readonly workloads: readonly Workload[];
}

/** A workload the finder could not use, and why (a bad `sentra.io/*` annotation). */
export interface RejectedWorkload {
  readonly workload: Workload;
  readonly error: SentraError;
}

/** What the finder and the planner consume, derived from one snapshot. */
export interface ArbitrageView {
  readonly nowMs: number;
  readonly markets: RegionMarket[];
  /** One input per copy of a workload, restricted to regions where a copy exists (see {@link toCostInput}). */
  readonly workloads: WorkloadCostInput[];
  readonly rejected: RejectedWorkload[];
}

/** `namespace/name`: the id arbitrage uses for a workload, the same for all its copies. */
export function workloadIdOf(ref: { readonly namespace: string; readonly name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

/**
 * One market per (satellite, cluster): several clusters in one region are separate markets with
 * the region's prices. A satellite reporting no cluster yields one market with an empty cluster.
 */
export function toRegionMarkets(satellites: readonly Satellite[], prices: readonly SpotPrice[]): RegionMarket[] {
  const byRegion = new Map<string, InstancePrice[]>();
  for (const price of prices) {
    const key = regionKey({ cloud: price.cloud, region: price.region });
    const list = byRegion.get(key) ?? [];
    list.push({
      instanceType: price.instanceType,
      usdPerHour: price.usdPerHour,
      vcpus: price.vcpus,
      memoryGib: price.memoryGib,
      observedAtMs: price.observedAt === undefined ? 0 : timestampMs(price.observedAt),
      source: priceOriginOf(price.source),
    });
    byRegion.set(key, list);
  }
  const markets: RegionMarket[] = [];
  for (const satellite of satellites) {
    if (satellite.region === undefined) continue;
    const ref = { cloud: satellite.region.cloud, region: satellite.region.name };
    const clusters = satellite.clusters.length > 0 ? satellite.clusters.map((cluster) => cluster.cluster) : [""];
    for (const cluster of clusters) {
      markets.push({
        ...ref,
        satelliteId: satellite.id,
        cluster,
        live: satellite.liveness === Liveness.LIVE,
        prices: byRegion.get(regionKey(ref)) ?? [],
      });
    }
  }
  return markets;
}

/** The wire's price source as the arbitrage module's plain origin. */
export function priceOriginOf(source: PriceSource): PriceOrigin {
  return priceSourceName(source);
}

/** The arbitrage module's price origin on the wire. */
export function priceSourceOf(origin: PriceOrigin): PriceSource {
  switch (origin) {
    case "live":
      return PriceSource.LIVE;
    case "model":
      return PriceSource.MODEL;
    case "replay":
      return PriceSource.REPLAY;
    case "unknown":
      return PriceSource.UNSPECIFIED;
  }
}

/** Regions that hold a copy (a Deployment with the same namespace/name) of each workload id. */
export function copyRegionsOf(workloads: readonly Workload[]): Map<string, RegionRef[]> {
  const copies = new Map<string, RegionRef[]>();
  for (const workload of workloads) {
    if (workload.ref === undefined) continue;
    const id = workloadIdOf(workload.ref);
    const list = copies.get(id) ?? [];
    if (!list.some((ref) => ref.cloud === workload.cloud && ref.region === workload.region)) {
      list.push({ cloud: workload.cloud, region: workload.region });
    }
    copies.set(id, list);
  }
  return copies;
}

/**
 * A workload copy as the arbitrage module sees it. Its `sentra.io/*` annotations are parsed (a bad
 * one throws INVALID_ARGUMENT naming it). With `copyRegions`, the allowed targets are narrowed to
 * regions holding a copy of the same Deployment (Sentra moves replicas, not manifests), within
 * what the annotations allow.
 */
export function toCostInput(workload: Workload, copyRegions?: readonly RegionRef[]): WorkloadCostInput {
  const ref = workload.ref;
  if (ref === undefined) throw SentraError.invalidArgument("workload.ref", "is required");
  const annotations = parseArbitrageAnnotations(workload.annotations);
  const protectedReason = protectedWorkloadReason({ namespace: ref.namespace, labels: workload.labels });
  const input: WorkloadCostInput = {
    id: workloadIdOf(ref),
    satelliteId: ref.satelliteId,
    cluster: ref.cluster,
    namespace: ref.namespace,
    name: ref.name,
    region: workload.region,
    cloud: workload.cloud,
    replicas: workload.desiredReplicas,
    cpuMillicores: workload.cpuMillicores,
    memoryBytes: Number(workload.memoryBytes),
    ...annotations,
    ...(protectedReason === null ? {} : { protectedReason }),
  };
  if (copyRegions === undefined) return input;
  const constraints = compilePlacementConstraints(annotations);
  const own = regionKey(input);
  return {
    ...input,
    allowedRegions: copyRegions
      .filter((region) => regionKey(region) !== own && constraints.allows(region))
      .map((region) => regionKey(region)),
  };
}

/** The finder's and planner's inputs for one snapshot; workloads with bad annotations are set aside. */
export function toArbitrageView(snapshot: EstateSnapshot): ArbitrageView {
  const copies = copyRegionsOf(snapshot.workloads);
  const workloads: WorkloadCostInput[] = [];
  const rejected: RejectedWorkload[] = [];
  for (const workload of snapshot.workloads) {
    if (workload.ref === undefined) continue;
    try {
      workloads.push(toCostInput(workload, copies.get(workloadIdOf(workload.ref)) ?? []));
    } catch (error) {
      rejected.push({ workload, error: SentraError.from(error) });
    }
  }
  return { nowMs: snapshot.nowMs, markets: toRegionMarkets(snapshot.satellites, snapshot.prices), workloads, rejected };
}

/**
 * The best move per workload id: the finder ranks each copy separately (copies share an id), so
 * keep the first, i.e. highest-margin, entry of each id. Input order (by margin) is preserved.
 */
export function bestPerWorkload<T extends { readonly workloadId: string }>(ranked: readonly T[]): T[] {
  const seen = new Set<string>();
  return ranked.filter((entry) => {
    if (seen.has(entry.workloadId)) return false;
    seen.add(entry.workloadId);
    return true;
  });
}

const requestedTargetText = (target: MigrationPlanResult["requestedTarget"]): string =>
  target === null ? "" : typeof target === "string" ? target : regionKey(target);

/** An accepted (or refused but priced) plan as the wire `MigrationPlan`. */
export function toPlanMessage(
  plan: ArbitragePlan,
  verdict: {
    readonly accepted: boolean;
    readonly refusalCode?: string | null;
    readonly refusalReason?: string | null;
    readonly requestedTarget?: string;
    readonly evaluatedAtMs: number;
  },
): MigrationPlan {
  return create(MigrationPlanSchema, {
    workload: {
      satelliteId: plan.source.satelliteId,
      cluster: plan.source.cluster,
      namespace: plan.namespace,
      name: plan.name,
    },
    sourceCloud: plan.source.cloud,
    sourceRegion: plan.source.region,
    sourceInstanceType: plan.source.instanceType,
    sourcePriceUsdPerHour: plan.source.instanceUsdPerHour,
    sourcePriceAgeSeconds: plan.source.priceAgeSeconds,
    sourcePriceObservedAt: timestampFromMs(plan.source.priceObservedAtMs),
    sourceInstanceShare: plan.source.instanceShare,
    sourcePriceSource: priceSourceOf(plan.source.priceSource),
    targetCloud: plan.target.cloud,
    targetRegion: plan.target.region,
    targetInstanceType: plan.target.instanceType,
    targetPriceUsdPerHour: plan.target.instanceUsdPerHour,
    targetPriceAgeSeconds: plan.target.priceAgeSeconds,
    targetPriceObservedAt: timestampFromMs(plan.target.priceObservedAtMs),
    targetInstanceShare: plan.target.instanceShare,
    targetPriceSource: priceSourceOf(plan.target.priceSource),
    sourceSatelliteId: plan.source.satelliteId,
    sourceCluster: plan.source.cluster,
    targetSatelliteId: plan.target.satelliteId,
    targetCluster: plan.target.cluster,
    costNowUsdPerHour: plan.costNowUsdPerHour,
    costTargetUsdPerHour: plan.costTargetUsdPerHour,
    savings24hUsd: plan.savingsUsd,
    horizonHours: plan.horizonHours,
    egressUsd: plan.egressUsd,
    egressUsdPerGb: plan.egressUsdPerGb,
    egressPriceMatch: plan.egressPriceMatch,
    egressPriceSource: plan.egressPriceSource ?? "",
    overlapUsd: plan.overlapUsd,
    readinessEstimateSeconds: plan.readinessEstimateSeconds,
    marginUsd: plan.marginUsd,
    minMarginUsd: plan.minMarginUsd,
    stateGb: plan.stateGb,
    stateGbFrom: plan.stateGbFrom,
    replicas: plan.replicas,
    accepted: verdict.accepted,
    refusalCode: verdict.refusalCode ?? "",
    refusalReason: verdict.refusalReason ?? "",
    requestedTarget: verdict.requestedTarget ?? "",
    evaluatedAt: timestampFromMs(verdict.evaluatedAtMs),
    priced: true,
  });
}

/**
 * A dry run's outcome as the wire `MigrationPlan`: every number when both prices were usable,
 * otherwise (`priced = false`) only who, where and why.
 */
export function planResultToMessage(
  result: MigrationPlanResult,
  source: { readonly satelliteId: string; readonly cluster: string; readonly namespace: string; readonly name: string },
): MigrationPlan {
  const requestedTarget = requestedTargetText(result.requestedTarget);
  if (result.plan !== null) {
    return toPlanMessage(result.plan, {
      accepted: result.accepted,
      refusalCode: result.refusalCode,
      refusalReason: result.refusalReason,
      requestedTarget,
      evaluatedAtMs: result.evaluatedAtMs,
    });
  }
  return create(MigrationPlanSchema, {
    workload: source,
    sourceSatelliteId: source.satelliteId,
    sourceCluster: source.cluster,
    sourceCloud: result.source.cloud,
    sourceRegion: result.source.region,
    accepted: false,
    refusalCode: result.refusalCode ?? "",
    refusalReason: result.refusalReason ?? "",
    requestedTarget,
    evaluatedAt: timestampFromMs(result.evaluatedAtMs),
    priced: false,
  });
}

/**
 * The JSON form REST answers and error details carry: proto JSON names (camelCase); a priced plan
 * shows every number, zeros included (an egress of 0 is a number, not an absence).
 */
export function planJson(plan: MigrationPlan): JsonObject {
  return toJson(MigrationPlanSchema, plan, { alwaysEmitImplicit: plan.priced }) as JsonObject;
}
