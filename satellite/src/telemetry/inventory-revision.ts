import { createHash } from "node:crypto";
import type { V1Deployment } from "@kubernetes/client-node";

/** A cluster as the revision needs it: its name and its cached Deployments. */
export interface InventorySource {
  readonly name: string;
  deployments(): readonly V1Deployment[];
}

/**
 * A short token that changes whenever what ListWorkloads returns changes, sent in every heartbeat
 * so the coordinator pulls the inventory only then. Kubernetes bumps a Deployment's
 * resourceVersion on every spec, metadata and status change; replicas and image are hashed too,
 * for a cluster that leaves resourceVersion empty.
 */
export function inventoryRevision(clusters: readonly InventorySource[]): string {
  const entries: string[] = [];
  for (const cluster of clusters) {
    for (const deployment of cluster.deployments()) {
      const { metadata, spec, status } = deployment;
      entries.push(
        [
          cluster.name,
          metadata?.namespace ?? "default",
          metadata?.name ?? "",
          metadata?.resourceVersion ?? "",
          spec?.replicas ?? 1,
          status?.readyReplicas ?? 0,
          spec?.template?.spec?.containers?.[0]?.image ?? "",
        ].join("\u0000"),
      );
    }
  }
  entries.sort();
  const hash = createHash("sha256");
  for (const entry of entries) hash.update(entry).update("\u0001");
  return hash.digest("hex").slice(0, 16);
}
