import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, type KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { RolloutPhase, type SatelliteEvent } from "@sentra/proto";
import { versionedServiceManifests } from "@sentra/satellite";
import {
  createTestNamespace,
  eventually,
  REPO_ROOT,
  type RunningPrometheus,
  startProcess,
  startPrometheus,
  type TestNamespace,
} from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectToSatellite, startSatelliteProcess } from "./support/estate-processes.js";
import { fastReleasePolicy } from "./support/fast-release-policy.js";
import { deleteSatelliteEventStreamOnDispose, eventSequence, readSatelliteEvents } from "./support/satellite-events.js";

const POLICY = fastReleasePolicy({ steps: [20, 30, 50] });

describe("release guard across a satellite crash (real processes: simulated cluster, Prometheus, satellite)", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("rgcrash");
    deleteSatelliteEventStreamOnDispose(namespace);
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("resumes a rollout from its JetStream events after kill -9 and finishes it without repeating a step", async () => {
    // The cluster lives in its own process, so it survives the satellite's crash as a real one would.
    const kubeconfigPath = join(tmpdir(), `sentra-${namespace.id}.kubeconfig`);
    const cluster = startProcess(process.execPath, [join(REPO_ROOT, "satellite/dist/cluster/sim/main.js")], {
      SENTRA_SIM_NAME: "prod-eu",
      SENTRA_SIM_SEED: "none",
      SENTRA_SIM_READINESS_DELAY_MS: "100",
      SENTRA_SIM_TRAFFIC_RPS: "200",
      SENTRA_SIM_KUBECONFIG_OUT: kubeconfigPath,
    });
    namespace.defer(() => cluster.stop());
    const [clusterUrl] = await cluster.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/);
    namespace.defer(() => rm(kubeconfigPath, { force: true }));

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    for (const manifest of versionedServiceManifests({
      namespace: "shop",
      service: "checkout",
      versions: [
        { version: "v1", replicas: 3 },
        { version: "v2", replicas: 3 },
      ],
    })) {
      await objects.create(manifest as KubernetesObject);
    }

    const prometheus: RunningPrometheus = await startPrometheus({ targets: [`${clusterUrl}/sentra-sim/v1/metrics`] });
    namespace.defer(() => prometheus.dispose());
    await prometheus.waitForValue('sum(http_requests_total{service="checkout"})');

    const env = { KUBECONFIG: kubeconfigPath, SENTRA_PROMETHEUS_URL: prometheus.url, SENTRA_LOG_LEVEL: "info" };
    const first = await startSatelliteProcess(namespace, "aws", "eu-west-1", env);
    const firstClient = await connectToSatellite(namespace, first);
    await firstClient.startRollout({
      rolloutId: "checkout-v2",
      namespace: "shop",
      service: "checkout",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: POLICY,
    });
    // Kill once 50 % is applied and on the stream (the state says 50 % from the moment it is decided).
    await eventually(async () => {
      const events = await readEvents(namespace, first.satelliteId);
      expect(
        events.some(
          (event) =>
            event.body.case === "rolloutDecision" &&
            event.body.value.decision === "weightApplied" &&
            event.body.value.canaryWeight === 50,
        ),
      ).toBe(true);
    }, 30_000);

    await first.process.kill();
    const route = async () =>
      (
        (await objects.read({
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { name: "checkout", namespace: "shop" },
        })) as KubernetesObject & { spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } }
      ).spec.rules[0]?.backendRefs.map((ref) => [ref.name, ref.weight]);
    // The crash left the traffic split where it was.
    expect(await route()).toEqual([
      ["checkout-v1", 50],
      ["checkout-v2", 50],
    ]);

    const second = await startSatelliteProcess(namespace, "aws", "eu-west-1", env);
    expect(second.process.output()).toMatch(/"msg":"rollouts resumed from the event stream"/);
    const secondClient = await connectToSatellite(namespace, second);
    const resumed = (await secondClient.getRollout({ rolloutId: "checkout-v2" })).rollout;
    // Resumed at 50 % (or, on a slow machine, already promoted by its next evaluations).
    expect([50, 100]).toContain(resumed?.canaryWeight);

    await eventually(async () => {
      const { rollout } = await secondClient.getRollout({ rolloutId: "checkout-v2" });
      expect(rollout?.phase).toBe(RolloutPhase.PROMOTED);
    }, 40_000);
    expect(await route()).toEqual([
      ["checkout-v1", 0],
      ["checkout-v2", 100],
    ]);

    // One event stream across both processes: consecutive sequence numbers, each step entered once.
    const events = await readEvents(namespace, first.satelliteId);
    const sequences = events.map((event) => eventSequence(event.eventId));
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    const decisions = events.flatMap((event) => (event.body.case === "rolloutDecision" ? [event.body.value] : []));
    const recovered = decisions.filter((decision) => decision.decision === "recovered");
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.canaryWeight).toBe(50);
    const weightsApplied = decisions
      .filter((decision) => ["weightApplied", "promote"].includes(decision.decision) && decision.router !== "")
      .map((decision) => decision.canaryWeight);
    // 20 and 50 by the first process, 50 re-asserted after the restart, then 100: never back to 20.
    expect(weightsApplied).toEqual([20, 50, 50, 100]);

    // The sequential error gate's test went on where it was: the first evidence after the restart
    // counts from the same start and holds at least what the first process had counted.
    const recoveredAt = decisions.indexOf(recovered[0] as (typeof decisions)[number]);
    const errorEvidence = (decision: (typeof decisions)[number]) =>
      decision.gates.find((gate) => gate.gate === "error_rate" && gate.judge === "sequential")?.evidence;
    const before = decisions
      .slice(0, recoveredAt)
      .flatMap((decision) => errorEvidence(decision) ?? [])
      .at(-1);
    const after = decisions.slice(recoveredAt).flatMap((decision) => errorEvidence(decision) ?? [])[0];
    expect(before?.canaryTotal).toBeGreaterThan(0);
    expect(after?.since).toEqual(before?.since);
    expect(after?.canaryTotal).toBeGreaterThanOrEqual(before?.canaryTotal ?? Number.POSITIVE_INFINITY);
    expect(after?.looks).toBeGreaterThanOrEqual(before?.looks ?? Number.POSITIVE_INFINITY);
  }, 120_000);
});

/** Every event of one satellite on the stream, in order. */
async function readEvents(namespace: TestNamespace, satelliteId: string): Promise<SatelliteEvent[]> {
  const stored = await readSatelliteEvents(await namespace.nats(), namespace.subjectPrefix, satelliteId);
  return stored.map(({ event }) => event);
}
