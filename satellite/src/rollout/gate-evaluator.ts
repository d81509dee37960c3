import type { GateComparator, GateJudge, GateProviderKind, GateSpec } from "./gate-spec.js";
import { type ProviderRegistry, type ProviderResult, providerError, type VectorSample } from "./metric-provider.js";
import { renderQueryTemplate } from "./query-template.js";
import type { ErrorBudgetPolicy } from "./rollout-policy.js";
import {
  type GateEvidence,
  type JudgeMemory,
  judgeContext,
  judgeSequentialGate,
  type RateCounters,
  type SequentialMemory,
} from "./sequential-judge.js";

/** The outcome of one gate at one evaluation. */
export type GateOutcome = "pass" | "breach" | "unknown";

/**
 * Why an evaluation is unknown:
 * - `providerError`: the backend failed or answered nonsense (counts towards *telemetry lost*);
 * - `empty`: no data (e.g. no series matched);
 * - `notFinite`: NaN or ±Infinity (e.g. a ratio of 0/0 with no traffic);
 * - `lowSample`: fewer samples than the gate's `minSampleSize`;
 * - `notConclusive`: a sequential gate whose windowed value is beyond its threshold while its test
 *   has not shown the canary worse than the baseline (the rollout holds; it neither advances nor
 *   rolls back on that alone).
 */
export type UnknownCause = "providerError" | "empty" | "notFinite" | "lowSample" | "notConclusive";

/** One gate's evaluation, with the numbers behind it. Plain JSON (a NaN value is recorded as null). */
export interface GateResult {
  /** Gate name. */
  readonly gate: string;
  readonly provider: GateProviderKind;
  readonly outcome: GateOutcome;
  /** The measured value; null when there is none (or it was NaN/±Infinity). */
  readonly value: number | null;
  readonly threshold: number;
  readonly comparator: GateComparator;
  readonly severeThreshold?: number;
  /** True when the value is beyond the severe threshold: roll back at once. */
  readonly severe: boolean;
  /** Samples behind the value (requests, log lines, spans), when known. */
  readonly sampleSize?: number;
  readonly minSampleSize?: number;
  /** Set when the outcome is unknown. */
  readonly unknownCause?: UnknownCause;
  /** One readable line, e.g. `error_rate 0.034 > 0.01`. */
  readonly reason: string;
  /** The rendered query that produced the value. */
  readonly query: string;
  /** Which judge decided; absent in records written before the sequential judge (threshold). */
  readonly judge?: GateJudge;
  /** True for a sequential breach: the evidence is conclusive, the rollout rolls back at once. */
  readonly conclusive?: boolean;
  /** The sequential judge's statistic, counts, α and error budget. */
  readonly evidence?: GateEvidence;
}

/** What the queries are about: the version under test and the window. */
export interface GateTarget {
  readonly service: string;
  readonly version: string;
  readonly namespace: string;
  /** Sliding window, in whole seconds. */
  readonly windowSeconds: number;
  /** The stable version serving beside the canary: the sequential judge's control. */
  readonly baselineVersion?: string;
}

/** Options of one round of a rollout's evaluations. */
export interface EvaluationRoundOptions {
  /** False during warm-up: sequential gates read counters but do not feed their tests. */
  readonly countEvidence: boolean;
  /** The policy's error budget, computed from the gate it names. */
  readonly errorBudget?: ErrorBudgetPolicy;
}

/** One round's results, and the sequential gates' memory for the next round. */
export interface EvaluationRound {
  readonly results: GateResult[];
  readonly memory: JudgeMemory;
}

/**
 * Judges one gate from its provider answers. Pure: the unknown rules live here.
 * Order of checks: provider error (value or sample) → sample below minimum → no data → NaN/Inf →
 * severe → threshold.
 */
export function judgeGate(gate: GateSpec, query: string, value: ProviderResult, sample?: ProviderResult): GateResult {
  const base = {
    gate: gate.name,
    provider: gate.provider,
    threshold: gate.threshold,
    comparator: gate.comparator,
    ...(gate.severeThreshold === undefined ? {} : { severeThreshold: gate.severeThreshold }),
    ...(gate.minSampleSize === undefined ? {} : { minSampleSize: gate.minSampleSize }),
    query,
  };
  const unknown = (cause: UnknownCause, reason: string, sampleSize?: number, measured?: number): GateResult => ({
    ...base,
    outcome: "unknown",
    value: measured !== undefined && Number.isFinite(measured) ? measured : null,
    severe: false,
    ...(sampleSize === undefined ? {} : { sampleSize }),
    unknownCause: cause,
    reason: `${gate.name} unknown: ${reason}`,
  });

  if (value.kind === "error") return unknown("providerError", `${gate.provider} query failed: ${value.error}`);
  if (sample?.kind === "error")
    return unknown("providerError", `${gate.provider} sample query failed: ${sample.error}`);

  // An empty sample query means nothing happened in the window: zero samples.
  const sampleSize =
    sample === undefined
      ? value.kind === "value"
        ? value.sampleSize
        : undefined
      : sample.kind === "value" && Number.isFinite(sample.value)
        ? sample.value
        : 0;
  const measured = value.kind === "value" ? value.value : undefined;

  if (gate.minSampleSize !== undefined) {
    if (sampleSize === undefined) return unknown("lowSample", "sample size unavailable", undefined, measured);
    if (sampleSize < gate.minSampleSize) {
      return unknown(
        "lowSample",
        `${formatNumber(sampleSize)} samples < minSampleSize ${gate.minSampleSize}`,
        sampleSize,
        measured,
      );
    }
  }
  if (value.kind === "empty") return unknown("empty", `no data (${value.detail})`, sampleSize);
  if (measured === undefined || !Number.isFinite(measured)) {
    return unknown("notFinite", `value is ${String(measured)}`, sampleSize);
  }

  const beyond = (limit: number): boolean => (gate.comparator === "lte" ? measured > limit : measured < limit);
  const severe = gate.severeThreshold !== undefined && beyond(gate.severeThreshold);
  const breach = beyond(gate.threshold);
  const symbol = gate.comparator === "lte" ? (breach ? ">" : "≤") : breach ? "<" : "≥";
  const samples = sampleSize === undefined ? "" : ` (${formatNumber(sampleSize)} samples)`;
  const severeNote = severe ? ` — beyond severe threshold ${gate.severeThreshold}` : "";
  return {
    ...base,
    outcome: breach ? "breach" : "pass",
    value: measured,
    severe,
    ...(sampleSize === undefined ? {} : { sampleSize }),
    reason: `${gate.name} ${formatNumber(measured)} ${symbol} ${gate.threshold}${samples}${severeNote}`,
  };
}

/**
 * Evaluates gates through their providers: every gate (value and sample query) in parallel, at the
 * same instant. Never rejects: a missing provider or a throwing one yields an unknown result.
 */
export class GateEvaluator {
  constructor(private readonly providers: ProviderRegistry) {}

  /** Evaluates `gates` for `target` at `at` by their threshold rule only; results are in gate order. */
  async evaluate(gates: readonly GateSpec[], target: GateTarget, at: Date, signal: AbortSignal): Promise<GateResult[]> {
    return Promise.all(gates.map((gate) => this.evaluateGate(gate, target, at, signal)));
  }

  /**
   * Evaluates every gate by its judge: threshold gates as {@link evaluate}; sequential gates also
   * read their cumulative counters for canary and baseline and update their test from `memory`.
   */
  async evaluateRound(
    gates: readonly GateSpec[],
    target: GateTarget,
    at: Date,
    signal: AbortSignal,
    memory: JudgeMemory,
    options: EvaluationRoundOptions,
  ): Promise<EvaluationRound> {
    const judged = await Promise.all(
      gates.map(async (gate): Promise<{ result: GateResult; memory: SequentialMemory | undefined }> => {
        const previous = memory[gate.name];
        if (gate.judge !== "sequential" || gate.sequential === undefined) {
          return { result: await this.evaluateGate(gate, target, at, signal), memory: previous };
        }
        const spec = gate.sequential;
        const [windowed, reading] = await Promise.all([
          this.evaluateGate(gate, target, at, signal),
          spec.kind === "rateRatio"
            ? this.readCounters(gate, spec.totalQuery, spec.eventsQuery, target, at, signal).then((counters) => ({
                counters,
              }))
            : this.readHistograms(gate, spec.bucketsQuery, target, at, signal).then((histograms) => ({ histograms })),
        ]);
        const context = judgeContext(gate, at, options.countEvidence, options.errorBudget);
        return judgeSequentialGate(gate, spec, windowed, reading, previous, context);
      }),
    );
    const nextMemory: Record<string, SequentialMemory> = {};
    gates.forEach((gate, index) => {
      const entry = judged[index]?.memory;
      if (entry !== undefined) nextMemory[gate.name] = entry;
    });
    return { results: judged.map((entry) => entry.result), memory: nextMemory };
  }

  private async readCounters(
    gate: GateSpec,
    totalQuery: string,
    eventsQuery: string,
    target: GateTarget,
    at: Date,
    signal: AbortSignal,
  ): Promise<RateCounters | { error: string }> {
    const baseline = target.baselineVersion;
    if (baseline === undefined || baseline === "") return { error: "no baseline (stable) version to compare with" };
    const versions = [target.version, baseline];
    const rendered: string[] = [];
    try {
      for (const version of versions) {
        for (const template of [totalQuery, eventsQuery])
          rendered.push(renderQueryTemplate(template, { ...target, version }));
      }
    } catch (error) {
      return { error: `cannot render query: ${describe(error)}` };
    }
    const values = await Promise.all(rendered.map((query) => this.run(gate, query, at, signal, target.windowSeconds)));
    const numbers: number[] = [];
    for (const [index, value] of values.entries()) {
      if (value.kind === "error") return { error: `${gate.provider} counter query failed: ${value.error}` };
      // No series yet is a counter at zero (no requests, or no errors, so far).
      const number = value.kind === "empty" ? 0 : value.value;
      if (!Number.isFinite(number) || number < 0) return { error: `counter ${rendered[index]} is ${number}` };
      numbers.push(number);
    }
    const [canaryTotal = 0, canaryEvents = 0, baselineTotal = 0, baselineEvents = 0] = numbers;
    return { canaryTotal, canaryEvents, baselineTotal, baselineEvents };
  }

  private async readHistograms(
    gate: GateSpec,
    bucketsQuery: string,
    target: GateTarget,
    at: Date,
    signal: AbortSignal,
  ): Promise<{ canary: VectorSample[]; baseline: VectorSample[] } | { error: string }> {
    const baseline = target.baselineVersion;
    if (baseline === undefined || baseline === "") return { error: "no baseline (stable) version to compare with" };
    const provider = this.providers[gate.provider];
    if (provider?.queryVector === undefined)
      return { error: `the ${gate.provider} provider cannot answer bucket queries` };
    const queryVector = provider.queryVector.bind(provider);
    let queries: string[];
    try {
      queries = [target.version, baseline].map((version) => renderQueryTemplate(bucketsQuery, { ...target, version }));
    } catch (error) {
      return { error: `cannot render query: ${describe(error)}` };
    }
    const answers = await Promise.all(
      queries.map(async (query) => {
        try {
          return await queryVector(query, at, signal);
        } catch (error) {
          return { kind: "error" as const, error: describe(error) };
        }
      }),
    );
    const [canary, base] = answers;
    if (canary?.kind !== "vector") return { error: `bucket query failed: ${canary?.error ?? "no answer"}` };
    if (base?.kind !== "vector") return { error: `bucket query failed: ${base?.error ?? "no answer"}` };
    return { canary: [...canary.samples], baseline: [...base.samples] };
  }

  private async evaluateGate(gate: GateSpec, target: GateTarget, at: Date, signal: AbortSignal): Promise<GateResult> {
    let query = gate.query;
    let sampleQuery: string | undefined;
    try {
      query = renderQueryTemplate(gate.query, target);
      sampleQuery = gate.sampleQuery === undefined ? undefined : renderQueryTemplate(gate.sampleQuery, target);
    } catch (error) {
      return judgeGate(gate, query, providerError(`cannot render query: ${describe(error)}`));
    }
    const [value, sample] = await Promise.all([
      this.run(gate, query, at, signal, target.windowSeconds),
      sampleQuery === undefined ? undefined : this.run(gate, sampleQuery, at, signal, target.windowSeconds),
    ]);
    return judgeGate(gate, query, value, sample);
  }

  private async run(
    gate: GateSpec,
    query: string,
    at: Date,
    signal: AbortSignal,
    windowSeconds: number,
  ): Promise<ProviderResult> {
    const provider = this.providers[gate.provider];
    if (provider === undefined) return providerError(`no ${gate.provider} provider is configured`);
    try {
      return await provider.query(query, at, signal, { windowSeconds });
    } catch (error) {
      return providerError(describe(error));
    }
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
