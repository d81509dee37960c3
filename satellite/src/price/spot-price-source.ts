import { SentraError } from "@sentra/common";

/** The spot price of one series (cloud, region, zone, instance type) at one instant. */
export interface SpotPriceQuote {
  cloud: string;
  region: string;
  /** Availability zone; empty for regional prices (GCP, Azure). */
  zone: string;
  instanceType: string;
  usdPerHour: number;
  /** The instant this price is quoted for: the `now` passed to {@link SpotPriceSource.quotes}. */
  observedAt: Date;
  /** Live prices: when the cloud's pricing API last confirmed this price. */
  confirmedAt?: Date;
  /** `live`: a cloud's pricing API; `model` and `replay` are synthetic (automatic migration refuses them by default). */
  source: "model" | "replay" | "live";
  vcpus: number;
  memoryGib: number;
}

/** Something that knows the current spot prices of a region. Time is whatever `now` says. */
export interface SpotPriceSource {
  /** The current price of each series at `now`, in a stable order (instance type, then zone). */
  quotes(now: Date): SpotPriceQuote[];
}

/** A price source whose prices an operator or a test can force, e.g. to stage a price drop. */
export interface OverridableSpotPriceSource extends SpotPriceSource {
  /**
   * Forces the quoted price of `instanceType` (in every zone, or only in `zone`) to `usdPerHour`
   * until cleared with `undefined`. The underlying process keeps running, so clearing an override
   * resumes the same path as if it had never been set. A zone override wins over a type-wide one.
   */
  setOverride(instanceType: string, usdPerHour: number | undefined, zone?: string): void;
}

/** The forced prices of one source, keyed by instance type and zone ("*" = every zone). */
export class PriceOverrides {
  readonly #prices = new Map<string, number>();

  constructor(
    /** The instance types and zones this source quotes; overrides of anything else are refused. */
    private readonly known: ReadonlyMap<string, ReadonlySet<string>>,
  ) {}

  set(instanceType: string, usdPerHour: number | undefined, zone?: string): void {
    const zones = this.known.get(instanceType);
    if (zones === undefined) {
      throw SentraError.invalidArgument("instanceType", `"${instanceType}" is not quoted by this price source`);
    }
    if (zone !== undefined && !zones.has(zone)) {
      throw SentraError.invalidArgument("zone", `"${zone}" is not a zone of ${instanceType} in this price source`);
    }
    const key = `${instanceType}\u0000${zone ?? "*"}`;
    if (usdPerHour === undefined) {
      this.#prices.delete(key);
      return;
    }
    if (!Number.isFinite(usdPerHour) || usdPerHour <= 0) {
      throw SentraError.invalidArgument("usdPerHour", `must be a positive number, got ${usdPerHour}`);
    }
    this.#prices.set(key, usdPerHour);
  }

  /** The forced price of one series, if any. */
  get(instanceType: string, zone: string): number | undefined {
    return this.#prices.get(`${instanceType}\u0000${zone}`) ?? this.#prices.get(`${instanceType}\u0000*`);
  }
}
