import { SentraError } from "@sentra/common";
import {
  createEgressPriceTable,
  DEFAULT_EGRESS_PRICE_TABLE,
  type EgressPriceRule,
  type EgressPriceTable,
} from "./egress-price-table.js";

/** Refuse plans whose margin is below this, USD. */
export const DEFAULT_MIN_MARGIN_USD = 0;
/**
 * @default 30000 — a price not refreshed for this long is stale: it expires from Redis and no plan
 * uses it. The one default, read by the coordinator's SENTRA_PRICE_TTL_MS too.
 */
export const DEFAULT_PRICE_TTL_MS = 30_000;
/** State moved by a workload without `sentra.io/state-gb`, GB. */
export const DEFAULT_STATE_GB = 10;
/** How long a target takes to become ready while both copies run, seconds. */
export const DEFAULT_READINESS_ESTIMATE_SECONDS = 300;
/** Period over which the saving must pay back egress and overlap, hours. */
export const DEFAULT_HORIZON_HOURS = 24;

/** Options of the opportunity finder and the migration planner. */
export interface ArbitrageOptions {
  /**
   * A plan is accepted only when `margin > 0` and `margin ≥ minMarginUsd`. USD.
   * @default 0
   */
  readonly minMarginUsd?: number;
  /**
   * A price observed longer ago than this is stale and never used. Milliseconds.
   * @default 600_000 (10 min)
   */
  readonly priceTtlMs?: number;
  /**
   * State a move transfers when the workload does not declare `sentra.io/state-gb`. GB.
   * @default 10
   */
  readonly defaultStateGb?: number;
  /**
   * Time the target takes to become ready; both copies are paid meanwhile (the overlap cost). Seconds.
   * @default 300
   */
  readonly readinessEstimateSeconds?: number;
  /**
   * Period over which the hourly saving is counted. Hours.
   * @default 24
   */
  readonly horizonHours?: number;
  /**
   * Egress prices from configuration; they win over the built-in table.
   * @default []
   */
  readonly egressPriceOverrides?: readonly EgressPriceRule[];
  /**
   * A ready-made table (e.g. shared between calls); when given, `egressPriceOverrides` must be absent.
   * @default the built-in table plus `egressPriceOverrides`
   */
  readonly egressPrices?: EgressPriceTable;
}

/** {@link ArbitrageOptions} with defaults applied and values checked; frozen. */
export interface CompiledArbitrageOptions {
  readonly minMarginUsd: number;
  readonly priceTtlMs: number;
  readonly defaultStateGb: number;
  readonly readinessEstimateSeconds: number;
  readonly horizonHours: number;
  readonly egressPrices: EgressPriceTable;
  readonly compiled: true;
}

function nonNegative(field: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result < 0) {
    throw SentraError.invalidArgument(field, `must be a finite number ≥ 0, got ${result}`);
  }
  return result;
}

/** Options → defaults → compiled options. Throws INVALID_ARGUMENT on a bad value. */
export function compileArbitrageOptions(
  options: ArbitrageOptions | CompiledArbitrageOptions = {},
): CompiledArbitrageOptions {
  if ("compiled" in options && options.compiled === true) return options;
  const input = options as ArbitrageOptions;
  if (input.egressPrices !== undefined && input.egressPriceOverrides !== undefined) {
    throw SentraError.invalidArgument(
      "egressPriceOverrides",
      "give either egressPrices or egressPriceOverrides, not both",
    );
  }
  const minMarginUsd = input.minMarginUsd ?? DEFAULT_MIN_MARGIN_USD;
  if (!Number.isFinite(minMarginUsd)) {
    throw SentraError.invalidArgument("minMarginUsd", `must be a finite number, got ${minMarginUsd}`);
  }
  const horizonHours = nonNegative("horizonHours", input.horizonHours, DEFAULT_HORIZON_HOURS);
  if (horizonHours === 0) throw SentraError.invalidArgument("horizonHours", "must be > 0");
  return Object.freeze({
    minMarginUsd,
    priceTtlMs: nonNegative("priceTtlMs", input.priceTtlMs, DEFAULT_PRICE_TTL_MS),
    defaultStateGb: nonNegative("defaultStateGb", input.defaultStateGb, DEFAULT_STATE_GB),
    readinessEstimateSeconds: nonNegative(
      "readinessEstimateSeconds",
      input.readinessEstimateSeconds,
      DEFAULT_READINESS_ESTIMATE_SECONDS,
    ),
    horizonHours,
    egressPrices:
      input.egressPrices ??
      (input.egressPriceOverrides === undefined || input.egressPriceOverrides.length === 0
        ? DEFAULT_EGRESS_PRICE_TABLE
        : createEgressPriceTable({ overrides: input.egressPriceOverrides })),
    compiled: true as const,
  });
}
