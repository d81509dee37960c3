import { describe, expect, it } from "vitest";
import { LogThrottle } from "./log-throttle.js";

describe("LogThrottle", () => {
  it("lets one line per key and interval through and counts the rest", () => {
    const throttle = new LogThrottle(1_000);
    expect(throttle.admit("a", 0)).toEqual({ log: true, suppressed: 0 });
    expect(throttle.admit("a", 10).log).toBe(false);
    expect(throttle.admit("a", 20).log).toBe(false);
    expect(throttle.admit("b", 30).log).toBe(true);
    expect(throttle.admit("a", 1_000)).toEqual({ log: true, suppressed: 2 });
  });
});
