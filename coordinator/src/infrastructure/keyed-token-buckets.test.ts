import { describe, expect, it } from "vitest";
import { KeyedTokenBuckets } from "./keyed-token-buckets.js";

describe("keyed token buckets", () => {
  it("admits a burst, then the sustained rate, and cuts off only the flooding key", () => {
    const limiter = new KeyedTokenBuckets(10, 20);
    let admitted = 0;
    for (let index = 0; index < 100; index++) if (limiter.admit("health:flood", 1_000)) admitted++;
    expect(admitted).toBe(20);
    // Another satellite is not touched by the flood.
    expect(limiter.admit("health:quiet", 1_000)).toBe(true);
    // One second later the flooding key has earned 10 tokens back, no more.
    admitted = 0;
    for (let index = 0; index < 100; index++) if (limiter.admit("health:flood", 2_000)) admitted++;
    expect(admitted).toBe(10);
  });

  it("admits everything at rate 0 and forgets keys that went quiet", () => {
    const unlimited = new KeyedTokenBuckets(0, 0);
    for (let index = 0; index < 1_000; index++) expect(unlimited.admit("price:a", 0)).toBe(true);
    const limiter = new KeyedTokenBuckets(10, 20);
    for (let index = 0; index < 50; index++) limiter.admit(`health:s${index}`, 1_000);
    expect(limiter.size()).toBe(50);
    limiter.admit("health:late", 1_000 + 60_000);
    expect(limiter.size()).toBe(1);
  });
});
