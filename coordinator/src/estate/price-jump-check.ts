import type { SpotPrice } from "@sentra/proto";

/**
 * @default 1000 — a price this many times above (or below 1/this of) the last accepted price of
 * the same satellite, zone and instance type is dropped. Real spot prices move far less: spot is
 * capped by the on-demand price and rarely falls below a tenth of it, so consecutive prices stay
 * within ~10× of each other; a 1000× step is a unit mistake (dollars vs milli-dollars) or a lie
 * meant to attract or repel migrations.
 */
export const MAX_PRICE_JUMP_FACTOR = 1_000;

/** The last accepted price of one satellite, zone and instance type, and when it was accepted. */
export interface PriceReference {
  readonly usdPerHour: number;
  readonly atMs: number;
}

/** A price that jumped, with the reference it jumped from. */
export interface JumpedPrice {
  readonly price: SpotPrice;
  readonly previousUsdPerHour: number;
}

/** Key of a reference within one satellite's references: zone and instance type. */
export function priceReferenceKey(price: Pick<SpotPrice, "zone" | "instanceType">): string {
  return `${price.zone}|${price.instanceType}`;
}

/**
 * Splits a satellite's new prices into accepted and jumped ones. A reference older than
 * `maxReferenceAgeMs` (the price TTL) no longer counts: by then the old price has expired from
 * the estate anyway, so a genuine change of level is accepted one TTL after it began — until then
 * the region shows no price for that type (stale) rather than a wrong one.
 */
export function checkPriceJumps(
  prices: readonly SpotPrice[],
  references: ReadonlyMap<string, PriceReference>,
  nowMs: number,
  maxReferenceAgeMs: number,
  maxFactor = MAX_PRICE_JUMP_FACTOR,
): { accepted: SpotPrice[]; jumped: JumpedPrice[] } {
  const accepted: SpotPrice[] = [];
  const jumped: JumpedPrice[] = [];
  for (const price of prices) {
    const reference = references.get(priceReferenceKey(price));
    if (reference && nowMs - reference.atMs <= maxReferenceAgeMs) {
      const ratio = price.usdPerHour / reference.usdPerHour;
      if (ratio >= maxFactor || ratio <= 1 / maxFactor) {
        jumped.push({ price, previousUsdPerHour: reference.usdPerHour });
        continue;
      }
    }
    accepted.push(price);
  }
  return { accepted, jumped };
}
