import { fromBinary } from "@bufbuild/protobuf";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type SatelliteEvent, SatelliteEventSchema, satelliteEventStream, satelliteSubject } from "@sentra/proto";
import type { TestNamespace } from "@sentra/testkit";

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

/**
 * Deletes the namespace's JetStream event stream when the namespace is disposed (an absent stream is
 * fine). Call it before starting what creates the stream, so that it runs after that has stopped
 * (defers run in reverse).
 */
export function deleteSatelliteEventStreamOnDispose(namespace: TestNamespace): void {
  namespace.defer(async () => {
    const manager = await jetstreamManager(await namespace.nats());
    await manager.streams.delete(satelliteEventStream(namespace.subjectPrefix).name).catch(() => false);
  });
}
