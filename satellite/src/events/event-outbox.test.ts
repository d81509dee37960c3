import { create, fromBinary } from "@bufbuild/protobuf";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createLogger } from "@sentra/common";
import { type SatelliteEvent, SatelliteEventSchema, satelliteEventStream, satelliteSubject } from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEventOutboxMetrics, EventOutbox } from "./event-outbox.js";
import { ensureEventStream } from "./event-stream.js";

const logger = createLogger("test", "silent");

function event(id: string): SatelliteEvent {
  return create(SatelliteEventSchema, {
    eventId: id,
    satelliteId: "sat-a",
    body: { case: "incident", value: { id, rolloutId: "r1", severity: "warning", summary: id } },
  });
}

describe("event outbox on real NATS JetStream", () => {
  let namespace: TestNamespace;
  let subject: string;
  let registry: Registry;
  beforeEach(async () => {
    namespace = await createTestNamespace("outbox");
    subject = satelliteSubject("sat-a", "event", namespace.subjectPrefix);
    registry = new Registry();
    namespace.defer(async () => {
      const manager = await jetstreamManager(await namespace.nats());
      await manager.streams.delete(satelliteEventStream(namespace.subjectPrefix).name).catch(() => false);
    });
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  const stored = async (): Promise<string[]> => {
    const nats = await namespace.nats();
    const name = satelliteEventStream(namespace.subjectPrefix).name;
    const info = await (await jetstreamManager(nats)).streams.info(name);
    if (info.state.messages === 0) return [];
    const messages = await (await jetstream(nats).consumers.get(name)).consume();
    const ids: string[] = [];
    for await (const message of messages) {
      ids.push(fromBinary(SatelliteEventSchema, message.data).eventId);
      if (message.info.pending === 0) break;
    }
    await messages.close();
    return ids;
  };
  const metric = async (name: string) =>
    (await registry.getSingleMetric(name)?.get())?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;

  it("keeps guarding when events cannot be stored, and delivers them in order, once each, when they can", async () => {
    const outbox = new EventOutbox(await namespace.nats(), {
      subject,
      ackWaitMs: 300,
      logger,
      metrics: createEventOutboxMetrics(registry),
    });
    namespace.defer(() => outbox.close(500));

    // No stream yet: the first event waits at most ackWaitMs, later ones do not wait behind it.
    let started = performance.now();
    await outbox.publish(event("e1"));
    expect(performance.now() - started).toBeLessThan(1_000);
    started = performance.now();
    await outbox.publish(event("e2"));
    await outbox.publish(event("e3"));
    expect(performance.now() - started).toBeLessThan(250);
    await eventually(async () =>
      expect(await metric("sentra_satellite_event_publish_errors_total")).toBeGreaterThan(0),
    );
    expect(outbox.size).toBe(3);

    await ensureEventStream(await namespace.nats(), namespace.subjectPrefix, logger);
    await eventually(() => expect(outbox.size).toBe(0), 10_000);
    // A retried event id (as after a publish whose ack was lost) is stored once.
    await outbox.publish(event("e2"));
    expect(await stored()).toEqual(["e1", "e2", "e3"]);
    expect(await metric("sentra_satellite_events_published_total")).toBe(4);
    expect(await metric("sentra_satellite_event_outbox_size")).toBe(0);
  });

  it("drops the oldest events beyond its capacity, counts them, and still delivers the newest", async () => {
    const outbox = new EventOutbox(await namespace.nats(), {
      subject,
      ackWaitMs: 0,
      capacity: 2,
      logger,
      metrics: createEventOutboxMetrics(registry),
    });
    namespace.defer(() => outbox.close(500));
    for (const id of ["e1", "e2", "e3", "e4"]) await outbox.publish(event(id));
    expect(await metric("sentra_satellite_events_dropped_total")).toBe(2);

    await ensureEventStream(await namespace.nats(), namespace.subjectPrefix, logger);
    await eventually(() => expect(outbox.size).toBe(0), 10_000);
    const ids = await stored();
    expect(ids).toHaveLength(2);
    expect(ids.at(-1)).toBe("e4");
  });
});
