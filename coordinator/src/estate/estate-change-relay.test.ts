import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { EstateChangeBatchSchema } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { encodeEstateChangeBatch, replicaIdOf } from "./estate-change-relay.js";

describe("encodeEstateChangeBatch", () => {
  it("writes what the generic decoder reads back: replica, payloads and receipt times in order", () => {
    const heartbeats = [
      { payload: Uint8Array.from([1, 2, 3]), receivedAtMs: 1_765_000_000_123.7 },
      { payload: new Uint8Array(0), receivedAtMs: 5 },
    ];
    const prices = [{ payload: Uint8Array.from([9]), receivedAtMs: 1_765_000_000_999 }];
    const batch = fromBinary(EstateChangeBatchSchema, encodeEstateChangeBatch("replica-a", heartbeats, prices));
    expect(batch.replicaId).toBe("replica-a");
    expect(batch.heartbeats.map((m) => [[...m.payload], m.receivedAtMs])).toEqual([
      [[1, 2, 3], 1_765_000_000_123n],
      [[], 5n],
    ]);
    expect(batch.priceSnapshots.map((m) => [[...m.payload], m.receivedAtMs])).toEqual([[[9], 1_765_000_000_999n]]);
  });

  it("lets a replica recognise its own batch from the first field, and nothing else", () => {
    expect(replicaIdOf(encodeEstateChangeBatch("me", [], []))).toBe("me");
    expect(replicaIdOf(toBinary(EstateChangeBatchSchema, create(EstateChangeBatchSchema, { replicaId: "peer" })))).toBe(
      "peer",
    );
    // No replica id first (another encoder's order, or garbage): unknown, so the batch is decoded.
    expect(replicaIdOf(Uint8Array.from([0x12, 0x00]))).toBeUndefined();
    expect(replicaIdOf(Uint8Array.from([0x0a, 0x7f]))).toBeUndefined();
  });
});
