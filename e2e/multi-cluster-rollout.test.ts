import { credentials } from "@grpc/grpc-js";
import {
  CoordinatorService,
  createServiceClient,
  type MultiClusterRollout,
  RolloutPhase,
  RolloutWaveStatus,
} from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import type { RowDataPacket } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearerMetadata } from "./support/coordinator-auth.js";
import { startCoordinatorProcess, startSatelliteProcess } from "./support/estate-processes.js";
import { fastReleasePolicy } from "./support/fast-release-policy.js";
import { startGuardedSatellite } from "./support/guarded-satellite.js";
import { recordPool } from "./support/rollout-record.js";

/** Fast enough for a test, slow enough for Prometheus' 1 s scrapes to see each step. */
const POLICY = fastReleasePolicy({ steps: [50, 50] });

describe("multi-cluster rollout against real satellites (simulated clusters with traffic, Prometheus)", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("mcrollout");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("promotes wave 1, stops at the failing wave 2, never starts wave 3, and moves wave 1's traffic back to v1", async () => {
    const coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS: "500",
      SENTRA_ROLLOUT_POLL_INTERVAL_MS: "2000",
    });
    const [healthy, faulty, untouched] = await Promise.all([
      startGuardedSatellite(namespace, "aws", "us-east-1"),
      startGuardedSatellite(namespace, "aws", "eu-west-1", { v2ErrorRate: 0.5 }),
      startSatelliteProcess(namespace, "gcp", "europe-west1"),
    ]);
    const client = createServiceClient(CoordinatorService, coordinator.grpcAddress, credentials.createInsecure(), {
      metadata: bearerMetadata(coordinator.adminToken),
    });
    namespace.defer(() => client.close());
    await eventually(async () => {
      const { satellites } = await client.listSatellites({ liveOnly: true });
      expect(satellites).toHaveLength(3);
    }, 10_000);

    const { rollout } = await client.startRollout({
      service: "checkout",
      namespace: "shop",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: POLICY,
      waves: [
        { satelliteId: healthy.satelliteId },
        { satelliteId: faulty.satelliteId },
        { satelliteId: untouched.satelliteId },
      ],
      rollbackCompletedWavesOnFailure: true,
      idempotencyKey: "checkout-v2-everywhere",
    });
    const id = rollout?.id ?? "";
    expect(rollout?.waves[0]?.status).toBe(RolloutWaveStatus.RUNNING);

    let final: MultiClusterRollout | undefined;
    await eventually(
      async () => {
        final = (await client.getRollout({ rolloutId: id })).rollout;
        expect(final?.phase).toBe(RolloutPhase.ROLLED_BACK);
      },
      90_000,
      500,
    );
    expect(final?.waves.map((wave) => wave.status)).toEqual([
      RolloutWaveStatus.REVERTED,
      RolloutWaveStatus.ROLLED_BACK,
      RolloutWaveStatus.HALTED,
    ]);
    expect(final?.strategy).toBe(1);
    // Wave 2 rolled back on its own gates: the error rate of v2 is in its last decision.
    const wave2 = final?.waves[1]?.rollout;
    expect(wave2?.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(await faulty.routeWeights()).toEqual({ "checkout-v1": 100, "checkout-v2": 0 });
    // Wave 1 had been promoted (100 % v2); its reverse rollout put all traffic back on v1.
    await eventually(async () => {
      expect(await healthy.routeWeights()).toEqual({ "checkout-v1": 100, "checkout-v2": 0 });
    }, 10_000);
    const history = await client.getRolloutHistory({ rolloutId: id });
    const byRollout = (rolloutId: string) => history.decisions.filter((decision) => decision.rolloutId === rolloutId);
    expect(byRollout(`${id}-w1`).some((decision) => decision.phase === RolloutPhase.PROMOTED)).toBe(true);
    const breach = byRollout(`${id}-w2`).find((decision) =>
      decision.gates.some((gate) => gate.gate === "error_rate" && gate.outcome === 2),
    );
    expect(breach?.gates.find((gate) => gate.gate === "error_rate")?.value).toBeGreaterThan(0.05);
    expect(byRollout(`${id}-w3`)).toEqual([]);
    expect(history.incidents.some((incident) => incident.rolloutId === `${id}-w2`)).toBe(true);

    // Exactly once: as many step rows as decisions, one per (rollout, sequence).
    const pool = recordPool(namespace);
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT rollout_id, sequence) AS distinct_n FROM rollout_steps",
    );
    expect(Number(rows[0]?.n)).toBe(Number(rows[0]?.distinct_n));
    expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(history.decisions.length);
  }, 150_000);
});
