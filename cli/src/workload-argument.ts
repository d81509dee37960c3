import { SentraError } from "@sentra/common";
import type { WorkloadRef } from "@sentra/proto";

/**
 * A workload as `sentra workloads` prints it: `satellite/namespace/name`, or
 * `satellite/cluster/namespace/name` when the satellite runs it in several clusters.
 */
export function parseWorkloadArgument(
  value: string,
  field = "<workload>",
): Pick<WorkloadRef, "satelliteId" | "cluster" | "namespace" | "name"> {
  const parts = value.split("/");
  if (parts.some((part) => part === "") || (parts.length !== 3 && parts.length !== 4)) {
    throw SentraError.invalidArgument(
      field,
      `${JSON.stringify(value)} is not satellite/namespace/name or satellite/cluster/namespace/name`,
    );
  }
  const [satelliteId = "", ...rest] = parts;
  const [cluster, namespace = "", name = ""] = rest.length === 3 ? rest : ["", ...rest];
  return { satelliteId, cluster: cluster ?? "", namespace, name };
}

export function formatWorkloadRef(
  ref: Pick<WorkloadRef, "satelliteId" | "cluster" | "namespace" | "name"> | undefined,
): string {
  if (!ref) return "-";
  return [ref.satelliteId, ref.namespace, ref.name].join("/");
}
