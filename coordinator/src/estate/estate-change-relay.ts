import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "@sentra/common";
import {
  type AppliedMessage,
  AppliedMessageSchema,
  coordinatorAppliedSubject,
  EstateChangeBatchSchema,
  HealthSummarySchema,
  PriceSnapshotSchema,
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
    let batch = create(EstateChangeBatchSchema, { replicaId: this.replicaId });
    let bytes = 0;
    const send = (): void => {
      if (batch.heartbeats.length === 0 && batch.priceSnapshots.length === 0) return;
      try {
        this.nats.publish(coordinatorAppliedSubject(this.subjectPrefix), toBinary(EstateChangeBatchSchema, batch));
        this.metrics.replicaChanges.inc({ direction: "sent", kind: "health" }, batch.heartbeats.length);
        this.metrics.replicaChanges.inc({ direction: "sent", kind: "price" }, batch.priceSnapshots.length);
      } catch (error) {
        // A closed or reconnecting connection: peers miss these live updates, not the estate (Redis has it).
        this.logger.warn({ err: String(error) }, "could not announce applied changes to other replicas");
      }
      batch = create(EstateChangeBatchSchema, { replicaId: this.replicaId });
      bytes = 0;
    };
    const add = (list: AppliedMessage[], entry: AppliedPayload): void => {
      if (bytes + entry.payload.byteLength > MAX_ANNOUNCEMENT_BYTES) send();
      list.push(
        create(AppliedMessageSchema, { payload: entry.payload, receivedAtMs: BigInt(Math.trunc(entry.receivedAtMs)) }),
      );
      bytes += entry.payload.byteLength + 16;
    };
    for (const entry of heartbeats) add(batch.heartbeats, entry);
    for (const entry of priceSnapshots) add(batch.priceSnapshots, entry);
    send();
  }

  private receive(data: Uint8Array): void {
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
        const health = fromBinary(HealthSummarySchema, applied.payload);
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
