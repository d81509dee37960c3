/**
 * The built-in gates. A policy names them (`- name: error_rate`) and overrides only what differs;
 * a policy without `gates` gets {@link DEFAULT_GATE_NAMES}.
 *
 * Metric names are the contract with the services under guard (the demo service exports exactly
 * these with prom-client):
 * - counter `http_requests_total{service, version, code}` — one increment per finished request,
 *   `code` the HTTP status code as a string (`"200"`, `"503"`);
 * - histogram `http_request_duration_seconds{service, version}` — request duration in seconds.
 * Logs are expected in Loki with stream labels `service` and `version`, one JSON object per line
 * with a `level` field (pino's numeric `50`/`60` or the words `error`/`fatal`). Traces are expected
 * in Tempo with resource attributes `service.name` and `service.version`.
 */

import type { GateComparator, GateProviderKind, SequentialGateSpec } from "./gate-spec.js";

/** Name of the request counter the Prometheus gates read. */
export const REQUESTS_TOTAL_METRIC = "http_requests_total";
/** Name (without `_bucket`/`_count`/`_sum`) of the request-duration histogram, in seconds. */
export const REQUEST_DURATION_METRIC = "http_request_duration_seconds";

/** A built-in gate, before the policy's `onUnknown` is applied. */
export interface BuiltInGate {
  readonly provider: GateProviderKind;
  readonly query: string;
  readonly threshold: number;
  readonly comparator: GateComparator;
  readonly severeThreshold: number;
  readonly minSampleSize: number;
  /** Absent for Tempo: its provider reports the span count behind the ratio itself. */
  readonly sampleQuery?: string;
  /** The sequential judge's queries and defaults (α is the policy's, split across gates); absent: threshold only. */
  readonly sequential?: SequentialDefaults;
}

/** A sequential judge spec without its α (distributes over the union's kinds). */
export type SequentialDefaults = SequentialGateSpec extends infer Spec
  ? Spec extends unknown
    ? Omit<Spec, "alpha">
    : never
  : never;

/** Rates up to 20 % above the baseline's are healthy for the sequential error judge. */
export const DEFAULT_RATE_RATIO_TOLERANCE = 0.2;
/** A latency quantile up to 10 % above the baseline's is healthy for the sequential latency judge. */
export const DEFAULT_DISTRIBUTION_TOLERANCE = 0.1;

const SELECTOR = 'service="{{service}}",version="{{version}}"';

/** The gates Sentra knows by name. */
export const BUILT_IN_GATES = {
  /** Share of requests answered 5xx, 0–1. `or vector(0)`: no 5xx at all is 0, not "no data". */
  error_rate: {
    provider: "prometheus",
    query:
      `(sum(rate(${REQUESTS_TOTAL_METRIC}{${SELECTOR},code=~"5.."}[{{window}}])) or vector(0))` +
      ` / sum(rate(${REQUESTS_TOTAL_METRIC}{${SELECTOR}}[{{window}}]))`,
    threshold: 0.01,
    comparator: "lte",
    severeThreshold: 0.05,
    minSampleSize: 50,
    sampleQuery: `sum(increase(${REQUESTS_TOTAL_METRIC}{${SELECTOR}}[{{window}}]))`,
    sequential: {
      kind: "rateRatio",
      totalQuery: `sum(${REQUESTS_TOTAL_METRIC}{${SELECTOR}})`,
      eventsQuery: `sum(${REQUESTS_TOTAL_METRIC}{${SELECTOR},code=~"5.."}) or vector(0)`,
      tolerance: DEFAULT_RATE_RATIO_TOLERANCE,
    },
  },
  /** 95th percentile request duration, in milliseconds. */
  p95_latency_ms: {
    provider: "prometheus",
    query: `histogram_quantile(0.95, sum by (le) (rate(${REQUEST_DURATION_METRIC}_bucket{${SELECTOR}}[{{window}}]))) * 1000`,
    threshold: 400,
    comparator: "lte",
    severeThreshold: 1000,
    minSampleSize: 50,
    sampleQuery: `sum(increase(${REQUEST_DURATION_METRIC}_count{${SELECTOR}}[{{window}}]))`,
    sequential: {
      kind: "distribution",
      bucketsQuery: `sum by (le) (${REQUEST_DURATION_METRIC}_bucket{${SELECTOR}})`,
      quantile: 0.95,
      tolerance: DEFAULT_DISTRIBUTION_TOLERANCE,
    },
  },
  /** Share of log lines at level error or fatal, 0–1. Needs Loki 2.7+ (`vector()`). */
  log_error_ratio: {
    provider: "loki",
    query:
      `(sum(count_over_time({${SELECTOR}} | json | __error__="" | level=~"error|fatal|50|60" [{{window}}])) or vector(0))` +
      ` / sum(count_over_time({${SELECTOR}}[{{window}}]))`,
    threshold: 0.005,
    comparator: "lte",
    severeThreshold: 0.05,
    minSampleSize: 100,
    sampleQuery: `sum(count_over_time({${SELECTOR}}[{{window}}]))`,
  },
  /**
   * Share of server spans with status error, 0–1 (optional; not in the defaults). The Tempo provider
   * turns the per-status counts into errors / total and reports the total as the sample size.
   */
  trace_error_ratio: {
    provider: "tempo",
    query:
      '{ resource.service.name = "{{service}}" && resource.service.version = "{{version}}" && kind = server }' +
      " | count_over_time() by (status)",
    threshold: 0.01,
    comparator: "lte",
    severeThreshold: 0.05,
    minSampleSize: 50,
  },
} as const satisfies Record<string, BuiltInGate>;

/** Built-in gates judged sequentially by default in a canary (blue-green has no concurrent baseline). */
export const SEQUENTIAL_BY_DEFAULT: readonly BuiltInGateName[] = ["error_rate", "p95_latency_ms"];

/** Name of a built-in gate. */
export type BuiltInGateName = keyof typeof BUILT_IN_GATES;

/** Gates a policy gets when it has no `gates` field. */
export const DEFAULT_GATE_NAMES: readonly BuiltInGateName[] = ["error_rate", "p95_latency_ms", "log_error_ratio"];

/** True when `name` is a built-in gate. */
export function isBuiltInGateName(name: string): name is BuiltInGateName {
  return Object.hasOwn(BUILT_IN_GATES, name);
}
