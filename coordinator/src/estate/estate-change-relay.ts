import { randomUUID } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "@sentra/common";
import {
  coordinatorAppliedSubject,
  EstateChangeBatchSchema,
  PriceSnapshotSchema,
  readHealthSummary,
} from "@sentra/proto";
import type { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import type { EstateEvents } from "./estate-events.js";

/** @default 524288 — most payload bytes in one announcement (NATS's default max_payload is 1 MiB). */
const MAX_ANNOUNCEMENT_BYTES = 524_288;

/** One applied message to announce: its payload and when this replica received it. */
export interface AppliedPayload {
  readonly payload: Uint8Array;
  readonly receivedAtMs: number;
}

/**
 * Replicas share the satellites' subjects (a NATS queue group), so each applies only its share.
 * After each batch reached Redis, the replica announces what it applied on
 * `sentra.v1.coordinator.applied`; every other replica turns the announcement into the same
 * estate events its own ingest raises, so each replica's dashboard mirror sees the whole estate.
 * Liveness needs none of this: it is judged from Redis, which every replica shares.
 */
export class EstateChangeRelay {
  /** This process; its own announcements come back to it and are ignored. */
  readonly replicaId = randomUUID();
  private subscription: Subscription | undefined;

  constructor(
    private readonly nats: NatsConnection,
    private readonly subjectPrefix: string,
    private readonly events: EstateEvents,
    private readonly metrics: CoordinatorMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.subscription = this.nats.subscribe(coordinatorAppliedSubject(this.subjectPrefix), {
      callback: (error, message) => {
        if (error) return;
        this.receive(message.data);
      },
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** Announces applied heartbeats and price snapshots, in messages of at most ~512 KiB. */
  announce(heartbeats: readonly AppliedPayload[], priceSnapshots: readonly AppliedPayload[]): void {
    if (heartbeats.length === 0 && priceSnapshots.length === 0) return;
    let start = { heartbeats: 0, prices: 0 };
    let bytes = 0;
    const send = (end: { heartbeats: number; prices: number }): void => {
      const sentHeartbeats = heartbeats.slice(start.heartbeats, end.heartbeats);
      const sentPrices = priceSnapshots.slice(start.prices, end.prices);
      start = end;
      bytes = 0;
      if (sentHeartbeats.length === 0 && sentPrices.length === 0) return;
      try {
        this.nats.publish(
          coordinatorAppliedSubject(this.subjectPrefix),
          encodeEstateChangeBatch(this.replicaId, sentHeartbeats, sentPrices),
        );
        this.metrics.replicaChanges.inc({ direction: "sent", kind: "health" }, sentHeartbeats.length);
        this.metrics.replicaChanges.inc({ direction: "sent", kind: "price" }, sentPrices.length);
      } catch (error) {
        // A closed or reconnecting connection: peers miss these live updates, not the estate (Redis has it).
        this.logger.warn({ err: String(error) }, "could not announce applied changes to other replicas");
      }
    };
    heartbeats.forEach((entry, index) => {
      if (bytes + entry.payload.byteLength > MAX_ANNOUNCEMENT_BYTES) send({ heartbeats: index, prices: 0 });
      bytes += entry.payload.byteLength + 16;
    });
    priceSnapshots.forEach((entry, index) => {
      if (bytes + entry.payload.byteLength > MAX_ANNOUNCEMENT_BYTES) {
        send({ heartbeats: heartbeats.length, prices: index });
      }
      bytes += entry.payload.byteLength + 16;
    });
    send({ heartbeats: heartbeats.length, prices: priceSnapshots.length });
  }

  private receive(data: Uint8Array): void {
    // Every replica hears its own announcements too: recognised from the first field, undecoded.
    if (replicaIdOf(data) === this.replicaId) return;
    let batch: ReturnType<typeof fromBinary<typeof EstateChangeBatchSchema>>;
    try {
      batch = fromBinary(EstateChangeBatchSchema, data);
    } catch {
      this.metrics.replicaChanges.inc({ direction: "dropped", kind: "batch" });
      return;
    }
    if (batch.replicaId === this.replicaId) return;
    for (const applied of batch.heartbeats) {
      try {
        const health = readHealthSummary(applied.payload);
        this.events.publish("satelliteChanged", { health, receivedAtMs: Number(applied.receivedAtMs) });
      } catch {
        this.metrics.replicaChanges.inc({ direction: "dropped", kind: "health" });
      }
    }
    for (const applied of batch.priceSnapshots) {
      try {
        const snapshot = fromBinary(PriceSnapshotSchema, applied.payload);
        this.events.publish("priceChanged", { snapshot, receivedAtMs: Number(applied.receivedAtMs) });
      } catch {
        this.metrics.replicaChanges.inc({ direction: "dropped", kind: "price" });
      }
    }
    this.metrics.replicaChanges.inc({ direction: "received", kind: "health" }, batch.heartbeats.length);
    this.metrics.replicaChanges.inc({ direction: "received", kind: "price" }, batch.priceSnapshots.length);
  }
}

/**
 * An `EstateChangeBatch` (replica_id = 1, heartbeats = 2, price_snapshots = 3; each AppliedMessage
 * payload = 1, received_at_ms = 2), written field by field: the generic encoder's reflection cost
 * more than the rest of a batch's announcement. The replica id goes first, so a replica can
 * recognise its own batches without decoding them ({@link replicaIdOf}).
 */
export function encodeEstateChangeBatch(
  replicaId: string,
  heartbeats: readonly AppliedPayload[],
  priceSnapshots: readonly AppliedPayload[],
): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.LengthDelimited).string(replicaId);
  const write = (field: number, entry: AppliedPayload): void => {
    writer
      .tag(field, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.LengthDelimited)
      .bytes(entry.payload)
      .tag(2, WireType.Varint)
      .int64(Math.trunc(entry.receivedAtMs))
      .join();
  };
  for (const entry of heartbeats) write(2, entry);
  for (const entry of priceSnapshots) write(3, entry);
  return writer.finish();
}

/** The replica id of an encoded batch when it comes first (as this encoder writes it), else undefined. */
export function replicaIdOf(data: Uint8Array): string | undefined {
  try {
    const reader = new BinaryReader(data);
    const [field, wireType] = reader.tag();
    return field === 1 && wireType === WireType.LengthDelimited ? reader.string() : undefined;
  } catch {
    return undefined;
  }
}
