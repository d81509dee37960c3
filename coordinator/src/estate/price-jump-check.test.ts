import { create } from "@bufbuild/protobuf";
import { SpotPriceSchema } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { checkPriceJumps, type PriceReference, priceReferenceKey } from "./price-jump-check.js";

const price = (usdPerHour: number, zone = "eu-west-1a", instanceType = "m5.large") =>
  create(SpotPriceSchema, { cloud: "aws", region: "eu-west-1", zone, instanceType, usdPerHour });
const TTL_MS = 30_000;
const NOW = 1_000_000;

function references(entries: Array<[ReturnType<typeof price>, number]>): Map<string, PriceReference> {
  return new Map(
    entries.map(([reference, atMs]) => [priceReferenceKey(reference), { usdPerHour: reference.usdPerHour, atMs }]),
  );
}

describe("checkPriceJumps", () => {
  it("accepts anything without a reference, and moves within 1000x of it", () => {
    const known = references([[price(0.04), NOW - 1_000]]);
    const { accepted, jumped } = checkPriceJumps(
      [price(0.04 * 999), price(0.04 / 999), price(7, "eu-west-1b"), price(0.05, "eu-west-1a", "c5.large")],
      known,
      NOW,
      TTL_MS,
    );
    expect(accepted).toHaveLength(4);
    expect(jumped).toEqual([]);
  });

  it("drops a jump of 1000x or more, either way, naming the price it jumped from", () => {
    const known = references([
      [price(0.04), NOW - 1_000],
      [price(2, "eu-west-1b"), NOW - 1_000],
    ]);
    const { accepted, jumped } = checkPriceJumps([price(40), price(0.002, "eu-west-1b")], known, NOW, TTL_MS);
    expect(accepted).toEqual([]);
    expect(jumped.map((entry) => [entry.price.usdPerHour, entry.previousUsdPerHour])).toEqual([
      [40, 0.04],
      [0.002, 2],
    ]);
  });

  it("forgets a reference older than the price TTL, so a real change of level gets through one TTL later", () => {
    const known = references([[price(0.04), NOW - TTL_MS - 1]]);
    expect(checkPriceJumps([price(40)], known, NOW, TTL_MS).accepted).toHaveLength(1);
  });
});
