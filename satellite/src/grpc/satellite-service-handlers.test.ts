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
import {
  createSatelliteServiceHandlers,
  FENCING_TOKENS_ANNOTATION,
  MAX_SCALE_ATTEMPTS,
} from "./satellite-service-handlers.js";

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
  const scale = (fields: {
    replicas: number;
    idempotencyKey: string;
    expectedReplicas?: number;
    fencingToken?: bigint;
    fencingScope?: string;
  }) =>
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

  describe("fencing: a deposed coordinator cannot act", () => {
    const fenced = (replicas: number, key: string, token: bigint, scope = "sentra:") =>
      scale({ replicas, idempotencyKey: key, fencingToken: token, fencingScope: scope });

    it("refuses a command whose fencing token is lower than one the estate already sent, even after a satellite restart", async () => {
      const before = replicasNow();
      await fenced(before + 1, "m-1/scale-up-target", 5n);
      // The saga's lock was taken over (token 8) and the new owner acted.
      await fenced(before + 2, "m-1/scale-up-target#resumed", 8n);
      expect(
        JSON.parse(
          sim.getDeployment("default", "checkout-api")?.metadata.annotations?.[FENCING_TOKENS_ANNOTATION] ?? "{}",
        ),
      ).toEqual({
        "sentra:": "8",
      });
      // The deposed owner (token 5) wakes up and tries to compensate: refused, nothing written.
      await expect(fenced(before, "m-1/compensate-target", 5n)).rejects.toMatchObject({
        code: "FAILED_PRECONDITION",
        field: "fencing_token",
        details: { fencingToken: "5", highestSeen: "8", scope: "sentra:" },
      });
      expect(replicasNow()).toBe(before + 2);

      // A restarted satellite (fresh handlers, no memory) reads the token from the Deployment.
      const registry = { names: () => ["prod-a"], get: () => cluster, all: () => [cluster] };
      handlers = createSatelliteServiceHandlers(identity, registry as unknown as ClusterRegistry);
      await expect(fenced(before, "m-1/compensate-target", 7n)).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
      // The same token goes on acting (the saga's next step); another estate's tokens are not compared.
      await fenced(before + 3, "m-1/scale-down", 8n);
      await fenced(before + 4, "other-estate/1", 1n, "staging:");
      // Unfenced commands (older coordinators) are not checked.
      await scale({ replicas: before + 5, idempotencyKey: "manual" });
      expect(replicasNow()).toBe(before + 5);
    });

    it("refuses a lower token even when the higher one lands between its read and its patch", async () => {
      const before = replicasNow();
      await fenced(before + 1, "m-2/scale-up-target", 3n);
      cluster.afterRead = () => {
        cluster.afterRead = undefined;
        // Another satellite process managing this cluster applies the new owner's command meanwhile.
        sim.patchObject(DEPLOYMENT_RESOURCE, "default", "checkout-api", {
          spec: { replicas: before + 4 },
          metadata: { annotations: { [FENCING_TOKENS_ANNOTATION]: JSON.stringify({ "sentra:": "9" }) } },
        });
      };
      await expect(fenced(before, "m-2/compensate-target", 3n)).rejects.toMatchObject({
        code: "FAILED_PRECONDITION",
        field: "fencing_token",
      });
      expect(replicasNow()).toBe(before + 4);
    });
  });
});
