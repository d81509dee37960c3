import { describe, expect, it } from "vitest";
import { GateEvaluator, judgeGate } from "./gate-evaluator.js";
import type { GateSpec } from "./gate-spec.js";
import type { MetricProvider, ProviderResult } from "./metric-provider.js";

const errorRate: GateSpec = {
  name: "error_rate",
  provider: "prometheus",
  query: "errors",
  threshold: 0.01,
  comparator: "lte",
  severeThreshold: 0.05,
  minSampleSize: 50,
  sampleQuery: "requests",
  onUnknown: "pause",
  judge: "threshold",
};

const value = (v: number, sampleSize?: number): ProviderResult => ({
  kind: "value",
  value: v,
  ...(sampleSize === undefined ? {} : { sampleSize }),
});

describe("judgeGate", () => {
  it("passes at or below the threshold and breaches above it", () => {
    expect(judgeGate(errorRate, "q", value(0.01), value(200))).toMatchObject({
      outcome: "pass",
      value: 0.01,
      sampleSize: 200,
      severe: false,
      reason: "error_rate 0.01 ≤ 0.01 (200 samples)",
    });
    expect(judgeGate(errorRate, "q", value(0.02), value(200))).toMatchObject({ outcome: "breach", severe: false });
  });

  it("flags a value beyond the severe threshold", () => {
    expect(judgeGate(errorRate, "q", value(0.3), value(200))).toMatchObject({
      outcome: "breach",
      severe: true,
      severeThreshold: 0.05,
      reason: "error_rate 0.3 > 0.01 (200 samples) — beyond severe threshold 0.05",
    });
  });

  it("is unknown, not breach, below the minimum sample size — even for a terrible value", () => {
    const result = judgeGate(errorRate, "q", value(0.5), value(12));
    expect(result).toMatchObject({
      outcome: "unknown",
      unknownCause: "lowSample",
      value: 0.5,
      sampleSize: 12,
      severe: false,
      reason: "error_rate unknown: 12 samples < minSampleSize 50",
    });
    expect(judgeGate(errorRate, "q", value(0.5), { kind: "empty", detail: "empty vector" })).toMatchObject({
      outcome: "unknown",
      unknownCause: "lowSample",
      sampleSize: 0,
    });
  });

  it("is unknown for provider errors, no data, NaN and infinity", () => {
    expect(judgeGate(errorRate, "q", { kind: "error", error: "HTTP 503" }, value(100))).toMatchObject({
      outcome: "unknown",
      unknownCause: "providerError",
      value: null,
    });
    expect(judgeGate(errorRate, "q", value(0), { kind: "error", error: "timeout" })).toMatchObject({
      unknownCause: "providerError",
    });
    expect(judgeGate(errorRate, "q", { kind: "empty", detail: "empty vector" }, value(100))).toMatchObject({
      outcome: "unknown",
      unknownCause: "empty",
    });
    expect(judgeGate(errorRate, "q", value(Number.NaN), value(100))).toMatchObject({
      outcome: "unknown",
      unknownCause: "notFinite",
      value: null,
    });
    expect(judgeGate(errorRate, "q", value(Number.POSITIVE_INFINITY), value(100))).toMatchObject({
      unknownCause: "notFinite",
    });
  });

  it("uses a sample size reported by the provider (Tempo) and supports gte", () => {
    const throughput: GateSpec = {
      name: "throughput",
      provider: "tempo",
      query: "q",
      threshold: 10,
      comparator: "gte",
      judge: "threshold",
      minSampleSize: 100,
      onUnknown: "pause",
    };
    expect(judgeGate(throughput, "q", value(12, 500))).toMatchObject({ outcome: "pass", sampleSize: 500 });
    expect(judgeGate(throughput, "q", value(8, 500))).toMatchObject({
      outcome: "breach",
      reason: "throughput 8 < 10 (500 samples)",
    });
    expect(judgeGate(throughput, "q", value(12))).toMatchObject({
      outcome: "unknown",
      reason: "throughput unknown: sample size unavailable",
    });
  });
});

describe("GateEvaluator", () => {
  it("renders templates, runs value and sample queries, and passes the window", async () => {
    const seen: { query: string; windowSeconds: number | undefined }[] = [];
    const prometheus: MetricProvider = {
      kind: "prometheus",
      async query(query, _at, _signal, options) {
        seen.push({ query, windowSeconds: options?.windowSeconds });
        return query.startsWith("count") ? value(120) : value(0.002);
      },
    };
    const gate: GateSpec = {
      ...errorRate,
      query: 'ratio{version="{{version}}"}[{{window}}]',
      sampleQuery: 'count{version="{{version}}"}[{{window}}]',
    };
    const evaluator = new GateEvaluator({ prometheus });
    const target = { service: "checkout", version: "v2", namespace: "shop", windowSeconds: 45 };
    const [result] = await evaluator.evaluate([gate], target, new Date(), new AbortController().signal);
    expect(result).toMatchObject({ outcome: "pass", value: 0.002, sampleSize: 120, query: 'ratio{version="v2"}[45s]' });
    expect(seen).toEqual([
      { query: 'ratio{version="v2"}[45s]', windowSeconds: 45 },
      { query: 'count{version="v2"}[45s]', windowSeconds: 45 },
    ]);
  });

  it("turns a missing or throwing provider into an unknown result", async () => {
    const throwing: MetricProvider = {
      kind: "prometheus",
      query: () => Promise.reject(new Error("boom")),
    };
    const target = { service: "s", version: "v", namespace: "n", windowSeconds: 30 };
    const signal = new AbortController().signal;
    const [thrown] = await new GateEvaluator({ prometheus: throwing }).evaluate(
      [errorRate],
      target,
      new Date(),
      signal,
    );
    expect(thrown).toMatchObject({
      outcome: "unknown",
      unknownCause: "providerError",
      reason: "error_rate unknown: prometheus query failed: boom",
    });
    const [missing] = await new GateEvaluator({}).evaluate([errorRate], target, new Date(), signal);
    expect(missing).toMatchObject({
      unknownCause: "providerError",
      reason: "error_rate unknown: prometheus query failed: no prometheus provider is configured",
    });
  });
});
