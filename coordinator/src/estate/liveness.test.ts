import { Liveness } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { livenessOf } from "./liveness.js";

describe("satellite liveness", () => {
  it("is live until three promised heartbeats are missed, then stale", () => {
    expect(livenessOf(10_000, 2_000, 16_000)).toBe(Liveness.LIVE);
    expect(livenessOf(10_000, 2_000, 16_001)).toBe(Liveness.STALE);
    expect(livenessOf(10_000, 500, 11_600)).toBe(Liveness.STALE);
  });
});
