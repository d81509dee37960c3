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
}
