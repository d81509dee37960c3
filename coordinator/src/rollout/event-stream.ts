import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { SentraError } from "@sentra/common";
import { SATELLITE_EVENT_CONSUMER, satelliteEventStream, satelliteEventStreamConfig } from "@sentra/proto";

/**
 * The JetStream stream of satellite events and the coordinator's durable consumer on it. The
 * coordinator owns both: it creates or updates them at start, so events published while it is
 * down wait in the stream (docs/wire-contracts.md, "Event stream").
 */

/** @default "sentra-coordinator" — one durable consumer shared by every coordinator replica. */
export const EVENT_CONSUMER_NAME = SATELLITE_EVENT_CONSUMER;
/** @default 30000 — an unacknowledged event is redelivered after this long. */
export const EVENT_ACK_WAIT_MS = 30_000;
/** @default 1000 — events in flight to coordinators before JetStream waits for acks. */
export const EVENT_MAX_ACK_PENDING = 1_000;

const NANOS_PER_MS = 1_000_000;

/** Stream name and subjects for a subject prefix: `SENTRA_EVENTS`, or `SENTRA_EVENTS_<prefix>`. */
export function eventStreamOf(subjectPrefix: string): { name: string; subjects: string[] } {
  return satelliteEventStream(subjectPrefix);
}

export interface EventStreamOptions {
  subjectPrefix: string;
  /** Events older than this are dropped from the stream, read or not. */
  maxAgeMs: number;
  /** Bytes kept; above, the oldest events are discarded (as with age). */
  maxBytes: number;
  /** Copies kept by a NATS cluster (1 on a single server). */
  replicas: number;
  /** Larger events are refused by the server at publish. */
  maxMessageBytes: number;
}

/** The stream's configuration (one definition, in @sentra/proto) with the coordinator's settings. */
export function eventStreamConfig(options: EventStreamOptions): Partial<StreamConfig> & { name: string } {
  return satelliteEventStreamConfig(options.subjectPrefix, options) as Partial<StreamConfig> & { name: string };
}

/**
 * The durable pull consumer. Explicit acks, sent only after the MySQL transaction committed;
 * unlimited deliveries, because a MySQL outage must not lose events (malformed events are
 * terminated instead, never redelivered).
 */
export function eventConsumerConfig(): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: EVENT_CONSUMER_NAME,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: EVENT_ACK_WAIT_MS * NANOS_PER_MS,
    max_deliver: -1,
    max_ack_pending: EVENT_MAX_ACK_PENDING,
  };
}

/** JetStream's "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/**
 * Creates the stream, or brings an existing one to the configuration (idempotent; several
 * coordinators may race here). Then creates the durable consumer if it is missing.
 */
export async function ensureEventStream(
  nats: NatsConnection,
  options: EventStreamOptions,
): Promise<{ stream: string; consumer: string; created: boolean }> {
  const config = eventStreamConfig(options);
  let created = false;
  try {
    const jsm = await jetstreamManager(nats);
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
      try {
        await jsm.streams.add(config);
        created = true;
      } catch (addError) {
        // Another coordinator created it between our info and add: converge on our configuration.
        if (!(addError instanceof JetStreamApiError) || addError.code !== STREAM_NAME_IN_USE) throw addError;
        await jsm.streams.update(config.name, config);
      }
    }
    const consumer = eventConsumerConfig();
    try {
      await jsm.consumers.info(config.name, consumer.durable_name);
      const { durable_name: _name, ...changes } = consumer;
      await jsm.consumers.update(config.name, consumer.durable_name, changes);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
      // Adding a durable that another coordinator just added with the same configuration is a no-op.
      await jsm.consumers.add(config.name, consumer);
    }
  } catch (error) {
    throw new SentraError(
      "UNAVAILABLE",
      `cannot set up the JetStream event stream ${config.name}: ${error instanceof Error ? error.message : String(error)} (is nats-server running with -js?)`,
      { cause: error },
    );
  }
  return { stream: config.name, consumer: EVENT_CONSUMER_NAME, created };
}
