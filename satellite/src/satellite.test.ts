import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { createLogger, satelliteCommonName } from "@sentra/common";
import {
  createPeerChannelCredentials,
  createServiceClient,
  HealthSummarySchema,
  SatelliteService,
  satelliteSubject,
} from "@sentra/proto";
import { createTestNamespace, eventually, getTestPki, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { SimulatedCluster } from "./cluster/sim/index.js";
import { loadSatelliteConfig } from "./config/satellite-config.js";
import { startSatellite } from "./satellite.js";

/** One kubeconfig holding several contexts: the central topology, one satellite for many clusters. */
function mergedKubeconfig(clusters: SimulatedCluster[]): string {
  const documents = clusters.map((cluster) => parse(cluster.kubeconfigYaml({ contextName: cluster.name })));
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: documents.flatMap((doc) => doc.clusters),
    users: documents.flatMap((doc) => doc.users),
    contexts: documents.flatMap((doc) => doc.contexts),
    "current-context": clusters[0]?.name,
  });
}

describe("satellite against real NATS and clusters reached through @kubernetes/client-node", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("sat");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  async function startCentralSatellite() {
    const clusters = await Promise.all(
      ["prod-a", "prod-b"].map((name) => SimulatedCluster.start({ name, seed: "demo", readinessDelayMs: 100 })),
    );
    for (const cluster of clusters) namespace.defer(() => cluster.close());
    const kubeconfigPath = join(tmpdir(), `sentra-${namespace.id}.kubeconfig`);
    writeFileSync(kubeconfigPath, mergedKubeconfig(clusters));
    const pki = await getTestPki();
    const config = loadSatelliteConfig({
      ...(await pki.satelliteEnv("aws-eu-west-1")),
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      KUBECONFIG: kubeconfigPath,
      SENTRA_KUBE_CONTEXTS: "prod-a,prod-b",
      NATS_URL: namespace.urls.natsUrl,
      SENTRA_SUBJECT_PREFIX: namespace.subjectPrefix,
      SENTRA_HEARTBEAT_INTERVAL_MS: "200",
    });
    const satellite = await startSatellite(config, createLogger("satellite", "silent"));
    namespace.defer(() => satellite.close());
    const client = createServiceClient(
      SatelliteService,
      satellite.grpcEndpoint,
      createPeerChannelCredentials(await pki.coordinatorSecurity(), satelliteCommonName("aws-eu-west-1")),
    );
    namespace.defer(() => client.close());
    return { clusters, satellite, client };
  }

  it("manages several kube contexts and reports them in its heartbeat", async () => {
    const nats = await namespace.nats();
    const heartbeats = nats.subscribe(satelliteSubject("aws-eu-west-1", "health", namespace.subjectPrefix));
    const { client } = await startCentralSatellite();
    const info = await client.getSatelliteInfo({});
    expect(info.clusters).toEqual(["prod-a", "prod-b"]);
    const { workloads } = await client.listWorkloads({});
    expect(new Set(workloads.map((w) => w.ref?.cluster))).toEqual(new Set(["prod-a", "prod-b"]));
    expect(workloads.every((w) => w.cpuMillicores > 0 && w.memoryBytes > 0n)).toBe(true);

    for await (const message of heartbeats) {
      const health = fromBinary(HealthSummarySchema, message.data);
      if (health.clusters.length === 2 && health.clusters.every((c) => c.reachable && c.workloads > 0)) break;
    }
    heartbeats.unsubscribe();
  });

  it("scales idempotently: a retried command with the same key changes nothing", async () => {
    const { client, clusters } = await startCentralSatellite();
    const workload = { cluster: "prod-b", namespace: "default", name: "checkout-api" };
    const before = (await client.getWorkload({ workload })).workload?.desiredReplicas ?? 0;
    const first = await client.scaleWorkload({ workload, replicas: before + 2, idempotencyKey: "mig-1/scale-up" });
    expect(first).toMatchObject({ previousReplicas: before, replayed: false });
    expect(first.workload?.desiredReplicas).toBe(before + 2);

    // Someone else scales it meanwhile; the retried command must not undo or repeat anything.
    await client.scaleWorkload({ workload, replicas: before + 5, idempotencyKey: "other" });
    const retry = await client.scaleWorkload({ workload, replicas: before + 2, idempotencyKey: "mig-1/scale-up" });
    expect(retry).toMatchObject({ previousReplicas: before, replayed: true });
    const deployment = await clusters[1]?.getDeployment("default", "checkout-api");
    expect(deployment?.spec?.replicas).toBe(before + 5);

    await eventually(async () => {
      expect((await client.getWorkload({ workload })).workload?.readyReplicas).toBe(before + 5);
    });
  });

  it("refuses a migration step whose fencing token is older than one its estate already sent (over gRPC)", async () => {
    const { client, clusters } = await startCentralSatellite();
    const workload = { cluster: "prod-a", namespace: "default", name: "checkout-api" };
    const before = (await client.getWorkload({ workload })).workload?.desiredReplicas ?? 0;
    const step = (replicas: number, idempotencyKey: string, fencingToken: bigint) =>
      client.scaleWorkload({ workload, replicas, idempotencyKey, fencingToken, fencingScope: "sentra:" });
    await step(before + 1, "m-1/scale-up-target", 2n ** 40n + 12n);
    await expect(step(before, "m-1/compensate-target", 2n ** 40n + 11n)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "fencing_token",
    });
    expect((await clusters[0]?.getDeployment("default", "checkout-api"))?.spec?.replicas).toBe(before + 1);
  });

  it("answers invalid arguments with INVALID_ARGUMENT naming the field, and checks expected replicas", async () => {
    const { client } = await startCentralSatellite();
    const workload = { cluster: "prod-a", namespace: "default", name: "checkout-api" };
    await expect(client.scaleWorkload({ workload, replicas: 3 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "idempotency_key",
    });
    await expect(
      client.scaleWorkload({ workload: { ...workload, name: "" }, replicas: 3, idempotencyKey: "k" }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "workload.name",
    });
    await expect(client.scaleWorkload({ workload, replicas: 100_000, idempotencyKey: "k" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "replicas",
    });
    await expect(
      client.scaleWorkload({ workload: { ...workload, cluster: "nope" }, replicas: 1, idempotencyKey: "k" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(client.getWorkload({ workload: { ...workload, name: "missing" } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      client.scaleWorkload({ workload, replicas: 1, idempotencyKey: "k2", expectedReplicas: 999 }),
    ).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "expected_replicas",
    });
  });
});
