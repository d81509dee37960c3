import { connect } from "@nats-io/transport-node";
import { RolloutPhase, RolloutWaveStatus } from "@sentra/proto";
import { createTestNamespace, eventually, startNatsServer, type TestNamespace } from "@sentra/testkit";
import type { RowDataPacket } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { coordinatorClientWithToken } from "./support/coordinator-auth.js";
import { connectToSatellite, readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import { fastReleasePolicy } from "./support/fast-release-policy.js";
import { GUARDED_SERVICE, startGuardedSatellite } from "./support/guarded-satellite.js";
import { recordPool } from "./support/rollout-record.js";
import { eventSequence, readSatelliteEvents } from "./support/satellite-events.js";

/**
 * Stays at 50 % until something breaks (it never collects 1000 passes); two breaches in a row, or
 * one severe one, roll it back. Short windows so Prometheus' 1 s scrapes decide within seconds.
 */
const POLICY = fastReleasePolicy({ steps: [50, 50], passesToPromote: 1000, consecutiveBreachesToRollback: 2 });

describe("release guard cut off from NATS (real processes: coordinator, satellite, private nats-server, Prometheus)", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("rgoffline");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("rolls back a bad canary while NATS is down; once NATS is back every event of the rollout reaches MySQL exactly once", async () => {
    // Coordinator and satellite talk through a NATS of their own, so the test can take it away.
    const nats = await startNatsServer();
    namespace.defer(() => nats.dispose());
    const coordinator = await startCoordinatorProcess(namespace, {
      NATS_URL: nats.url,
      SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS: "500",
      SENTRA_ROLLOUT_POLL_INTERVAL_MS: "2000",
    });
    const guarded = await startGuardedSatellite(namespace, "aws", "eu-west-1", { env: { NATS_URL: nats.url } });
    const client = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    const satellite = await connectToSatellite(namespace, guarded.satellite);
    await eventually(async () => {
      const { satellites } = await client.listSatellites({ liveOnly: true });
      expect(satellites.map((entry) => entry.id)).toContain(guarded.satelliteId);
    }, 30_000);

    const { rollout: started } = await client.startRollout({
      ...GUARDED_SERVICE,
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: POLICY,
      waves: [{ satelliteId: guarded.satelliteId }],
      idempotencyKey: "checkout-v2-offline",
    });
    const id = started?.id ?? "";
    const waveId = `${id}-w1`;
    const pool = recordPool(namespace);
    /** The event ids MySQL holds for the wave's rollout, in sequence order. */
    const storedEventIds = async (): Promise<string[]> => {
      const [rows] = await pool.query<RowDataPacket[]>("SELECT event_id FROM satellite_events WHERE rollout_id = ?", [
        waveId,
      ]);
      return rows.map((row) => String(row.event_id)).sort((a, b) => eventSequence(a) - eventSequence(b));
    };

    // The canary serves 50 % and passes its gates; its events reach MySQL through NATS.
    await eventually(
      async () => {
        const { rollout } = await satellite.getRollout({ rolloutId: waveId });
        expect(rollout?.canaryWeight).toBe(50);
        expect(rollout?.passes).toBeGreaterThanOrEqual(1);
      },
      90_000,
      250,
    );
    await eventually(async () => expect((await storedEventIds()).length).toBeGreaterThan(0), 30_000);

    // NATS goes away; then the canary goes bad.
    await nats.stop();
    await guarded.setErrorRate("v2", 0.5);

    // The satellite decides on its own: the canary is at 0 % while NATS is still down.
    await eventually(
      async () => {
        const { rollout } = await satellite.getRollout({ rolloutId: waveId });
        expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
      },
      60_000,
      250,
    );
    expect(await guarded.routeWeights()).toEqual({ "checkout-v1": 100, "checkout-v2": 0 });
    expect(nats.running).toBe(false);
    // Its events wait in the satellite's outbox: the rollback is not in MySQL yet.
    expect(await readMetric(guarded.satellite.opsUrl, "sentra_satellite_event_outbox_size")).toBeGreaterThan(0);
    const [decisionsBefore] = await pool.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM rollout_steps WHERE rollout_id = ? AND decision = 'rollback'",
      [waveId],
    );
    expect(Number(decisionsBefore[0]?.n)).toBe(0);

    // NATS is back on the same port and store: the outbox drains and the coordinator catches up.
    await nats.restart();
    await eventually(
      async () => expect(await readMetric(guarded.satellite.opsUrl, "sentra_satellite_event_outbox_size")).toBe(0),
      60_000,
    );
    const observer = await connect({ servers: nats.url, name: "offline-e2e-observer" });
    namespace.defer(() => observer.close());
    const stream = (await readSatelliteEvents(observer, namespace.subjectPrefix, guarded.satelliteId)).filter(
      ({ event }) => event.eventId.startsWith(`${guarded.satelliteId}.${waveId}.`),
    );
    // On the stream: each event once (JetStream de-duplicated retried publishes by event id), 1..N.
    expect(stream.map(({ msgId, event }) => msgId === event.eventId)).not.toContain(false);
    expect(new Set(stream.map(({ msgId }) => msgId)).size).toBe(stream.length);
    const sequences = stream.map(({ event }) => eventSequence(event.eventId));
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    expect(await readMetric(guarded.satellite.opsUrl, "sentra_satellite_events_published_total")).toBe(stream.length);

    // In MySQL: every one of them, once.
    const expectedIds = stream.map(({ event }) => event.eventId);
    await eventually(async () => expect(await storedEventIds()).toEqual(expectedIds), 60_000);
    const decisions = stream.filter(({ event }) => event.body.case === "rolloutDecision");
    const incidents = stream.filter(({ event }) => event.body.case === "incident");
    expect(incidents.length).toBeGreaterThan(0);
    const [steps] = await pool.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS ids, COUNT(DISTINCT sequence) AS sequences FROM rollout_steps WHERE rollout_id = ?",
      [waveId],
    );
    expect(steps[0]).toMatchObject({ n: decisions.length, ids: decisions.length, sequences: decisions.length });
    const [incidentRows] = await pool.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS ids FROM incidents WHERE rollout_id = ?",
      [waveId],
    );
    expect(incidentRows[0]).toMatchObject({ n: incidents.length, ids: incidents.length });
    const [rollbacks] = await pool.query<RowDataPacket[]>(
      "SELECT decision, canary_weight FROM rollout_steps WHERE rollout_id = ? AND decision IN ('rollback', 'rollbackComplete') ORDER BY sequence",
      [waveId],
    );
    // Decided at 50 %, then the traffic back at 0 %: each once.
    expect(rollbacks.map((row) => [row.decision, row.canary_weight])).toEqual([
      ["rollback", 50],
      ["rollbackComplete", 0],
    ]);
    // The coordinator's counters agree: nothing it applied was applied twice.
    expect(
      await readMetric(coordinator.httpUrl, "sentra_coordinator_rollout_events_total", { outcome: "persisted" }),
    ).toBe(stream.length);

    const { rollout } = await client.getRollout({ rolloutId: id });
    expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(rollout?.waves[0]?.status).toBe(RolloutWaveStatus.ROLLED_BACK);
    // The decision that rolled it back carries what the satellite measured. The canary's error gate is
    // sequential: either its windowed error rate crossed the severe threshold, or its evidence (the
    // canary's errors against the baseline's, from the raw counters) was conclusive. The windowed rate
    // can still read 0 then: a 5xx series that has just appeared has one sample, and rate() needs two.
    const history = await client.getRolloutHistory({ rolloutId: id });
    const breach = history.decisions.find(
      (decision) => decision.rolloutId === waveId && decision.decision === "rollback",
    );
    const errorGate = breach?.gates.find((gate) => gate.gate === "error_rate");
    expect(errorGate?.judge).toBe("sequential");
    if (errorGate?.conclusive) {
      const evidence = errorGate.evidence;
      expect(evidence?.statistic).toBeGreaterThanOrEqual(evidence?.bound ?? Number.POSITIVE_INFINITY);
      expect(evidence?.canaryEvents).toBeGreaterThan(0);
      const canaryRate = (evidence?.canaryEvents ?? 0) / (evidence?.canaryTotal ?? 1);
      const baselineRate = (evidence?.baselineEvents ?? 0) / (evidence?.baselineTotal ?? 1);
      expect(canaryRate).toBeGreaterThan(baselineRate * (1 + (evidence?.tolerance ?? 0)));
    } else {
      expect(errorGate?.value).toBeGreaterThan(errorGate?.severeThreshold ?? 1);
    }
    expect(history.incidents.some((incident) => incident.rolloutId === waveId)).toBe(true);
  }, 300_000);
});
