import { create } from "@bufbuild/protobuf";
import type { V1Deployment } from "@kubernetes/client-node";
import { timestampFromDate, type Workload, WorkloadSchema } from "@sentra/proto";
import { parseQuantity } from "./resource-quantity.js";

/** Annotation prefix carried to the coordinator (state size, pinning, region restrictions). */
export const SENTRA_ANNOTATION_PREFIX = "sentra.io/";

/** Where a workload lives, as the mapper needs it. */
export interface WorkloadLocation {
  satelliteId: string;
  cluster: string;
  region: string;
  cloud: string;
}

/** Maps a Deployment to the wire Workload: per-replica requests summed over its containers. */
export function toWorkload(deployment: V1Deployment, location: WorkloadLocation, now = new Date()): Workload {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  let cpuCores = 0;
  let memoryBytes = 0;
  for (const container of containers) {
    cpuCores += safeQuantity(container.resources?.requests?.cpu);
    memoryBytes += safeQuantity(container.resources?.requests?.memory);
  }
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (key.startsWith(SENTRA_ANNOTATION_PREFIX) && !key.startsWith(`${SENTRA_ANNOTATION_PREFIX}last-`)) {
      annotations[key] = value;
    }
  }
  return create(WorkloadSchema, {
    ref: {
      satelliteId: location.satelliteId,
      cluster: location.cluster,
      namespace: deployment.metadata?.namespace ?? "default",
      name: deployment.metadata?.name ?? "",
    },
    desiredReplicas: deployment.spec?.replicas ?? 1,
    readyReplicas: deployment.status?.readyReplicas ?? 0,
    cpuMillicores: Math.round(cpuCores * 1000),
    memoryBytes: BigInt(Math.round(memoryBytes)),
    image: containers[0]?.image ?? "",
    labels: { ...(deployment.metadata?.labels ?? {}) },
    annotations,
    resourceVersion: deployment.metadata?.resourceVersion ?? "",
    observedAt: timestampFromDate(now),
    region: location.region,
    cloud: location.cloud,
  });
}

/** A malformed quantity in one container must not hide the whole workload from the estate. */
function safeQuantity(quantity: string | undefined): number {
  try {
    return parseQuantity(quantity);
  } catch {
    return 0;
  }
}
