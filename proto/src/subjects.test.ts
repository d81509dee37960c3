import { describe, expect, it } from "vitest";
import { parseSatelliteSubject, satelliteIdOfSubject, satelliteInboxPrefix, satelliteSubject } from "./subjects.js";

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

  it("reads the id of a subject of one kind, and agrees with the parser on every subject", () => {
    expect(satelliteIdOfSubject(satelliteSubject("aws-eu-west-1", "health"), "", "health")).toBe("aws-eu-west-1");
    expect(satelliteIdOfSubject(satelliteSubject("aws-eu-west-1", "price"), "", "health")).toBeUndefined();
    expect(satelliteIdOfSubject(satelliteSubject("a", "health", "t1"), "t1", "health")).toBe("a");
    expect(satelliteIdOfSubject(satelliteSubject("a", "health", "t1"), "t", "health")).toBeUndefined();
    expect(satelliteIdOfSubject(satelliteSubject("a", "health", "t1"), "", "health")).toBeUndefined();
    expect(satelliteIdOfSubject("sentra.v1.sat.a.xhealth", "", "health")).toBeUndefined();
    const tokens = ["sentra", "v1", "sat", "t1", "a", "aws-x", "EVIL", "", "health", "price", "a.b", "x".repeat(64)];
    for (let n = 0; n < 5_000; n++) {
      const count = 1 + (n % 7);
      const subject = Array.from({ length: count }, (_, k) => tokens[(n * 7 + k * 13 + (n >> 3)) % tokens.length]).join(
        ".",
      );
      for (const prefix of ["", "t1"]) {
        const parsed = parseSatelliteSubject(`${prefix ? `${prefix}.` : ""}sentra.v1.sat.${subject}`, prefix);
        expect(satelliteIdOfSubject(`${prefix ? `${prefix}.` : ""}sentra.v1.sat.${subject}`, prefix)).toBe(
          parsed?.satelliteId,
        );
      }
    }
  });

  it("gives every satellite its own inbox token", () => {
    expect(satelliteInboxPrefix("aws-eu-west-1")).toBe("_INBOX_sat_aws-eu-west-1");
    expect(() => satelliteInboxPrefix("a.b")).toThrow(/invalid satellite id/);
  });
});
