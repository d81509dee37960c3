import { create, toBinary } from "@bufbuild/protobuf";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createLogger } from "@sentra/common";
import { SatelliteEventSchema, satelliteEventStream, satelliteSubject } from "@sentra/proto";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureEventStream } from "../events/event-stream.js";
import { createPendingState, defaultRolloutPolicy } from "../rollout/index.js";
import { readRolloutRecords } from "./read-rollout-records.js";
import { ROLLOUT_RECORD_FORMAT, type RolloutRecord } from "./rollout-record.js";

const logger = createLogger("test", "silent");

function record(id: string, sequence: number): RolloutRecord {
  return {
    format: ROLLOUT_RECORD_FORMAT,
    spec: {
      id,
      service: "checkout",
      namespace: "shop",
      version: "v2",
      stableVersion: "v1",
      policy: defaultRolloutPolicy(),
    },
    state: createPendingState(new Date(0)),
    binding: { cluster: "prod", router: "gateway-api", routeName: "checkout" },
    parentId: "",
    policyDigest: "d",
    sequence,
    startedAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    appliedVia: null,
    lastDecision: null,
    lastDecisionSequence: 0,
  };
}

describe("reading a satellite's rollouts back from the event stream", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("recover");
    namespace.defer(async () => {
      const manager = await jetstreamManager(await namespace.nats());
      await manager.streams.delete(satelliteEventStream(namespace.subjectPrefix).name).catch(() => false);
    });
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("returns the newest record of each rollout of this satellite only, skipping what it cannot read", async () => {
    const nats = await namespace.nats();
    const stream = satelliteEventStream(namespace.subjectPrefix).name;
    const mine = satelliteSubject("sat-a", "event", namespace.subjectPrefix);
    expect(await readRolloutRecords(nats, stream, mine, logger)).toEqual([]);

    await ensureEventStream(nats, namespace.subjectPrefix, logger);
    const js = jetstream(nats);
    const publish = (subject: string, stateJson: string, eventId: string) =>
      js.publish(
        subject,
        toBinary(
          SatelliteEventSchema,
          create(SatelliteEventSchema, { eventId, satelliteId: "x", rolloutStateJson: stateJson }),
        ),
      );
    await publish(mine, JSON.stringify(record("a", 1)), "a1");
    await publish(mine, JSON.stringify(record("b", 1)), "b1");
    await publish(mine, JSON.stringify(record("a", 3)), "a3");
    // Out of order (a retried publish landing late) must not win over the newer record.
    await publish(mine, JSON.stringify(record("a", 2)), "a2");
    await publish(mine, JSON.stringify({ ...record("c", 9), format: 99 }), "c9");
    await publish(mine, "not json", "junk");
    await js.publish(mine, new Uint8Array([0xff, 0xff, 0xff]));
    await publish(satelliteSubject("sat-b", "event", namespace.subjectPrefix), JSON.stringify(record("z", 1)), "z1");

    const records = await readRolloutRecords(nats, stream, mine, logger);
    expect(records.map((found) => [found.spec.id, found.sequence]).sort()).toEqual([
      ["a", 3],
      ["b", 1],
    ]);
  });
});
