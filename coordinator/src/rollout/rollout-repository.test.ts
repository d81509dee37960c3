import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { createLogger } from "@sentra/common";
import {
  RolloutDecisionSchema,
  RolloutPhase,
  RolloutSchema,
  SatelliteEventSchema,
  timestampFromMs,
} from "@sentra/proto";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import { createPool, type Pool, type RowDataPacket } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateSchema } from "../infrastructure/schema-migrator.js";
import { RolloutRepository, type RolloutRow, type WaveRow } from "./rollout-repository.js";
import { type SatelliteEventRecord, toSatelliteEventRecord } from "./satellite-event-record.js";

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
let streamSeq = 0;

function record(
  satelliteId: string,
  eventId: string,
  body: MessageInitShape<typeof SatelliteEventSchema>["body"],
): SatelliteEventRecord {
  const payload = toBinary(
    SatelliteEventSchema,
    create(SatelliteEventSchema, { eventId, satelliteId, at: timestampFromMs(T0), body }),
  );
  const decoded = toSatelliteEventRecord(payload, {
    subjectSatelliteId: satelliteId,
    streamSeq: ++streamSeq,
    storedAtMs: T0,
    maxBytes: 100_000,
  });
  if (!decoded.ok) throw new Error(`test event did not decode: ${decoded.reason}`);
  return decoded.record;
}

const decision = (rolloutId: string, sequence: number, atMs: number, phase: RolloutPhase, weight: number) =>
  ({
    case: "rolloutDecision",
    value: create(RolloutDecisionSchema, {
      rolloutId,
      sequence,
      at: timestampFromMs(atMs),
      phase,
      canaryWeight: weight,
      decision: "pass",
      gates: [{ gate: "error_rate", value: 0.001, threshold: 0.01 }],
    }),
  }) as const;

const transition = (rolloutId: string, atMs: number, phase: RolloutPhase, extra: Record<string, unknown> = {}) =>
  ({
    case: "rolloutTransition",
    value: create(RolloutSchema, {
      id: rolloutId,
      service: "checkout",
      namespace: "shop",
      stableVersion: "v1",
      canaryVersion: "v2",
      phase,
      updatedAt: timestampFromMs(atMs),
      ...extra,
    }),
  }) as const;

async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>(sql, params);
  return Number(rows[0]?.n);
}

describe("rollout record in MariaDB", () => {
  let namespace: TestNamespace;
  let pool: Pool;
  let repository: RolloutRepository;

  beforeEach(async () => {
    namespace = await createTestNamespace("rorepo");
    pool = createPool({ uri: namespace.mysqlUrl, connectionLimit: 8, timezone: "Z" });
    namespace.defer(() => pool.end());
    await migrateSchema(pool, createLogger("test", "silent"));
    repository = new RolloutRepository(pool);
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  function coordinatorRollout(id: string, satelliteId: string) {
    const now = new Date(T0);
    const rollout: RolloutRow = {
      id,
      origin: "coordinator",
      idempotencyKey: null,
      requestHash: null,
      service: "checkout",
      namespace: "shop",
      stableVersion: "v1",
      canaryVersion: "v2",
      strategy: "UNSPECIFIED",
      phase: "PENDING",
      message: "",
      policyYaml: "{}",
      trafficRouter: "UNSPECIFIED",
      routeName: "",
      rollbackCompletedWaves: false,
      currentWave: 0,
      abort: null,
      createdBy: "test",
      createdAt: now,
      updatedAt: now,
    };
    const wave: WaveRow = {
      id: `${id}-w1`,
      rolloutId: id,
      index: 0,
      role: "wave",
      satelliteId,
      cluster: "",
      region: "eu-west-1",
      dispatch: "started",
      dispatchMessage: "",
      dispatchSince: now,
      attemptedAt: null,
      phase: "PENDING",
      stepIndex: 0,
      canaryWeight: 0,
      rollout: null,
      stateJson: null,
      version: null,
      createdAt: now,
      updatedAt: now,
    };
    return repository.createRollout(rollout, [wave]);
  }

  it("applies an event once however often it is delivered: again later, and five times at once", async () => {
    await coordinatorRollout("ro-a", "aws-eu-west-1");
    const event = record("aws-eu-west-1", "ev-1", decision("ro-a-w1", 1, T0 + 10, RolloutPhase.WARMING_UP, 5));

    expect(await repository.recordEvent(event, new Date())).toMatchObject({ outcome: "persisted", rolloutId: "ro-a" });
    expect(await repository.recordEvent(event, new Date())).toEqual({ outcome: "duplicate" });
    const other = record("aws-eu-west-1", "ev-2", decision("ro-a-w1", 2, T0 + 20, RolloutPhase.PROGRESSING, 20));
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => repository.recordEvent(other, new Date())));
    expect(outcomes.filter((outcome) => outcome.outcome === "persisted")).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.outcome === "duplicate")).toHaveLength(4);

    expect(await count(pool, "SELECT COUNT(*) AS n FROM satellite_events")).toBe(2);
    expect(await count(pool, "SELECT COUNT(*) AS n FROM rollout_steps WHERE rollout_id = 'ro-a-w1'")).toBe(2);
    const aggregate = await repository.load("ro-a");
    expect(aggregate?.waves[0]).toMatchObject({ phase: "PROGRESSING", canaryWeight: 20 });
    expect(aggregate?.waves[0]?.rollout?.lastDecision?.sequence).toBe(2);
  });

  it("records a redelivered decision under a new event id once per (rollout, sequence)", async () => {
    await coordinatorRollout("ro-b", "aws-eu-west-1");
    await repository.recordEvent(
      record("aws-eu-west-1", "ev-1", decision("ro-b-w1", 1, T0, RolloutPhase.WARMING_UP, 5)),
      new Date(),
    );
    // A satellite that re-sent a decision with a fresh event id (e.g. after losing its outbox index).
    await repository.recordEvent(
      record("aws-eu-west-1", "ev-1-again", decision("ro-b-w1", 1, T0, RolloutPhase.WARMING_UP, 5)),
      new Date(),
    );
    expect(await count(pool, "SELECT COUNT(*) AS n FROM rollout_steps WHERE rollout_id = 'ro-b-w1'")).toBe(1);
  });

  it("never lets an older report overwrite newer state, but still records it", async () => {
    await coordinatorRollout("ro-c", "aws-eu-west-1");
    await repository.recordEvent(
      record(
        "aws-eu-west-1",
        "ev-late",
        transition("ro-c-w1", T0 + 5_000, RolloutPhase.PROMOTED, { canaryWeight: 100 }),
      ),
      new Date(),
    );
    // Buffered while the satellite was cut off from NATS: an earlier decision arrives after.
    const outcome = await repository.recordEvent(
      record("aws-eu-west-1", "ev-early", decision("ro-c-w1", 3, T0 + 1_000, RolloutPhase.PROGRESSING, 40)),
      new Date(),
    );
    expect(outcome).toMatchObject({ outcome: "persisted", applied: false });
    // A slow gRPC answer from before the promotion is ignored the same way.
    expect(
      await repository.applyAnswer(
        "ro-c-w1",
        create(RolloutSchema, {
          id: "ro-c-w1",
          phase: RolloutPhase.PROGRESSING,
          updatedAt: timestampFromMs(T0 + 2_000),
        }),
      ),
    ).toBe(false);
    const aggregate = await repository.load("ro-c-w1");
    expect(aggregate?.rollout.id).toBe("ro-c");
    expect(aggregate?.waves[0]).toMatchObject({ phase: "PROMOTED", canaryWeight: 100 });
    expect(await count(pool, "SELECT COUNT(*) AS n FROM rollout_steps WHERE rollout_id = 'ro-c-w1'")).toBe(1);
  });

  it("adopts a rollout started on a satellite directly and refuses events about it from another satellite", async () => {
    const adopted = await repository.recordEvent(
      record("gcp-europe-west1", "ev-x1", transition("local-1", T0, RolloutPhase.WARMING_UP, { strategy: 1 })),
      new Date(),
    );
    expect(adopted).toMatchObject({ outcome: "persisted", rolloutId: "local-1", applied: true });
    const aggregate = await repository.load("local-1");
    expect(aggregate?.rollout).toMatchObject({ origin: "satellite", phase: "WARMING_UP", strategy: "CANARY" });
    expect(aggregate?.waves.map((wave) => wave.satelliteId)).toEqual(["gcp-europe-west1"]);

    const forged = await repository.recordEvent(
      record("aws-us-east-1", "ev-forged", transition("local-1", T0 + 1_000, RolloutPhase.ROLLED_BACK)),
      new Date(),
    );
    expect(forged).toEqual({ outcome: "foreign", owner: "gcp-europe-west1" });
    // Nothing of the refused event was written, not even its de-duplication row.
    expect(await count(pool, "SELECT COUNT(*) AS n FROM satellite_events WHERE event_id = 'ev-forged'")).toBe(0);
    expect((await repository.load("local-1"))?.rollout.phase).toBe("WARMING_UP");

    await repository.recordEvent(
      record("gcp-europe-west1", "ev-x2", transition("local-1", T0 + 2_000, RolloutPhase.PROMOTED)),
      new Date(),
    );
    expect((await repository.load("local-1"))?.rollout.phase).toBe("PROMOTED");
  });

  it("refuses a second active coordinator rollout of the same service", async () => {
    expect(await coordinatorRollout("ro-d", "aws-eu-west-1")).toEqual({ created: true });
    expect(await coordinatorRollout("ro-e", "aws-eu-west-1")).toMatchObject({
      created: false,
      active: { id: "ro-d", phase: "PENDING" },
    });
    const again = await repository.list({ service: "checkout", limit: 10 });
    expect(again.map((aggregate) => aggregate.rollout.id)).toEqual(["ro-d"]);
  });
});
