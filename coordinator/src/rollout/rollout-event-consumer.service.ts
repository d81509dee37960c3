import { type ConsumerMessages, type JsMsg, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import { type Logger, sleep } from "@sentra/common";
import { parseSatelliteSubject } from "@sentra/proto";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, NATS_CONNECTION } from "../config/coordinator-config.js";
import { LogThrottle } from "../infrastructure/log-throttle.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EVENT_CONSUMER_NAME, ensureEventStream } from "./event-stream.js";
import { RolloutChangeFeed } from "./rollout-change-feed.js";
import { RolloutMetrics } from "./rollout-metrics.js";
import { RolloutRepository } from "./rollout-repository.js";
import { toSatelliteEventRecord } from "./satellite-event-record.js";

/** @default 256 — events pulled per batch. */
const PULL_BATCH = 256;
/** @default 5 — deliveries of an event whose data MySQL refuses before it is terminated. */
const MAX_DELIVERIES_OF_REFUSED_EVENT = 5;
/** @default 30000 — longest redelivery delay after a store failure. */
const MAX_REDELIVERY_DELAY_MS = 30_000;
/** @default 1000 — pause before re-creating the consumer after it failed or went missing. */
const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * MySQL errors about one event's data (a value out of range, bad JSON): redelivering that event
 * cannot help, so after a few tries it is terminated. Every other failure (MySQL down, a lock
 * timeout, a missing table, revoked rights) is about the store, not the event: the event is
 * redelivered until the store takes it, so nothing is lost to an outage or a misconfiguration.
 */
const EVENT_DATA_ERRORS = new Set([
  "ER_DATA_TOO_LONG",
  "ER_TRUNCATED_WRONG_VALUE",
  "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
  "ER_WARN_DATA_OUT_OF_RANGE",
  "ER_BAD_NULL_ERROR",
  "ER_INVALID_JSON_TEXT",
  "ER_INVALID_JSON_TEXT_IN_PARAM",
  "ER_INVALID_CHARACTER_STRING",
]);

/**
 * Persists the satellites' JetStream events in MySQL, exactly once. It owns the stream and a
 * durable pull consumer (shared by every coordinator replica): an event is acknowledged only after
 * its MySQL transaction committed, so a coordinator outage loses nothing, and it is recorded under
 * its event id in the same transaction, so a redelivery or a replay changes nothing. Malformed
 * events are counted and terminated: never redelivered, never blocking the ones behind them.
 */
@Injectable()
export class RolloutEventConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private stream = "";
  private stopping = false;
  /** Cuts short the pauses between retries when the coordinator stops. */
  private readonly stopped = new AbortController();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly logThrottle = new LogThrottle();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: RolloutRepository,
    private readonly feed: RolloutChangeFeed,
    private readonly metrics: RolloutMetrics,
    private readonly coordinatorMetrics: CoordinatorMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // At start, a clear failure beats a coordinator that silently records nothing.
    this.stream = (await this.ensureStream()).stream;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async ensureStream(): Promise<{ stream: string }> {
    const result = await ensureEventStream(this.nats, {
      subjectPrefix: this.config.subjectPrefix,
      maxAgeMs: this.config.rollout.eventStreamMaxAgeMs,
      replicas: this.config.rollout.eventStreamReplicas,
      maxBytes: this.config.rollout.eventStreamMaxBytes,
      maxMessageBytes: this.config.maxPayloadBytes.event,
    });
    this.logger.info(
      { stream: result.stream, consumer: result.consumer, created: result.created },
      "satellite event stream ready",
    );
    return result;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const consumer = await jetstream(this.nats).consumers.get(this.stream, EVENT_CONSUMER_NAME);
        // Missing stream or consumer (deleted by an operator) ends the iteration: we set it up again.
        const messages = await consumer.consume({ max_messages: PULL_BATCH, abort_on_missing_resource: true });
        this.messages = messages;
        if (this.stopping) await messages.close();
        // One at a time, in stream order: each satellite's events arrive in the order they happened.
        for await (const message of messages) await this.handle(message);
      } catch (error) {
        if (!this.stopping) this.logger.error({ err: String(error) }, "satellite event consumer failed; resubscribing");
      }
      if (this.stopping) break;
      await this.pause(RESUBSCRIBE_DELAY_MS);
      await this.ensureStream().catch((error: unknown) =>
        this.logger.error({ err: String(error) }, "could not set up the satellite event stream"),
      );
    }
  }

  /** Applies one message; never throws (a throw would stop the consumer). */
  private async handle(message: JsMsg): Promise<void> {
    const subject = parseSatelliteSubject(message.subject, this.config.subjectPrefix);
    if (subject?.kind !== "event") {
      this.drop(message, "bad_subject");
      return;
    }
    const decoded = toSatelliteEventRecord(message.data, {
      subjectSatelliteId: subject.satelliteId,
      streamSeq: message.seq,
      storedAtMs: Math.floor(message.info.timestampNanos / 1e6),
      maxBytes: this.config.maxPayloadBytes.event,
    });
    if (!decoded.ok) {
      if (decoded.reason === "subject_mismatch") {
        // A satellite speaking for another: a bug in its configuration, or an attack. Never the payload.
        const { log, suppressed } = this.logThrottle.admit(subject.satelliteId);
        if (log) {
          this.logger.warn(
            {
              kind: "event",
              subjectSatelliteId: subject.satelliteId,
              bodySatelliteId: decoded.bodySatelliteId,
              suppressed,
            },
            "message names another satellite than its subject; dropped",
          );
        }
      }
      this.drop(message, decoded.reason);
      return;
    }
    const { record } = decoded;
    try {
      const result = await this.repository.recordEvent(record, new Date());
      switch (result.outcome) {
        case "duplicate":
          this.metrics.events.inc({ kind: record.kind, outcome: "duplicate" });
          message.ack();
          this.logger.debug({ eventId: record.eventId, satelliteId: record.satelliteId }, "duplicate event skipped");
          return;
        case "foreign":
          this.logger.warn(
            {
              eventId: record.eventId,
              satelliteId: record.satelliteId,
              rolloutId: record.rolloutId,
              owner: result.owner,
            },
            "event about another satellite's rollout dropped",
          );
          this.drop(message, "foreign_rollout");
          return;
        case "persisted":
          message.ack();
          this.coordinatorMetrics.natsMessages.inc({ kind: "event" });
          this.metrics.events.inc({ kind: record.kind, outcome: "persisted" });
          this.metrics.eventLag.observe({ kind: record.kind }, Math.max(0, Date.now() - record.at.getTime()) / 1000);
          this.logger.debug(
            {
              eventId: record.eventId,
              satelliteId: record.satelliteId,
              kind: record.kind,
              rolloutId: record.rolloutId,
            },
            "event persisted",
          );
          if (result.rolloutId && (result.applied || record.step || record.incident))
            this.feed.publish(result.rolloutId);
          return;
        default: {
          const unreachable: never = result;
          throw new Error(`unknown outcome ${String(unreachable)}`);
        }
      }
    } catch (error) {
      await this.onStoreError(message, record.eventId, error);
    }
  }

  private async onStoreError(message: JsMsg, eventId: string, error: unknown): Promise<void> {
    const refusedData = isEventDataError(error);
    this.metrics.storeErrors.inc({ kind: refusedData ? "data" : "store" });
    const deliveries = message.info.deliveryCount;
    if (refusedData && deliveries >= MAX_DELIVERIES_OF_REFUSED_EVENT) {
      this.logger.error(
        { eventId, subject: message.subject, deliveries, err: String(error) },
        "MySQL keeps refusing this event's data; terminated",
      );
      this.drop(message, "store_rejected");
      return;
    }
    const delayMs = Math.min(MAX_REDELIVERY_DELAY_MS, 500 * 2 ** Math.min(deliveries - 1, 10));
    this.logger[deliveries >= MAX_DELIVERIES_OF_REFUSED_EVENT ? "error" : "warn"](
      { eventId, deliveries, delayMs, err: String(error) },
      "event not stored; redelivering",
    );
    message.nak(delayMs);
    // The events behind this one would fail the same way while the store is down: do not spin.
    if (!refusedData) await this.pause(Math.min(delayMs, 5_000));
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, this.stopped.signal).catch(() => undefined);
  }

  private drop(message: JsMsg, reason: string): void {
    this.coordinatorMetrics.natsDropped.inc({ kind: "event", reason });
    // Plain +TERM: the reason-carrying form needs nats-server 2.10.4 and older servers redeliver it.
    message.term();
  }
}

/** Whether MySQL refused this event's data (as opposed to failing as a store). */
export function isEventDataError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code } = error as { code?: unknown };
  return typeof code === "string" && EVENT_DATA_ERRORS.has(code);
}
