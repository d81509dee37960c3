import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { inventoryRevision } from "./inventory-revision.js";

const deployment = (name: string, resourceVersion: string, replicas = 2, readyReplicas = 2): V1Deployment => ({
  metadata: { name, namespace: "shop", resourceVersion },
  spec: {
    replicas,
    selector: {},
    template: { spec: { containers: [{ name: "app", image: "shop:1" }] } },
  },
  status: { readyReplicas },
});
const cluster = (name: string, deployments: V1Deployment[]) => ({ name, deployments: () => deployments });

describe("inventory revision", () => {
  it("is stable for the same inventory in any order and changes with any workload's change", () => {
    const base = inventoryRevision([cluster("a", [deployment("web", "10"), deployment("api", "11")])]);
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(inventoryRevision([cluster("a", [deployment("api", "11"), deployment("web", "10")])])).toBe(base);
    const changed = [
      [cluster("a", [deployment("web", "12"), deployment("api", "11")])], // any change bumps resourceVersion
      [cluster("a", [deployment("web", "", 3), deployment("api", "11")])], // no resourceVersion: replicas count
      [cluster("a", [deployment("web", "10", 2, 1), deployment("api", "11")])],
      [cluster("a", [deployment("web", "10")])], // one gone
      [cluster("b", [deployment("web", "10"), deployment("api", "11")])], // another cluster
    ];
    const revisions = changed.map((clusters) => inventoryRevision(clusters));
    for (const revision of revisions) expect(revision).not.toBe(base);
    expect(new Set(revisions).size).toBe(revisions.length);
  });
});
