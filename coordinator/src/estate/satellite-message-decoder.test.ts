import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { HealthSummarySchema, PriceSnapshotSchema } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { decodeHealth, decodePrices } from "./satellite-message-decoder.js";

const region = { cloud: "aws", name: "eu-west-1", latitude: 53.3, longitude: -6.3 };
const health = (satelliteId: string, fields: Omit<MessageInitShape<typeof HealthSummarySchema>, "$typeName"> = {}) =>
  toBinary(
    HealthSummarySchema,
    create(HealthSummarySchema, {
      satelliteId,
      region,
      heartbeatIntervalMs: 2_000,
      sequence: 1,
      grpcEndpoint: "127.0.0.1:50061",
      ...fields,
    }),
  );

describe("satellite message decoding", () => {
  it("accepts a well-formed heartbeat from the satellite its subject names", () => {
    const result = decodeHealth(health("aws-eu-west-1"), "aws-eu-west-1", 1_024);
    expect(result.ok && result.message.satelliteId).toBe("aws-eu-west-1");
  });

  it("rejects a heartbeat whose body claims another satellite, naming both", () => {
    expect(decodeHealth(health("aws-eu-west-1"), "aws-us-east-1", 1_024)).toEqual({
      ok: false,
      reason: "subject_mismatch",
      bodySatelliteId: "aws-eu-west-1",
    });
  });

  it("classifies garbage, empty and oversized payloads, checking the size before decoding", () => {
    expect(decodeHealth(new Uint8Array([0xff, 0xff, 0xff]), "x", 1_024)).toEqual({ ok: false, reason: "malformed" });
    expect(decodeHealth(new Uint8Array(0), "x", 1_024)).toEqual({ ok: false, reason: "invalid" });
    expect(decodeHealth(new Uint8Array(2_000), "x", 1_024)).toEqual({ ok: false, reason: "oversized" });
    expect(decodeHealth(new Uint8Array(2_000).fill(0xff), "x", 1_024)).toEqual({ ok: false, reason: "oversized" });
  });

  it("rejects heartbeats whose stored or trusted fields are absurd", () => {
    const id = "aws-eu-west-1";
    const invalid = { ok: false, reason: "invalid" };
    // A huge promised interval would keep a dead satellite "live" for days.
    expect(decodeHealth(health(id, { heartbeatIntervalMs: 4_000_000_000 }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { heartbeatIntervalMs: 0 }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { region: { ...region, latitude: Number.NaN } }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { region: { ...region, longitude: 500 } }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { region: { ...region, name: "eu:west" } }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { region: { ...region, cloud: "" } }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { grpcEndpoint: "evil host:1" }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { version: "v".repeat(65) }), id, 1_024)).toEqual(invalid);
    expect(decodeHealth(health(id, { grpcEndpoint: "" }), id, 1_024).ok).toBe(true);
    expect(decodeHealth(health(id, { grpcEndpoint: "[::1]:50051" }), id, 1_024).ok).toBe(true);
  });

  it("drops implausible prices one by one, with a reason each, and keeps the rest", () => {
    const price = (instanceType: string, usdPerHour: number, priceRegion = "eu-west-1") => ({
      cloud: "aws",
      region: priceRegion,
      instanceType,
      usdPerHour,
    });
    const snapshot = create(PriceSnapshotSchema, {
      satelliteId: "aws-eu-west-1",
      region,
      prices: [
        price("m5.large", 0.04),
        price("c5.large", Number.NaN),
        price("c5.xlarge", Number.POSITIVE_INFINITY),
        price("r5.large", -1),
        price("r5.xlarge", 0),
        price("p3.2xlarge", 50_000),
        price("m5.large", 0.01, "us-east-1"),
        price("m5 large; DROP", 0.05),
        price("Standard_D2s_v3", 0.02),
      ],
    });
    const result = decodePrices(toBinary(PriceSnapshotSchema, snapshot), "aws-eu-west-1", 10_000);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message.prices.map((entry) => entry.instanceType)).toEqual(["m5.large", "Standard_D2s_v3"]);
    expect(result.rejectedPrices.map((entry) => [entry.price.instanceType, entry.reason])).toEqual([
      ["c5.large", "not_finite"],
      ["c5.xlarge", "not_finite"],
      ["r5.large", "not_positive"],
      ["r5.xlarge", "not_positive"],
      ["p3.2xlarge", "above_max"],
      ["m5.large", "other_region"],
      ["m5 large; DROP", "bad_instance_type"],
    ]);
  });

  it("drops a whole price snapshot whose body claims another satellite", () => {
    const snapshot = create(PriceSnapshotSchema, { satelliteId: "gcp-us-east1", region, prices: [] });
    expect(decodePrices(toBinary(PriceSnapshotSchema, snapshot), "aws-eu-west-1", 10_000)).toEqual({
      ok: false,
      reason: "subject_mismatch",
      bodySatelliteId: "gcp-us-east1",
    });
  });
});
