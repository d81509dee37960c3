import { describe, expect, it } from "vitest";
import { parseSatelliteSubject, satelliteInboxPrefix, satelliteSubject } from "./subjects.js";

describe("satellite subjects", () => {
  it("round-trips a subject, with and without a prefix", () => {
    expect(parseSatelliteSubject(satelliteSubject("aws-eu-west-1", "health"))).toEqual({
      satelliteId: "aws-eu-west-1",
      kind: "health",
    });
    expect(parseSatelliteSubject(satelliteSubject("gcp-x", "event", "t1"), "t1")).toEqual({
      satelliteId: "gcp-x",
      kind: "event",
    });
  });

  it("refuses a token a wildcard subscriber would receive but no satellite can have", () => {
    expect(parseSatelliteSubject("sentra.v1.sat.EVIL.health")).toBeUndefined();
    expect(parseSatelliteSubject(`sentra.v1.sat.${"a".repeat(64)}.health`)).toBeUndefined();
    expect(parseSatelliteSubject("sentra.v1.sat.a.health.extra")).toBeUndefined();
    expect(parseSatelliteSubject("other.v1.sat.a.health")).toBeUndefined();
  });

  it("gives every satellite its own inbox token", () => {
    expect(satelliteInboxPrefix("aws-eu-west-1")).toBe("_INBOX_sat_aws-eu-west-1");
    expect(() => satelliteInboxPrefix("a.b")).toThrow(/invalid satellite id/);
  });
});
