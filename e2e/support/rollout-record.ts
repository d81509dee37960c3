import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import {
  RolloutDecisionSchema,
  type RolloutPhase,
  RolloutSchema,
  SatelliteEventSchema,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import type { TestNamespace } from "@sentra/testkit";
import { createPool, type Pool, type RowDataPacket } from "mysql2/promise";

/**
 * Helpers for tests of the coordinator's rollout record: publish satellite events the way a
 * satellite does (JetStream, message id = event id) and read what reached MySQL.
 */

export type EventBody = MessageInitShape<typeof SatelliteEventSchema>["body"];

/** Publishes one event on the satellite's event subject; returns JetStream's ack. */
export async function publishEvent(
  namespace: TestNamespace,
  satelliteId: string,
  eventId: string,
  body: EventBody,
  options: { msgID?: string; atMs?: number; stateJson?: string } = {},
): Promise<{ seq: number; duplicate: boolean }> {
  const payload = toBinary(
    SatelliteEventSchema,
    create(SatelliteEventSchema, {
      eventId,
      satelliteId,
      at: timestampFromMs(options.atMs ?? Date.now()),
      body,
      rolloutStateJson: options.stateJson ?? "",
    }),
  );
  return publishRaw(namespace, satelliteId, payload, options.msgID ?? eventId);
}

/** Publishes arbitrary bytes on a satellite's event subject (malformed-input tests). */
export async function publishRaw(
  namespace: TestNamespace,
  satelliteId: string,
  payload: Uint8Array,
  msgID: string,
): Promise<{ seq: number; duplicate: boolean }> {
  const js = jetstream(await namespace.nats());
  const ack = await js.publish(satelliteSubject(satelliteId, "event", namespace.subjectPrefix), payload, { msgID });
  return { seq: ack.seq, duplicate: ack.duplicate };
}

export function transitionBody(
  rolloutId: string,
  phase: RolloutPhase,
  fields: Omit<MessageInitShape<typeof RolloutSchema>, "$typeName"> = {},
): EventBody {
  return {
    case: "rolloutTransition",
    value: create(RolloutSchema, {
      id: rolloutId,
      namespace: "shop",
      service: "checkout",
      stableVersion: "v1",
      canaryVersion: "v2",
      phase,
      updatedAt: timestampFromMs(Date.now()),
      ...fields,
    }),
  };
}

export function decisionBody(
  rolloutId: string,
  sequence: number,
  phase: RolloutPhase,
  canaryWeight: number,
  decision = "pass",
): EventBody {
  return {
    case: "rolloutDecision",
    value: create(RolloutDecisionSchema, {
      rolloutId,
      sequence,
      phase,
      canaryWeight,
      decision,
      at: timestampFromMs(Date.now()),
      reason: `${decision} at ${canaryWeight}%`,
      router: "gateway-api",
      gates: [
        { gate: "error_rate", outcome: 1, value: 0.002, threshold: 0.01, severeThreshold: 0.05, sampleSize: 300 },
      ],
    }),
  };
}

/** A pool on the namespace's database, closed when the test ends. */
export function recordPool(namespace: TestNamespace): Pool {
  const pool = createPool({ uri: namespace.mysqlUrl, connectionLimit: 2, timezone: "Z" });
  namespace.defer(() => pool.end());
  return pool;
}

/** Row counts of the record tables (0 for a table that does not exist yet). */
export async function recordCounts(
  pool: Pool,
): Promise<{ events: number; steps: number; incidents: number; rollouts: number }> {
  const countOf = async (table: string): Promise<number> => {
    try {
      const [rows] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
      return Number(rows[0]?.n);
    } catch {
      return 0;
    }
  };
  return {
    events: await countOf("satellite_events"),
    steps: await countOf("rollout_steps"),
    incidents: await countOf("incidents"),
    rollouts: await countOf("rollouts"),
  };
}
