import type { InstancePrice } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** Bytes in one GiB (Kubernetes `Gi`). */
export const BYTES_PER_GIB = 1024 ** 3;

/** The resource requests that decide a workload's instance choice (one replica). */
export type WorkloadShape = Pick<WorkloadCostInput, "cpuMillicores" | "memoryBytes" | "instanceType">;

/** The instance type a workload would run on in one region, and what that costs. */
export interface InstanceChoice {
  readonly price: InstancePrice;
  /** Fraction of one instance a replica occupies (0–1], see {@link instanceShare}. */
  readonly share: number;
  /** `share × usdPerHour`: cost of one replica, USD per hour. */
  readonly usdPerReplicaHour: number;
}

/**
 * Fraction of one instance a replica occupies when pods are bin-packed:
 * `max(cpu / vcpus, memory / memoryGib)`. The larger ratio wins because whichever resource runs out
 * first decides how many replicas fit on the instance. Above 1 the replica does not fit at all.
 */
export function instanceShare(shape: WorkloadShape, price: Pick<InstancePrice, "vcpus" | "memoryGib">): number {
  const cpuShare = price.vcpus > 0 ? shape.cpuMillicores / 1000 / price.vcpus : Number.POSITIVE_INFINITY;
  const memoryShare =
    price.memoryGib > 0 ? shape.memoryBytes / BYTES_PER_GIB / price.memoryGib : Number.POSITIVE_INFINITY;
  return Math.max(cpuShare, memoryShare);
}

/**
 * Picks the instance type a workload runs on among the prices offered in one region: the lowest
 * cost per replica (`share × usdPerHour`) among the types one replica fits on (share ≤ 1); when the
 * workload names an `instanceType`, only that type. Ties go to the lower hourly price, then the
 * type name, so the choice is deterministic. Returns null when nothing fits.
 *
 * The caller passes only prices it may use (fresh, from a live satellite).
 */
export function selectInstance(shape: WorkloadShape, prices: readonly InstancePrice[]): InstanceChoice | null {
  let best: InstanceChoice | null = null;
  for (const price of prices) {
    if (shape.instanceType !== undefined && price.instanceType !== shape.instanceType) continue;
    const share = instanceShare(shape, price);
    if (!(share <= 1)) continue;
    const usdPerReplicaHour = share * price.usdPerHour;
    if (
      best === null ||
      usdPerReplicaHour < best.usdPerReplicaHour ||
      (usdPerReplicaHour === best.usdPerReplicaHour &&
        (price.usdPerHour < best.price.usdPerHour ||
          (price.usdPerHour === best.price.usdPerHour && price.instanceType < best.price.instanceType)))
    ) {
      best = { price, share, usdPerReplicaHour };
    }
  }
  return best;
}

/** Hourly cost of a workload on a chosen instance: `replicas × share × spot price`, USD per hour. */
export function hourlyCostUsd(replicas: number, choice: InstanceChoice): number {
  return replicas * choice.usdPerReplicaHour;
}
