import { SentraError } from "@sentra/common";
import type { ArbitrageOpportunity } from "./opportunity-finder.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** Auto mode is off unless configured. */
export const DEFAULT_AUTO_MIGRATION_ENABLED = false;
/** Margin an opportunity must keep to count as "above", USD. */
export const DEFAULT_AUTO_MARGIN_THRESHOLD_USD = 0;
/** How long the margin must stay above the threshold before a move starts, seconds. */
export const DEFAULT_AUTO_SUSTAIN_SECONDS = 30 * 60;
/** Quiet time per workload after its migration ended, seconds. */
export const DEFAULT_AUTO_COOLDOWN_SECONDS = 6 * 3600;
/** Migrations the policy lets run at once, across the estate. */
export const DEFAULT_AUTO_MAX_CONCURRENT_MIGRATIONS = 2;

/** Options of the automatic mode. */
export interface AutoMigrationOptions {
  /**
   * Start migrations on its own. When false the policy still tracks margins (so switching it on
   * does not restart the clocks) but starts nothing.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * An opportunity counts only while its margin is at least this (on top of the finder's
   * `minMarginUsd`). USD.
   * @default 0
   */
  readonly marginThresholdUsd?: number;
  /**
   * The margin must stay above the threshold for this long, at every decision, before a
   * migration starts (hysteresis). Seconds.
   * @default 1800 (30 min)
   */
  readonly sustainSeconds?: number;
  /**
   * After a workload's migration ends (success or failure), it is not moved again for this long. Seconds.
   * @default 21600 (6 h)
   */
  readonly cooldownSeconds?: number;
  /**
   * At most this many migrations in flight at once.
   * @default 2
   */
  readonly maxConcurrentMigrations?: number;
  /**
   * Act on opportunities priced by the seeded model or a replayed history (either side). Off, such
   * an opportunity is held with reason `synthetic-prices`: a real estate must not move on prices
   * nobody charges. The demo, tests and the backtest turn it on.
   * @default false
   */
  readonly allowSyntheticPrices?: boolean;
  /**
   * Namespaces whose workloads automatic mode may move without their own opt-in
   * (`SENTRA_AUTO_MIGRATE_NAMESPACES`). A workload outside them moves on its own only with
   * `sentra.io/auto-migrate: "true"`; `"false"` keeps it out even inside them. Kubernetes' own
   * namespaces and Sentra itself never move, whatever is listed (see `protectedWorkloadReason`).
   * @default [] (only annotated workloads)
   */
  readonly optInNamespaces?: readonly string[];
}

/** {@link AutoMigrationOptions} with defaults applied; frozen. */
export type CompiledAutoMigrationOptions = Readonly<Required<AutoMigrationOptions>>;

/** A workload whose best margin is above the threshold, and since when. */
export interface SustainedMargin {
  /** First decision (of an unbroken run) that saw the margin above the threshold, ms. */
  readonly sinceMs: number;
  readonly lastMarginUsd: number;
  /** `cloud:region` of the latest best target. */
  readonly lastTarget: string;
}

/** A migration the policy started and has not been told has ended. */
export interface InFlightMigration {
  readonly startedAtMs: number;
  readonly target: string;
}

/**
 * Everything the policy remembers, as plain JSON-serialisable data (it can live in Redis and be
 * replayed by tests). Keys are workload ids.
 */
export interface AutoMigrationState {
  readonly sustained: Readonly<Record<string, SustainedMargin>>;
  readonly inFlight: Readonly<Record<string, InFlightMigration>>;
  readonly cooldownUntilMs: Readonly<Record<string, number>>;
}

/** Why an opportunity above the threshold did not start a migration now. */
export type HoldReason = "disabled" | "synthetic-prices" | "sustaining" | "cooldown" | "in-flight" | "concurrency-cap";

/** Every {@link HoldReason}, for metrics that report each (zero included). */
export const HOLD_REASONS: readonly HoldReason[] = Object.freeze([
  "disabled",
  "synthetic-prices",
  "sustaining",
  "cooldown",
  "in-flight",
  "concurrency-cap",
]);

/**
 * True when automatic mode may move this workload copy: not protected, and opted in by its
 * `sentra.io/auto-migrate` annotation or, without one, by its namespace being listed.
 */
export function autoMigrationOptedIn(
  workload: Pick<WorkloadCostInput, "namespace" | "autoMigrate" | "protectedReason">,
  optInNamespaces: readonly string[],
): boolean {
  if (workload.protectedReason !== undefined) return false;
  return workload.autoMigrate ?? optInNamespaces.includes(workload.namespace);
}

/** True when both sides of a move are priced by a live pricing API. */
export function livePriced(opportunity: Pick<ArbitrageOpportunity, "source" | "target">): boolean {
  return opportunity.source.priceSource === "live" && opportunity.target.priceSource === "live";
}

/** The result of one decision. */
export interface AutoMigrationDecision {
  readonly state: AutoMigrationState;
  /** Start these now (best margin first). */
  readonly migrationsToStart: readonly ArbitrageOpportunity[];
  /** Opportunities above the threshold that wait, and until when when known (ms). */
  readonly held: readonly {
    readonly workloadId: string;
    readonly reason: HoldReason;
    readonly untilMs: number | null;
  }[];
}

/** The automatic mode as a pure step function over {@link AutoMigrationState}. */
export interface AutoMigrationPolicy {
  readonly options: CompiledAutoMigrationOptions;
  initialState(): AutoMigrationState;
  /**
   * One decision at `nowMs` over the finder's latest opportunities (call it at every decision
   * tick; a workload missing from the list, or below the threshold, restarts its sustain clock).
   */
  decide(
    state: AutoMigrationState,
    opportunities: readonly ArbitrageOpportunity[],
    nowMs: number,
  ): AutoMigrationDecision;
  /** Records that a workload's migration ended (done or compensated): frees a slot, starts its cool-down. */
  migrationEnded(state: AutoMigrationState, workloadId: string, nowMs: number): AutoMigrationState;
}

/** Options → defaults → compiled options. Throws INVALID_ARGUMENT on a bad value. */
export function compileAutoMigrationOptions(options: AutoMigrationOptions = {}): CompiledAutoMigrationOptions {
  const check = (field: string, value: number, integer = false): number => {
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw SentraError.invalidArgument(field, `must be a ${integer ? "whole" : "finite"} number ≥ 0, got ${value}`);
    }
    return value;
  };
  const threshold = options.marginThresholdUsd ?? DEFAULT_AUTO_MARGIN_THRESHOLD_USD;
  if (!Number.isFinite(threshold)) {
    throw SentraError.invalidArgument("marginThresholdUsd", `must be a finite number, got ${threshold}`);
  }
  const optInNamespaces = [...new Set(options.optInNamespaces ?? [])];
  for (const namespace of optInNamespaces) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(namespace)) {
      throw SentraError.invalidArgument("optInNamespaces", `"${namespace}" is not a Kubernetes namespace name`);
    }
  }
  return Object.freeze({
    enabled: options.enabled ?? DEFAULT_AUTO_MIGRATION_ENABLED,
    optInNamespaces: Object.freeze(optInNamespaces),
    allowSyntheticPrices: options.allowSyntheticPrices ?? false,
    marginThresholdUsd: threshold,
    sustainSeconds: check("sustainSeconds", options.sustainSeconds ?? DEFAULT_AUTO_SUSTAIN_SECONDS),
    cooldownSeconds: check("cooldownSeconds", options.cooldownSeconds ?? DEFAULT_AUTO_COOLDOWN_SECONDS),
    maxConcurrentMigrations: check(
      "maxConcurrentMigrations",
      options.maxConcurrentMigrations ?? DEFAULT_AUTO_MAX_CONCURRENT_MIGRATIONS,
      true,
    ),
  });
}

/** Creates the automatic-mode policy. */
export function createAutoMigrationPolicy(options: AutoMigrationOptions = {}): AutoMigrationPolicy {
  const compiled = compileAutoMigrationOptions(options);
  const sustainMs = compiled.sustainSeconds * 1000;
  const cooldownMs = compiled.cooldownSeconds * 1000;

  const decide = (
    state: AutoMigrationState,
    opportunities: readonly ArbitrageOpportunity[],
    nowMs: number,
  ): AutoMigrationDecision => {
    const above = opportunities
      .filter((o) => o.marginUsd >= compiled.marginThresholdUsd)
      .sort((a, b) => b.marginUsd - a.marginUsd);
    const inFlight: Record<string, InFlightMigration> = { ...state.inFlight };
    const cooldownUntilMs: Record<string, number> = {};
    for (const [id, until] of Object.entries(state.cooldownUntilMs)) {
      if (until > nowMs) cooldownUntilMs[id] = until;
    }
    // Rebuilt from scratch: a workload absent from `above` loses its clock (that is the hysteresis).
    const sustained: Record<string, SustainedMargin> = {};
    const held: { workloadId: string; reason: HoldReason; untilMs: number | null }[] = [];
    const migrationsToStart: ArbitrageOpportunity[] = [];
    let slots = compiled.maxConcurrentMigrations - Object.keys(inFlight).length;

    for (const opportunity of above) {
      const id = opportunity.workloadId;
      if (inFlight[id] !== undefined) {
        held.push({ workloadId: id, reason: "in-flight", untilMs: null });
        continue;
      }
      const sinceMs = state.sustained[id]?.sinceMs ?? nowMs;
      const target = `${opportunity.target.cloud}:${opportunity.target.region}`;
      sustained[id] = { sinceMs, lastMarginUsd: opportunity.marginUsd, lastTarget: target };
      const cooldownUntil = cooldownUntilMs[id];
      if (!compiled.enabled) {
        held.push({ workloadId: id, reason: "disabled", untilMs: null });
      } else if (!compiled.allowSyntheticPrices && !livePriced(opportunity)) {
        // The clock keeps running: once both prices are live, the sustain already served counts.
        held.push({ workloadId: id, reason: "synthetic-prices", untilMs: null });
      } else if (nowMs - sinceMs < sustainMs) {
        held.push({ workloadId: id, reason: "sustaining", untilMs: sinceMs + sustainMs });
      } else if (cooldownUntil !== undefined) {
        held.push({ workloadId: id, reason: "cooldown", untilMs: cooldownUntil });
      } else if (slots <= 0) {
        held.push({ workloadId: id, reason: "concurrency-cap", untilMs: null });
      } else {
        slots--;
        migrationsToStart.push(opportunity);
        inFlight[id] = { startedAtMs: nowMs, target };
        delete sustained[id];
      }
    }
    return { state: { sustained, inFlight, cooldownUntilMs }, migrationsToStart, held };
  };

  return {
    options: compiled,
    initialState: () => ({ sustained: {}, inFlight: {}, cooldownUntilMs: {} }),
    decide,
    migrationEnded(state, workloadId, nowMs) {
      const { [workloadId]: _ended, ...inFlight } = state.inFlight;
      return {
        sustained: state.sustained,
        inFlight,
        cooldownUntilMs: { ...state.cooldownUntilMs, [workloadId]: nowMs + cooldownMs },
      };
    },
  };
}
