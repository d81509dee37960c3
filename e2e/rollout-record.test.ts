import { create, toBinary } from "@bufbuild/protobuf";
import { jetstreamManager } from "@nats-io/jetstream";
import {
  IncidentSchema,
  RolloutPhase,
  SatelliteEventSchema,
  satelliteEventStream,
  timestampFromMs,
} from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import type { RowDataPacket } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import {
  decisionBody,
  publishEvent,
  publishRaw,
  recordCounts,
  recordPool,
  transitionBody,
} from "./support/rollout-record.js";

const SATELLITE = "aws-eu-west-1";
const CONSUMER = "sentra-coordinator";

describe("rollout record: satellite events from JetStream into MariaDB", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("rorecord");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("persists each event once despite duplicate publishes and a full replay after a restart", async () => {
    const pool = recordPool(namespace);
    const first = await startCoordinatorProcess(namespace);
    const rollout = "local-checkout-1";
    const events = [
      ["ev-1", transitionBody(rollout, RolloutPhase.WARMING_UP, { canaryWeight: 5 })],
      ["ev-2", decisionBody(rollout, 1, RolloutPhase.WARMING_UP, 5, "start")],
      ["ev-3", decisionBody(rollout, 2, RolloutPhase.PROGRESSING, 20, "advance")],
      [
        "ev-4",
        {
          case: "incident",
          value: create(IncidentSchema, { id: "inc-1", rolloutId: rollout, severity: "warning", summary: "slow" }),
        },
      ],
      ["ev-5", transitionBody(rollout, RolloutPhase.PROGRESSING, { canaryWeight: 20 })],
    ] as const;
    for (const [eventId, body] of events) await publishEvent(namespace, SATELLITE, eventId, body);
    // A publish retried within the duplicate window: JetStream itself drops it.
    expect((await publishEvent(namespace, SATELLITE, "ev-2", events[1][1])).duplicate).toBe(true);
    // A retry outside the window (or with another message id) reaches the coordinator, which must drop it.
    expect((await publishEvent(namespace, SATELLITE, "ev-3", events[2][1], { msgID: "ev-3-retry" })).duplicate).toBe(
      false,
    );

    await eventually(async () => {
      expect(await recordCounts(pool)).toEqual({ events: 5, steps: 2, incidents: 1, rollouts: 1 });
      expect(await readMetric(first.httpUrl, "sentra_coordinator_rollout_events_total", { outcome: "duplicate" })).toBe(
        1,
      );
    }, 10_000);
    const [rows] = await pool.query<RowDataPacket[]>("SELECT origin, phase, service FROM rollouts WHERE id = ?", [
      rollout,
    ]);
    expect(rows[0]).toMatchObject({ origin: "satellite", phase: "PROGRESSING", service: "checkout" });

    // Replay everything: stop, forget the consumer's position, start again.
    await first.process.stop();
    const jsm = await jetstreamManager(await namespace.nats());
    const stream = satelliteEventStream(namespace.subjectPrefix).name;
    await jsm.consumers.delete(stream, CONSUMER);
    const second = await startCoordinatorProcess(namespace);
    await eventually(async () => {
      // All six stored messages were delivered again, and every one was recognised.
      expect(
        await readMetric(second.httpUrl, "sentra_coordinator_rollout_events_total", { outcome: "duplicate" }),
      ).toBe(6);
    }, 10_000);
    expect(await recordCounts(pool)).toEqual({ events: 5, steps: 2, incidents: 1, rollouts: 1 });
    expect(await readMetric(second.httpUrl, "sentra_coordinator_rollout_events_total", { outcome: "persisted" })).toBe(
      0,
    );
  }, 60_000);

  it("persists the events published while the coordinator was down once it starts", async () => {
    const pool = recordPool(namespace);
    const first = await startCoordinatorProcess(namespace);
    await first.process.stop();

    const rollout = "local-checkout-2";
    await publishEvent(namespace, SATELLITE, "down-1", transitionBody(rollout, RolloutPhase.WARMING_UP));
    await publishEvent(namespace, SATELLITE, "down-2", decisionBody(rollout, 1, RolloutPhase.WARMING_UP, 5, "start"));
    await publishEvent(
      namespace,
      SATELLITE,
      "down-3",
      // Later than the decision above, as a rollback always is: published in the same millisecond, the
      // decision (sequence 1) would rank above this transition (sequence 0) and the test would race.
      transitionBody(rollout, RolloutPhase.ROLLED_BACK, {
        canaryWeight: 0,
        message: "3 consecutive breaches",
        updatedAt: timestampFromMs(Date.now() + 1_000),
      }),
      { stateJson: '{"phase":"rolledBack"}' },
    );
    expect(await recordCounts(pool)).toMatchObject({ events: 0, steps: 0 });

    const second = await startCoordinatorProcess(namespace);
    await eventually(async () => {
      expect(await recordCounts(pool)).toEqual({ events: 3, steps: 1, incidents: 0, rollouts: 1 });
    }, 10_000);
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT r.phase, r.message, w.state_json FROM rollouts r JOIN rollout_waves w ON w.rollout_id = r.id WHERE r.id = ?",
      [rollout],
    );
    expect(rows[0]).toMatchObject({
      phase: "ROLLED_BACK",
      message: "3 consecutive breaches",
      state_json: '{"phase":"rolledBack"}',
    });
    expect(await readMetric(second.httpUrl, "sentra_coordinator_rollout_events_total", { outcome: "persisted" })).toBe(
      3,
    );
  }, 60_000);

  it("keeps redelivering an event while MySQL refuses it as a store, and applies it once when the store is back", async () => {
    const pool = recordPool(namespace);
    const coordinator = await startCoordinatorProcess(namespace);
    await publishEvent(namespace, SATELLITE, "before", transitionBody("local-4", RolloutPhase.WARMING_UP));
    await eventually(async () => expect((await recordCounts(pool)).events).toBe(1), 10_000);

    // The store fails for every event (here: its table is gone), not because of this event's data.
    await pool.query("RENAME TABLE satellite_events TO satellite_events_away");
    await publishEvent(namespace, SATELLITE, "during", decisionBody("local-4", 1, RolloutPhase.PROGRESSING, 20));
    await eventually(async () => {
      // Tried, refused, nacked and delivered again: the event waits in the stream.
      expect(
        await readMetric(coordinator.httpUrl, "sentra_coordinator_rollout_event_store_errors_total", { kind: "store" }),
      ).toBeGreaterThanOrEqual(3);
    }, 15_000);
    await pool.query("RENAME TABLE satellite_events_away TO satellite_events");

    await eventually(async () => {
      expect(await recordCounts(pool)).toMatchObject({ events: 2, steps: 1 });
    }, 20_000);
    expect(
      await readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total", { kind: "event" }),
    ).toBe(0);
  }, 60_000);

  it("terminates malformed events (never redelivered), counts them by reason, and keeps consuming", async () => {
    const pool = recordPool(namespace);
    const coordinator = await startCoordinatorProcess(namespace);
    await publishRaw(namespace, SATELLITE, new Uint8Array([0xff, 0xff, 0xff, 0xff]), "bad-1");
    const forged = toBinary(
      SatelliteEventSchema,
      create(SatelliteEventSchema, { eventId: "bad-3", satelliteId: "gcp-us-central1", body: transitionBody("r", 1) }),
    );
    await publishRaw(namespace, SATELLITE, forged, "bad-3");
    await publishEvent(namespace, SATELLITE, "bad-4", decisionBody("r", 0, RolloutPhase.PROGRESSING, 5));
    await publishEvent(namespace, SATELLITE, "good-1", transitionBody("local-3", RolloutPhase.WARMING_UP));

    await eventually(async () => {
      expect((await recordCounts(pool)).events).toBe(1);
      const dropped = (reason: string) =>
        readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total", { kind: "event", reason });
      expect(await dropped("malformed")).toBe(1);
      expect(await dropped("subject_mismatch")).toBe(1);
      expect(await dropped("invalid")).toBe(1);
    }, 10_000);
    // Terminated, not just left unacknowledged: nothing waits for redelivery.
    const jsm = await jetstreamManager(await namespace.nats());
    const info = await jsm.consumers.info(satelliteEventStream(namespace.subjectPrefix).name, CONSUMER);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });
});
