import type { RegionRef } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** A workload's pin and region/cloud restrictions, compiled once per decision. */
export interface PlacementConstraints {
  readonly pinned: boolean;
  /** Null when the target is allowed; otherwise why not. */
  check(target: RegionRef): string | null;
  allows(target: RegionRef): boolean;
}

/**
 * Compiles `pinned`, `allowedRegions` (entries `region` or `cloud:region`) and `allowedClouds`.
 * A target must pass both lists when both are given.
 */
export function compilePlacementConstraints(
  workload: Pick<WorkloadCostInput, "pinned" | "allowedRegions" | "allowedClouds">,
): PlacementConstraints {
  const regions = workload.allowedRegions === undefined ? null : new Set(workload.allowedRegions);
  const clouds = workload.allowedClouds === undefined ? null : new Set(workload.allowedClouds);
  const check = (target: RegionRef): string | null => {
    if (clouds !== null && !clouds.has(target.cloud)) {
      return `cloud ${target.cloud} is not in allowed clouds [${[...clouds].join(", ")}]`;
    }
    if (regions !== null && !regions.has(target.region) && !regions.has(`${target.cloud}:${target.region}`)) {
      return `region ${target.cloud}:${target.region} is not in allowed regions [${[...regions].join(", ")}]`;
    }
    return null;
  };
  return {
    pinned: workload.pinned === true,
    check,
    allows: (target) => check(target) === null,
  };
}
