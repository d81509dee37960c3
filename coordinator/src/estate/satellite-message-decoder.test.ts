import { create, toBinary } from "@bufbuild/protobuf";
import { HealthSummarySchema, PriceSnapshotSchema } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { decodeHealth, decodePrices } from "./satellite-message-decoder.js";

const region = { cloud: "aws", name: "eu-west-1" };
const health = (satelliteId: string) =>
  toBinary(
    HealthSummarySchema,
    create(HealthSummarySchema, { satelliteId, region, heartbeatIntervalMs: 2_000, sequence: 1 }),
  );

describe("satellite message decoding", () => {
  it("accepts a well-formed heartbeat from the satellite its subject names", () => {
    const result = decodeHealth(health("aws-eu-west-1"), "aws-eu-west-1", 1_024);
    expect(result.ok && result.message.satelliteId).toBe("aws-eu-west-1");
  });

  it("rejects a heartbeat whose body claims another satellite", () => {
    expect(decodeHealth(health("aws-eu-west-1"), "aws-us-east-1", 1_024)).toEqual({
      ok: false,
      reason: "subject_mismatch",
    });
  });

  it("classifies garbage, empty and oversized payloads", () => {
    expect(decodeHealth(new Uint8Array([0xff, 0xff, 0xff]), "x", 1_024)).toEqual({ ok: false, reason: "malformed" });
    expect(decodeHealth(new Uint8Array(0), "x", 1_024)).toEqual({ ok: false, reason: "invalid" });
    expect(decodeHealth(new Uint8Array(2_000), "x", 1_024)).toEqual({ ok: false, reason: "oversized" });
  });

  it("drops implausible prices one by one and keeps the rest", () => {
    const snapshot = create(PriceSnapshotSchema, {
      satelliteId: "aws-eu-west-1",
      region,
      prices: [
        { cloud: "aws", region: "eu-west-1", instanceType: "m5.large", usdPerHour: 0.04 },
        { cloud: "aws", region: "eu-west-1", instanceType: "c5.large", usdPerHour: Number.NaN },
        { cloud: "aws", region: "eu-west-1", instanceType: "r5.large", usdPerHour: -1 },
        { cloud: "aws", region: "eu-west-1", instanceType: "p3.2xlarge", usdPerHour: 50_000 },
        { cloud: "aws", region: "us-east-1", instanceType: "m5.large", usdPerHour: 0.01 },
      ],
    });
    const result = decodePrices(toBinary(PriceSnapshotSchema, snapshot), "aws-eu-west-1", 10_000);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message.prices.map((price) => price.instanceType)).toEqual(["m5.large"]);
    expect(result.rejectedPrices).toBe(4);
  });
});
