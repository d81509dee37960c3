/** A cloud region, e.g. `{ cloud: "aws", region: "us-east-1" }`. */
export interface RegionRef {
  readonly cloud: string;
  readonly region: string;
}

/**
 * Where a price came from: a cloud's live pricing API, or synthetic (the seeded model, a replayed
 * history); `unknown` when the satellite did not say (an older satellite). Only `live` is real.
 */
export type PriceOrigin = "live" | "model" | "replay" | "unknown";

/** One spot price a satellite reported for one instance type in its region. */
export interface InstancePrice {
  readonly instanceType: string;
  /** Spot price of one instance, USD per hour. */
  readonly usdPerHour: number;
  /** vCPUs of one instance. */
  readonly vcpus: number;
  /** Memory of one instance, GiB. */
  readonly memoryGib: number;
  /** When the satellite observed this price, ms since the Unix epoch. */
  readonly observedAtMs: number;
  /** @default "unknown" */
  readonly source?: PriceOrigin;
}

/**
 * What the coordinator knows about one region: its satellite's liveness and the spot prices it
 * last reported. Plain data, so the estate store (Redis) can hand it over without protobuf.
 */
export interface RegionMarket {
  readonly cloud: string;
  readonly region: string;
  readonly satelliteId: string;
  readonly cluster: string;
  /** False when the satellite missed its heartbeats; such a market is never used. */
  readonly live: boolean;
  readonly prices: readonly InstancePrice[];
}

/** The canonical `cloud:region` key used by every map in this folder. */
export function regionKey(ref: RegionRef): string {
  return `${ref.cloud}:${ref.region}`;
}
