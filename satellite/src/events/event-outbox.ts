import { toBinary } from "@bufbuild/protobuf";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@sentra/common";
import { type SatelliteEvent, SatelliteEventSchema } from "@sentra/proto";
import { Counter, Gauge, type Registry } from "prom-client";

/** @default 1000 — how long `publish` waits for JetStream's ack while NATS is up, in ms. */
export const DEFAULT_EVENT_ACK_WAIT_MS = 1_000;
/** @default 10000 — events held while NATS is unreachable; the oldest are dropped beyond it. */
export const DEFAULT_EVENT_OUTBOX_CAPACITY = 10_000;
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 5_000;
/** One publish attempt, in ms; a timeout is retried with the same message id, so it cannot duplicate. */
const PUBLISH_TIMEOUT_MS = 5_000;

/** Metrics of an {@link EventOutbox}. */
export interface EventOutboxMetrics {
  readonly published: Counter<"kind">;
  readonly publishErrors: Counter<"kind">;
  readonly dropped: Counter<"kind">;
  readonly size: Gauge;
}

/** Registers the outbox metrics on the satellite's registry. */
export function createEventOutboxMetrics(registry: Registry): EventOutboxMetrics {
  const registers = [registry];
  return {
    published: new Counter({
      name: "sentra_satellite_events_published_total",
      help: "Events acked by JetStream, by kind",
      labelNames: ["kind"],
      registers,
    }),
    publishErrors: new Counter({
      name: "sentra_satellite_event_publish_errors_total",
      help: "Failed event publish attempts (each is retried), by kind",
      labelNames: ["kind"],
      registers,
    }),
    dropped: new Counter({
      name: "sentra_satellite_events_dropped_total",
      help: "Events never published (outbox full, or unpublished at shutdown), by kind",
      labelNames: ["kind"],
      registers,
    }),
    size: new Gauge({
      name: "sentra_satellite_event_outbox_size",
      help: "Events waiting for a JetStream ack",
      registers,
    }),
  };
}

/** Options of an {@link EventOutbox}. */
export interface EventOutboxOptions {
  /** `…sat.<id>.event`. */
  readonly subject: string;
  /** @default DEFAULT_EVENT_ACK_WAIT_MS */
  readonly ackWaitMs?: number;
  /** @default DEFAULT_EVENT_OUTBOX_CAPACITY */
  readonly capacity?: number;
  readonly metrics: EventOutboxMetrics;
  readonly logger: Logger;
}

interface Entry {
  readonly event: SatelliteEvent;
  readonly kind: string;
  readonly acked: Promise<void>;
  readonly resolve: () => void;
}

/**
 * Publishes satellite events to JetStream in order, with the event id as the message id (JetStream
 * drops a retried duplicate), retrying until acked. `publish` resolves on the ack — so a decision
 * is durable before the engine moves traffic — but waits at most `ackWaitMs`, and not at all while
 * NATS is disconnected or events are already queued: a satellite cut off from NATS keeps guarding
 * its rollouts, and its events follow when NATS is back. `publish` never rejects.
 */
export class EventOutbox {
  private readonly js: JetStreamClient;
  private readonly queue: Entry[] = [];
  private inFlight: Entry | undefined;
  private draining: Promise<void> | undefined;
  private connected = true;
  private closed = false;
  private readonly stopRetrying = new AbortController();

  constructor(
    private readonly nats: NatsConnection,
    private readonly options: EventOutboxOptions,
  ) {
    this.js = jetstream(nats);
    void this.followConnection();
  }

  /** Events not yet acked. */
  get size(): number {
    return this.queue.length;
  }

  /** Queues an event; resolves once JetStream acked it, or sooner (see the class comment). */
  publish(event: SatelliteEvent): Promise<void> {
    const kind = event.body.case ?? "unknown";
    if (this.closed) {
      this.options.metrics.dropped.inc({ kind });
      this.options.logger.warn({ eventId: event.eventId, kind }, "event outbox closed; event dropped");
      return Promise.resolve();
    }
    const backlog = this.queue.length;
    let resolve = (): void => {};
    const acked = new Promise<void>((done) => {
      resolve = done;
    });
    this.queue.push({ event, kind, acked, resolve });
    this.trim();
    this.options.metrics.size.set(this.queue.length);
    this.kick();
    if (backlog > 0 || !this.connected || this.nats.isClosed()) return Promise.resolve();
    return this.waitAck(acked, this.options.ackWaitMs ?? DEFAULT_EVENT_ACK_WAIT_MS);
  }

  /** Stops accepting events and tries to publish what is queued within `timeoutMs`. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.closed = true;
    if (this.queue.length > 0 && this.connected) {
      await this.waitAck(
        Promise.all(this.queue.map((entry) => entry.acked)).then(() => {}),
        timeoutMs,
      );
    }
    this.stopRetrying.abort();
    await this.draining;
    if (this.queue.length > 0) {
      this.options.logger.warn({ unpublished: this.queue.length }, "stopping with unpublished events");
      for (const entry of this.queue.splice(0)) {
        this.options.metrics.dropped.inc({ kind: entry.kind });
        entry.resolve();
      }
      this.options.metrics.size.set(0);
    }
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && !this.stopRetrying.signal.aborted) this.kick();
    });
  }

  private async drain(): Promise<void> {
    let delayMs = RETRY_BASE_MS;
    let failing = false;
    while (this.queue.length > 0 && !this.stopRetrying.signal.aborted) {
      const entry = this.queue[0] as Entry;
      this.inFlight = entry;
      try {
        await this.js.publish(this.options.subject, toBinary(SatelliteEventSchema, entry.event), {
          msgID: entry.event.eventId,
          timeout: PUBLISH_TIMEOUT_MS,
        });
        this.remove(entry);
        this.options.metrics.published.inc({ kind: entry.kind });
        entry.resolve();
        if (failing) this.options.logger.info({ queued: this.queue.length }, "event publishing recovered");
        failing = false;
        delayMs = RETRY_BASE_MS;
      } catch (error) {
        this.options.metrics.publishErrors.inc({ kind: entry.kind });
        if (!failing) {
          this.options.logger.warn(
            { err: error instanceof Error ? error.message : String(error), queued: this.queue.length },
            "event publish failed; retrying until JetStream acks",
          );
        }
        failing = true;
        await abortableDelay(delayMs, this.stopRetrying.signal);
        delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  /** Drops the oldest queued events beyond capacity (never the one being published). */
  private trim(): void {
    const capacity = this.options.capacity ?? DEFAULT_EVENT_OUTBOX_CAPACITY;
    while (this.queue.length > capacity) {
      const index = this.queue[0] === this.inFlight ? 1 : 0;
      const [dropped] = this.queue.splice(index, 1);
      if (dropped === undefined) return;
      this.options.metrics.dropped.inc({ kind: dropped.kind });
      this.options.logger.error(
        { eventId: dropped.event.eventId, capacity },
        "event outbox full; oldest event dropped",
      );
      dropped.resolve();
    }
  }

  private remove(entry: Entry): void {
    const index = this.queue.indexOf(entry);
    if (index >= 0) this.queue.splice(index, 1);
    this.options.metrics.size.set(this.queue.length);
  }

  private async waitAck(acked: Promise<void>, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([acked, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async followConnection(): Promise<void> {
    for await (const status of this.nats.status()) {
      if (status.type === "disconnect") this.connected = false;
      if (status.type === "reconnect") {
        this.connected = true;
        this.kick();
      }
    }
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
