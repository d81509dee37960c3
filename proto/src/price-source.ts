import { PriceSource } from "./gen/sentra/v1/estate_pb.js";

/** A price's source by name: only `live` prices come from a cloud's pricing API. */
export type PriceSourceName = "live" | "model" | "replay" | "unknown";

/** The one mapping of the wire's `PriceSource` to its name (CLI columns, dashboard views, arbitrage inputs). */
export function priceSourceName(source: PriceSource): PriceSourceName {
  switch (source) {
    case PriceSource.LIVE:
      return "live";
    case PriceSource.MODEL:
      return "model";
    case PriceSource.REPLAY:
      return "replay";
    default:
      return "unknown";
  }
}
