/** Where a gate's query runs: Prometheus (PromQL), Loki (LogQL) or Tempo (TraceQL metrics). */
export type GateProviderKind = "prometheus" | "loki" | "tempo";

/** Every provider kind, in documentation order. */
export const GATE_PROVIDER_KINDS: readonly GateProviderKind[] = ["prometheus", "loki", "tempo"];

/** How a gate's value is compared with its thresholds: `lte` passes when value ≤ threshold. */
export type GateComparator = "lte" | "gte";

/**
 * What an *unknown* evaluation (provider error, no data, NaN, too small a sample) does:
 * - `pause`: the rollout holds in `paused` until the data is conclusive again (no pass, no breach);
 * - `breach`: it counts as a breach (risks false rollbacks at low traffic);
 * - `ignore`: the gate is left out of that evaluation; the others decide. If every gate is unknown
 *   the evaluation is inconclusive, so unknown never counts as a pass.
 */
export type UnknownBehaviour = "ignore" | "pause" | "breach";

/**
 * How a gate decides: `threshold` compares the canary's windowed value with the threshold (and
 * counts consecutive breaches); `sequential` compares the canary with the baseline (the stable
 * version, serving at the same time) by an anytime-valid test and rolls back as soon as the
 * evidence is conclusive (docs/release-guard.md, "The sequential judge").
 */
export type GateJudge = "threshold" | "sequential";

/** Every judge, in documentation order. */
export const GATE_JUDGES: readonly GateJudge[] = ["threshold", "sequential"];

/**
 * The sequential judge of one gate. Its queries are instant queries of raw cumulative counters,
 * rendered once with the canary's version and once with the baseline's; the judge takes the
 * increase between evaluations itself, so the test sees whole counts.
 */
export type SequentialGateSpec =
  | {
      /** Events (errors) per request: an mSPRT of the canary's rate over the baseline's. */
      readonly kind: "rateRatio";
      /** Cumulative requests (e.g. `sum(http_requests_total{…})`). */
      readonly totalQuery: string;
      /** Cumulative events among them (e.g. 5xx answers). */
      readonly eventsQuery: string;
      /** Bound on a healthy canary's probability of ever being rolled back by this gate. */
      readonly alpha: number;
      /** Rates up to (1 + tolerance) × the baseline's count as healthy. */
      readonly tolerance: number;
    }
  | {
      /** A latency histogram: Mann-Whitney U of canary against baseline, α spent over looks. */
      readonly kind: "distribution";
      /** Cumulative histogram buckets by `le` (e.g. `sum by (le) (…_bucket{…})`), in seconds or any unit. */
      readonly bucketsQuery: string;
      /** The quantile reported and compared (0.95 for p95). */
      readonly quantile: number;
      readonly alpha: number;
      /** A shift is a regression only when the canary's quantile exceeds the baseline's by this share. */
      readonly tolerance: number;
    };

/** A gate of a parsed policy: one query, one threshold, evaluated every interval. */
export interface GateSpec {
  /** Unique name within the policy (`[a-z][a-z0-9_]*`), shown in decisions and incidents. */
  readonly name: string;
  /** Which telemetry backend runs {@link query}. */
  readonly provider: GateProviderKind;
  /** Query template (see query-template.ts) that yields one number. */
  readonly query: string;
  /** Pass/breach boundary, in the unit of the query's value. */
  readonly threshold: number;
  /** `lte`: pass when value ≤ threshold; `gte`: pass when value ≥ threshold. @default "lte" */
  readonly comparator: GateComparator;
  /** Beyond this (strictly above for `lte`, below for `gte`) the rollout rolls back at once. */
  readonly severeThreshold?: number;
  /** Fewer samples than this (requests, log lines, spans) make the evaluation unknown. */
  readonly minSampleSize?: number;
  /** Query template for the sample size behind {@link query} (e.g. request count in the window). */
  readonly sampleQuery?: string;
  /** What an unknown evaluation of this gate does. @default the policy's `onUnknown` */
  readonly onUnknown: UnknownBehaviour;
  /** @default "sequential" for the built-in error_rate and p95_latency_ms of a canary, else "threshold" */
  readonly judge: GateJudge;
  /** Present exactly when {@link judge} is `sequential`. */
  readonly sequential?: SequentialGateSpec;
}
