import { fromBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type SatelliteEvent, SatelliteEventSchema, satelliteEventStream, satelliteSubject } from "@sentra/proto";

/** One message of a satellite's event stream and the message id JetStream de-duplicated it by. */
export interface StoredSatelliteEvent {
  readonly msgId: string;
  readonly event: SatelliteEvent;
}

/**
 * Every message a satellite has on the event stream of `subjectPrefix` (the coordinator's durable
 * consumer is left alone: this reads through an ephemeral consumer), oldest first.
 */
export async function readSatelliteEvents(
  nats: NatsConnection,
  subjectPrefix: string,
  satelliteId: string,
): Promise<StoredSatelliteEvent[]> {
  const { name } = satelliteEventStream(subjectPrefix);
  const subject = satelliteSubject(satelliteId, "event", subjectPrefix);
  const messages = await (await jetstream(nats).consumers.get(name, { filter_subjects: subject })).consume();
  const stored: StoredSatelliteEvent[] = [];
  for await (const message of messages) {
    stored.push({
      msgId: message.headers?.get("Nats-Msg-Id") ?? "",
      event: fromBinary(SatelliteEventSchema, message.data),
    });
    if (message.info.pending === 0) break;
  }
  await messages.close();
  return stored;
}

/** The sequence number that ends a satellite event id (`<satellite>.<rollout>.<sequence>`). */
export function eventSequence(eventId: string): number {
  return Number(eventId.split(".").at(-1));
}
