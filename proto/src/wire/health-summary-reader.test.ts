import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { mutate, randomMessageInit, SeededRandom } from "../../../e2e/support/fuzz.js";
import { type HealthSummary, HealthSummarySchema } from "../gen/sentra/v1/estate_pb.js";
import { timestampFromMs } from "../time.js";
import { readHealthSummary } from "./health-summary-reader.js";

/**
 * Same content: both re-encode to the same bytes (equals() would call two NaN coordinates
 * different); unknown fields left out, as the fast reader skips them.
 */
function same(a: HealthSummary, b: HealthSummary): boolean {
  const encode = (message: HealthSummary) => toBinary(HealthSummarySchema, message, { writeUnknownFields: false });
  return Buffer.from(encode(a)).equals(encode(b));
}

function decodeBoth(bytes: Uint8Array) {
  const attempt = <T>(decode: () => T): { ok: true; value: T } | { ok: false } => {
    try {
      return { ok: true, value: decode() };
    } catch {
      return { ok: false };
    }
  };
  return {
    generic: attempt(() => fromBinary(HealthSummarySchema, bytes)),
    fast: attempt(() => readHealthSummary(bytes)),
  };
}

describe("readHealthSummary", () => {
  it("decodes a satellite's heartbeat to the message fromBinary gives", () => {
    const heartbeat = create(HealthSummarySchema, {
      satelliteId: "aws-eu-west-1",
      region: {
        cloud: "aws",
        name: "eu-west-1",
        displayName: "Ireland",
        city: "Dublin",
        latitude: 53.3,
        longitude: -6.3,
      },
      sequence: 42,
      sentAt: timestampFromMs(1_765_000_000_123),
      startedAt: timestampFromMs(1_765_000_000_000),
      status: 2,
      clusters: [
        { cluster: "a", reachable: true, workloads: 3, desiredReplicas: 9, readyReplicas: 8 },
        { cluster: "b", reachable: false, error: "connection refused" },
      ],
      heartbeatIntervalMs: 2_000,
      version: "1.2.3",
      grpcEndpoint: "10.0.0.1:7443",
    });
    const decoded = readHealthSummary(toBinary(HealthSummarySchema, heartbeat));
    expect(equals(HealthSummarySchema, decoded, heartbeat)).toBe(true);
    expect(decoded.sentAt?.seconds).toBe(1_765_000_000n);
    expect(decoded.sentAt?.nanos).toBe(123_000_000);
  });

  it("agrees with fromBinary on 5,000 random messages (hostile values, edge numbers, unknown enums)", () => {
    const random = new SeededRandom(20261206);
    for (let i = 0; i < 5_000; i++) {
      const bytes = toBinary(
        HealthSummarySchema,
        create(HealthSummarySchema, randomMessageInit(random, HealthSummarySchema)),
      );
      const { generic, fast } = decodeBoth(bytes);
      expect(generic.ok && fast.ok, `message ${i}`).toBe(true);
      if (generic.ok && fast.ok) expect(same(fast.value, generic.value), `message ${i}`).toBe(true);
    }
  });

  it("is never more lenient than fromBinary on damaged bytes, and agrees whenever both accept", () => {
    const random = new SeededRandom(6122026);
    let bothAccepted = 0;
    let bothRefused = 0;
    for (let i = 0; i < 20_000; i++) {
      const valid = toBinary(
        HealthSummarySchema,
        create(HealthSummarySchema, randomMessageInit(random, HealthSummarySchema)),
      );
      const { bytes, kind } = mutate(random, valid);
      const { generic, fast } = decodeBoth(bytes);
      if (fast.ok) {
        expect(generic.ok, `mutation ${i} (${kind}) accepted only by the fast reader`).toBe(true);
        if (generic.ok) {
          expect(same(fast.value, generic.value), `mutation ${i} (${kind})`).toBe(true);
          bothAccepted++;
        }
      } else if (!generic.ok) {
        bothRefused++;
      }
    }
    // Both outcomes happen often, so the comparison above is not vacuous.
    expect(bothAccepted).toBeGreaterThan(2_000);
    expect(bothRefused).toBeGreaterThan(2_000);
  });

  it("skips unknown fields (a newer satellite) and merges a repeated sub-message as proto3 does", () => {
    const first = toBinary(
      HealthSummarySchema,
      create(HealthSummarySchema, { satelliteId: "s", region: { cloud: "aws", name: "x" }, sequence: 1 }),
    );
    const second = toBinary(
      HealthSummarySchema,
      create(HealthSummarySchema, { region: { latitude: 10 }, sequence: 2, clusters: [{ cluster: "c" }] }),
    );
    // Field 99, length-delimited, 3 bytes: unknown to this schema.
    const unknown = Uint8Array.from([0x9a, 0x06, 3, 1, 2, 3]);
    const bytes = Uint8Array.from([...first, ...unknown, ...second]);
    const decoded = readHealthSummary(bytes);
    expect(decoded.region).toMatchObject({ cloud: "aws", name: "x", latitude: 10 });
    expect(decoded.sequence).toBe(2);
    expect(decoded.clusters.map((cluster) => cluster.cluster)).toEqual(["c"]);
    expect(same(decoded, fromBinary(HealthSummarySchema, bytes))).toBe(true);
  });
});
