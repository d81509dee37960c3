import type { HealthSummary, Region } from "@sentra/proto";

/**
 * `bound`: the satellite may speak only for its cloud, region and clusters. `pending`: it claimed
 * them and waits for an admin's approval (admission mode `approval`); ignored until then. `open`:
 * an admin asked it to be rebound; its next claim becomes its binding.
 */
export type BindingStatus = "bound" | "pending" | "open";

/** What a satellite id is bound to (or, pending, what it first claimed). */
export interface SatelliteBinding {
  readonly satelliteId: string;
  readonly cloud: string;
  readonly region: string;
  /** Kube context names, sorted. */
  readonly clusters: readonly string[];
  readonly status: BindingStatus;
  /** `first-use`, or the name of the admin token that approved or rebound it. */
  readonly boundBy: string;
  readonly updatedAtMs: number;
}

/** What one message says the satellite is; clusters only heartbeats carry. */
export interface SatelliteClaim {
  readonly cloud: string;
  readonly region: string;
  readonly clusters?: readonly string[];
}

/** `admit`: use the message. The others are drop reasons (`nats_messages_dropped_total{reason}`). */
export type ClaimVerdict = "admit" | "identity_mismatch" | "unapproved";

export function claimOfHealth(health: HealthSummary): SatelliteClaim {
  return claimOfRegion(health.region, health.clusters.map((cluster) => cluster.cluster).sort());
}

export function claimOfRegion(region: Region | undefined, clusters?: readonly string[]): SatelliteClaim {
  return { cloud: region?.cloud ?? "", region: region?.name ?? "", ...(clusters ? { clusters } : {}) };
}

/**
 * Judges a heartbeat against its satellite's binding: the cloud and region must be the bound
 * ones and every cluster it names a bound one (dropping a cluster is fine; adding one needs a
 * rebind). Allocation-free: it runs per heartbeat. An `open` binding is never judged: the claim
 * is first written as the new binding.
 */
export function judgeHealth(binding: SatelliteBinding, health: HealthSummary): ClaimVerdict {
  const verdict = judgeRegion(binding, health.region);
  if (verdict !== "admit") return verdict;
  for (const { cluster } of health.clusters) if (!binding.clusters.includes(cluster)) return "identity_mismatch";
  return "admit";
}

/** Judges a message that carries only a region (price snapshots). */
export function judgeRegion(binding: SatelliteBinding, region: Region | undefined): ClaimVerdict {
  if (binding.status === "pending") return "unapproved";
  if (binding.cloud !== (region?.cloud ?? "") || binding.region !== (region?.name ?? "")) return "identity_mismatch";
  return "admit";
}

/** Judges a workload the satellite reported: its cluster must be bound, its region its own. */
export function judgeWorkload(
  binding: SatelliteBinding,
  workload: {
    readonly cloud: string;
    readonly region: string;
    readonly ref?: { readonly satelliteId: string; readonly cluster: string };
  },
): ClaimVerdict {
  if (binding.status !== "bound") return binding.status === "pending" ? "unapproved" : "identity_mismatch";
  if (workload.ref?.satelliteId !== binding.satelliteId) return "identity_mismatch";
  if (workload.cloud !== binding.cloud || workload.region !== binding.region) return "identity_mismatch";
  if (!binding.clusters.includes(workload.ref?.cluster ?? "")) return "identity_mismatch";
  return "admit";
}

/** The difference between a binding and a refused claim, for the log (names only, never payloads). */
export function describeMismatch(binding: SatelliteBinding, claim: SatelliteClaim): Record<string, unknown> {
  return {
    bound: { cloud: binding.cloud, region: binding.region, clusters: binding.clusters },
    claimed: { cloud: claim.cloud, region: claim.region, ...(claim.clusters ? { clusters: claim.clusters } : {}) },
  };
}
