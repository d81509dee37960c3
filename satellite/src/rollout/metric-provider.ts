import type { GateProviderKind } from "./gate-spec.js";

/**
 * What a provider answers for one query: a number, no data, or an error. Providers never throw
 * for telemetry problems — a failed query is data the gate evaluator turns into an *unknown*.
 */
export type ProviderResult =
  | {
      readonly kind: "value";
      /** The query's single value; may be NaN or ±Infinity (the gate evaluator rejects those). */
      readonly value: number;
      /** Samples behind the value when the provider can tell (Tempo: spans counted). */
      readonly sampleSize?: number;
    }
  | {
      readonly kind: "empty";
      /** Why there is no value, e.g. "empty vector". */
      readonly detail: string;
    }
  | {
      readonly kind: "error";
      /** What failed, readable by a person (transport, HTTP status, backend error text). */
      readonly error: string;
    };

/** Per-query options some backends need outside the query text. */
export interface ProviderQueryOptions {
  /**
   * Sliding window, in seconds. Prometheus and Loki carry it in the query (`[30s]`); Tempo's
   * instant metrics API takes it as the `start`/`end` range.
   */
  readonly windowSeconds?: number;
}

/** One series of an instant vector: its labels and value. */
export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What a provider answers for a query whose answer is several series (histogram buckets by `le`). */
export type VectorProviderResult =
  | { readonly kind: "vector"; readonly samples: readonly VectorSample[] }
  | { readonly kind: "error"; readonly error: string };

/** A telemetry backend that evaluates one instant query. */
export interface MetricProvider {
  /** Which backend this is, for messages. */
  readonly kind: GateProviderKind;
  /** Evaluates `query` at instant `at`; resolves (never rejects) with a {@link ProviderResult}. */
  query(query: string, at: Date, signal: AbortSignal, options?: ProviderQueryOptions): Promise<ProviderResult>;
  /** Evaluates a query answered by several series (the sequential latency judge); absent where unsupported. */
  queryVector?(query: string, at: Date, signal: AbortSignal): Promise<VectorProviderResult>;
}

/** The providers available to the gate evaluator, by kind; a gate whose kind is missing is unknown. */
export type ProviderRegistry = Readonly<Partial<Record<GateProviderKind, MetricProvider>>>;

/** Builds an error result. */
export function providerError(error: string): ProviderResult {
  return { kind: "error", error };
}

/**
 * Parses a sample value as the Prometheus family encodes it: a string, with `NaN`, `+Inf` and
 * `-Inf` for non-finite values. Returns undefined when it is not a number at all.
 */
export function parseSampleValue(raw: unknown): number | undefined {
  if (typeof raw === "number") return raw;
  if (typeof raw !== "string") return undefined;
  switch (raw) {
    case "NaN":
      return Number.NaN;
    case "+Inf":
    case "Inf":
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
  }
  const trimmed = raw.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isNaN(value) ? undefined : value;
}
