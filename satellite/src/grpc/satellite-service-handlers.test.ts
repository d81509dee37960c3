import { create } from "@bufbuild/protobuf";
import { KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { createLogger, SentraError } from "@sentra/common";
import { ScaleWorkloadRequestSchema } from "@sentra/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import { KubeCluster } from "../cluster/kube-cluster.js";
import { DEPLOYMENT_RESOURCE } from "../cluster/sim/deployment-kind.js";
import { SimulatedCluster } from "../cluster/sim/index.js";
import type { SatelliteIdentity } from "../satellite-identity.js";
import { createSatelliteServiceHandlers, MAX_SCALE_ATTEMPTS } from "./satellite-service-handlers.js";

/** A KubeCluster that lets a test act right after each read, before the command patches. */
class InterleavingCluster extends KubeCluster {
  afterRead: ((read: V1Deployment) => void) | undefined;
  reads = 0;

  override async getDeployment(namespace: string, name: string): Promise<V1Deployment> {
    const read = await super.getDeployment(namespace, name);
    this.reads += 1;
    this.afterRead?.(read);
    return read;
  }
}

const identity: SatelliteIdentity = {
  satelliteId: "aws-eu-west-1",
  region: { cloud: "aws", name: "eu-west-1" } as SatelliteIdentity["region"],
  version: "test",
};

/** ScaleWorkload against a simulated cluster through client-node, as a satellite runs it. */
describe("ScaleWorkload: optimistic concurrency on the Deployment's resourceVersion", () => {
  let sim: SimulatedCluster;
  let cluster: InterleavingCluster;
  let handlers: ReturnType<typeof createSatelliteServiceHandlers>;
  const workload = { cluster: "prod-a", namespace: "default", name: "checkout-api" };
  const scale = (fields: { replicas: number; idempotencyKey: string; expectedReplicas?: number }) =>
    // biome-ignore lint/style/noNonNullAssertion: every handler is defined
    handlers.scaleWorkload!(create(ScaleWorkloadRequestSchema, { workload, ...fields }), {} as never);

  beforeEach(async () => {
    sim = await SimulatedCluster.start({ name: "prod-a", seed: "demo", readinessDelayMs: 0 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml({ contextName: "prod-a" }));
    cluster = new InterleavingCluster("prod-a", kubeConfig, createLogger("test", "silent"));
    const registry = { names: () => ["prod-a"], get: () => cluster, all: () => [cluster] };
    handlers = createSatelliteServiceHandlers(identity, registry as unknown as ClusterRegistry);
  });
  afterEach(async () => {
    await sim.close();
  });

  const replicasNow = (): number => sim.getDeployment("default", "checkout-api")?.spec?.replicas ?? -1;
  const scaleBehindOurBack = (replicas: number): void => {
    sim.patchObject(DEPLOYMENT_RESOURCE, "default", "checkout-api", { spec: { replicas } });
  };

  it("never overwrites a scale that landed between its read and its patch: re-reads and refuses on expected_replicas", async () => {
    const before = replicasNow();
    // Someone (an HPA, kubectl) scales the Deployment right after the satellite read it.
    cluster.afterRead = () => {
      cluster.afterRead = undefined;
      scaleBehindOurBack(before + 7);
    };
    await expect(
      scale({ replicas: before + 2, idempotencyKey: "m-1/scale-up-target", expectedReplicas: before }),
    ).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "expected_replicas",
      details: { actual: before + 7, expected: before },
    });
    expect(replicasNow()).toBe(before + 7);
    expect(cluster.reads).toBe(2);
  });

  it("applies the command on the re-read when the concurrent change left its premise intact", async () => {
    const before = replicasNow();
    cluster.afterRead = () => {
      cluster.afterRead = undefined;
      sim.patchObject(DEPLOYMENT_RESOURCE, "default", "checkout-api", {
        metadata: { annotations: { "example.com/touched": "yes" } },
      });
    };
    const result = await scale({
      replicas: before + 2,
      idempotencyKey: "m-2/scale-up-target",
      expectedReplicas: before,
    });
    expect(result).toMatchObject({ previousReplicas: before, replayed: false });
    const stored = sim.getDeployment("default", "checkout-api");
    expect(stored?.spec?.replicas).toBe(before + 2);
    expect(stored?.metadata.annotations?.["example.com/touched"]).toBe("yes");
    expect(cluster.reads).toBe(2);
  });

  it("gives up with ABORTED after a bounded number of conflicts, having written nothing", async () => {
    const before = replicasNow();
    let bumps = 0;
    cluster.afterRead = () => {
      bumps += 1;
      sim.patchObject(DEPLOYMENT_RESOURCE, "default", "checkout-api", {
        metadata: { annotations: { "example.com/bump": String(bumps) } },
      });
    };
    const refused = scale({ replicas: before + 1, idempotencyKey: "m-3/scale-up-target" });
    await expect(refused).rejects.toBeInstanceOf(SentraError);
    await expect(refused).rejects.toMatchObject({ code: "ABORTED" });
    expect(cluster.reads).toBe(MAX_SCALE_ATTEMPTS);
    expect(replicasNow()).toBe(before);
  });
});
