import { SentraError } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { ARBITRAGE_ANNOTATIONS, parseArbitrageAnnotations } from "./annotations.js";

describe("parseArbitrageAnnotations", () => {
  it("reads every sentra.io arbitrage annotation", () => {
    expect(
      parseArbitrageAnnotations({
        "sentra.io/state-gb": "40.5",
        "sentra.io/pinned": "true",
        "sentra.io/allowed-regions": "eu-west-1, eu-central-1,gcp:europe-west1",
        "sentra.io/allowed-clouds": "aws,gcp",
        "app.kubernetes.io/name": "checkout",
      }),
    ).toEqual({
      stateGb: 40.5,
      pinned: true,
      allowedRegions: ["eu-west-1", "eu-central-1", "gcp:europe-west1"],
      allowedClouds: ["aws", "gcp"],
    });
  });

  it("leaves absent annotations undefined so defaults apply", () => {
    expect(parseArbitrageAnnotations({})).toEqual({});
    expect(parseArbitrageAnnotations({ [ARBITRAGE_ANNOTATIONS.pinned]: "false" })).toEqual({ pinned: false });
  });

  it("reports every bad annotation in one INVALID_ARGUMENT naming the first", () => {
    let error: unknown;
    try {
      parseArbitrageAnnotations({
        "sentra.io/state-gb": "40GB",
        "sentra.io/pinned": "yes",
        "sentra.io/allowed-regions": "eu-west-1,,EU_WEST_2",
        "sentra.io/allowed-clouds": "aws,ibm",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SentraError);
    const e = error as SentraError;
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.field).toBe("sentra.io/state-gb");
    expect(e.message).toContain('"40GB"');
    expect(e.message).toContain('expected "true" or "false"');
    expect(e.message).toContain('unknown cloud "ibm"');
    const problems = e.details?.problems as { annotation: string }[];
    expect(problems.map((p) => p.annotation)).toEqual([
      "sentra.io/state-gb",
      "sentra.io/pinned",
      "sentra.io/allowed-regions",
      "sentra.io/allowed-regions",
      "sentra.io/allowed-clouds",
    ]);
  });

  it("refuses an empty list rather than silently allowing nothing", () => {
    expect(() => parseArbitrageAnnotations({ "sentra.io/allowed-clouds": " " })).toThrow(/empty list/);
  });
});
