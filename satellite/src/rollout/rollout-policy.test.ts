import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BUILT_IN_GATES } from "./default-gates.js";
import { PolicyError } from "./policy-error.js";
import { defaultRolloutPolicy, fitPolicyToProviders, parseRolloutPolicy, stepWeights } from "./rollout-policy.js";

/** The problems of a policy that must fail, as `file:line:col: path: message` lines. */
function problemsOf(yaml: string, source?: string): string[] {
  try {
    parseRolloutPolicy(yaml, source);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return error.message.split("\n").slice(1);
  }
  throw new Error("policy was accepted");
}

const EXAMPLE = `# Checkout canary
strategy: canary
steps: [5, 15, 20, 30, 30]
warmupSeconds: 20
intervalSeconds: 3
windowSeconds: 30
passesToPromote: 5
consecutiveBreachesToRollback: 3
onUnknown: pause
telemetryLoss:
  pauseAfterSeconds: 9
  revertAfterSeconds: 60
gates:
  - name: error_rate
    threshold: 0.02
  - name: p95_latency_ms
  - name: log_error_ratio
    onUnknown: ignore
  - name: cart_errors
    provider: prometheus
    query: sum(rate(cart_errors_total{service="{{service}}",version="{{version}}"}[{{window}}]))
    threshold: 0.5
    severeThreshold: 5
`;

describe("parseRolloutPolicy", () => {
  it("gives every default for an empty mapping", () => {
    const policy = defaultRolloutPolicy();
    expect(policy).toMatchObject({
      strategy: "canary",
      steps: [5, 15, 20, 30, 30],
      warmupSeconds: 30,
      intervalSeconds: 5,
      windowSeconds: 30,
      passesToPromote: 10,
      consecutiveBreachesToRollback: 3,
      onUnknown: "pause",
      telemetryLoss: { pauseAfterSeconds: 10, revertAfterSeconds: 120 },
      rollbackMaxAttempts: 10,
    });
    expect(policy.gates.map((gate) => gate.name)).toEqual(["error_rate", "p95_latency_ms", "log_error_ratio"]);
    // The canary's error and latency gates are judged against the stable version, α split between them.
    expect(policy.alpha).toBe(0.01);
    expect(policy.gates[0]).toEqual({
      name: "error_rate",
      ...BUILT_IN_GATES.error_rate,
      onUnknown: "pause",
      judge: "sequential",
      sequential: { ...BUILT_IN_GATES.error_rate.sequential, alpha: 0.005 },
    });
    expect(policy.gates[1]).toMatchObject({ judge: "sequential", sequential: { kind: "distribution", alpha: 0.005 } });
    expect(policy.gates[2]).toMatchObject({ judge: "threshold" });
    expect(policy.gates[2]?.sequential).toBeUndefined();
    expect(policy.errorBudget).toEqual({ slo: 0.999, gate: "error_rate" });
    expect(Object.isFrozen(policy.gates[0])).toBe(true);
    expect(stepWeights(policy)).toEqual([5, 20, 40, 70, 100]);
  });

  it("parses a full policy, merging built-in gates with overrides", () => {
    const policy = parseRolloutPolicy(EXAMPLE);
    expect(policy.intervalSeconds).toBe(3);
    expect(policy.telemetryLoss).toEqual({ pauseAfterSeconds: 9, revertAfterSeconds: 60 });
    const [errorRate, latency, logs, custom] = policy.gates;
    expect(errorRate).toMatchObject({ threshold: 0.02, severeThreshold: 0.05, query: BUILT_IN_GATES.error_rate.query });
    expect(latency).toMatchObject({ threshold: 400, comparator: "lte", minSampleSize: 50, onUnknown: "pause" });
    expect(logs).toMatchObject({ provider: "loki", onUnknown: "ignore" });
    expect(custom).toEqual({
      name: "cart_errors",
      provider: "prometheus",
      query: 'sum(rate(cart_errors_total{service="{{service}}",version="{{version}}"}[{{window}}]))',
      threshold: 0.5,
      comparator: "lte",
      severeThreshold: 5,
      onUnknown: "pause",
      judge: "threshold",
    });
  });

  it("gives blue-green a single switch: weights 0 (analysis) then 100", () => {
    const policy = parseRolloutPolicy("strategy: blueGreen\n");
    expect(policy.steps).toEqual([100]);
    expect(stepWeights(policy)).toEqual([0, 100]);
  });

  it("names the line, column and field of steps that do not sum to 100", () => {
    const yaml = "strategy: canary\nwarmupSeconds: 10\nsteps: [5, 15, 20, 30, 25]\n";
    expect(problemsOf(yaml)).toEqual(["policy.yaml:3:8: steps: increments must sum to 100, got 95"]);
  });

  it("rejects unknown fields at their key, suggesting the intended one", () => {
    const yaml =
      "stpes: [50, 50]\ntelemetryLoss:\n  pauseAfterSecond: 5\ngates:\n  - name: error_rate\n    treshold: 0.02\n";
    expect(problemsOf(yaml, "checkout.yaml")).toEqual([
      'checkout.yaml:1:1: stpes: unknown field "stpes" (did you mean "steps"?)',
      'checkout.yaml:3:3: telemetryLoss.pauseAfterSecond: unknown field "pauseAfterSecond" (did you mean "pauseAfterSeconds"?)',
      'checkout.yaml:6:5: gates[0].treshold: unknown field "treshold" (did you mean "threshold"?)',
    ]);
  });

  it("lists every problem at once: range, type, enum and integer", () => {
    const yaml = [
      "strategy: linear",
      "intervalSeconds: 10",
      "windowSeconds: 2.5",
      'passesToPromote: "five"',
      "steps: [50, 0, 50]",
      "onUnknown:",
    ].join("\n");
    expect(problemsOf(yaml)).toEqual([
      'policy.yaml:1:11: strategy: must be one of "canary", "blueGreen", got "linear"',
      "policy.yaml:2:18: intervalSeconds: must be <= 5, got 10",
      "policy.yaml:3:16: windowSeconds: expected a whole number, got 2.5",
      'policy.yaml:4:18: passesToPromote: expected a number, got "five"',
      "policy.yaml:5:13: steps[1]: must be > 0, got 0",
      'policy.yaml:6:11: onUnknown: must be one of "ignore", "pause", "breach", got an empty value',
    ]);
  });

  it("requires provider, query and threshold for a custom gate, pointing at the gate", () => {
    const yaml = "gates:\n  - name: error_rate\n  - name: queue_depth\n    comparator: gte\n";
    expect(problemsOf(yaml)).toEqual([
      'policy.yaml:3:5: gates[1].provider: is required for custom gate "queue_depth" (built-in gates: error_rate, p95_latency_ms, log_error_ratio, trace_error_ratio)',
      'policy.yaml:3:5: gates[1].query: is required for custom gate "queue_depth" (built-in gates: error_rate, p95_latency_ms, log_error_ratio, trace_error_ratio)',
      'policy.yaml:3:5: gates[1].threshold: is required for custom gate "queue_depth" (built-in gates: error_rate, p95_latency_ms, log_error_ratio, trace_error_ratio)',
    ]);
  });

  it("checks templates, thresholds, sample queries and duplicate names of gates", () => {
    const yaml = [
      "gates:",
      "  - name: error_rate",
      "    severeThreshold: 0.001",
      "  - name: custom",
      "    provider: loki",
      '    query: sum(count_over_time({app="{{svc}}"}[{{window}}]))',
      "    threshold: 1",
      "    minSampleSize: 10",
      "  - name: error_rate",
    ].join("\n");
    expect(problemsOf(yaml)).toEqual([
      "policy.yaml:3:22: gates[0].severeThreshold: must be above threshold (0.01) for comparator lte",
      "policy.yaml:6:12: gates[1].query: unknown template variable {{svc}}; known: service, version, namespace, window",
      "policy.yaml:8:20: gates[1].minSampleSize: minSampleSize needs a sampleQuery: the loki provider cannot count samples by itself",
      'policy.yaml:9:11: gates[2].name: duplicate gate name "error_rate"',
    ]);
  });

  it("checks rules across fields: window vs interval, loss bounds, blue-green steps", () => {
    const yaml = [
      "strategy: blueGreen",
      "steps: [50, 50]",
      "intervalSeconds: 4",
      "windowSeconds: 3",
      "telemetryLoss:",
      "  pauseAfterSeconds: 30",
      "  revertAfterSeconds: 30",
    ].join("\n");
    expect(problemsOf(yaml)).toEqual([
      "policy.yaml:2:8: steps: blue-green switches all traffic at once after analysis; omit steps or write [100]",
      "policy.yaml:4:16: windowSeconds: must be >= intervalSeconds (4) so consecutive windows leave no traffic unseen",
      "policy.yaml:7:23: telemetryLoss.revertAfterSeconds: must be > pauseAfterSeconds (30): the rollout pauses first, then reverts",
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    expect(problemsOf("steps: [5, 95\nintervalSeconds: 3\n")).toEqual([
      expect.stringMatching(/^policy\.yaml:2:1: \(yaml\): /),
    ]);
    expect(problemsOf("warmupSeconds: 1\nwarmupSeconds: 2\n")).toEqual([
      "policy.yaml:2:1: (yaml): Map keys must be unique",
    ]);
  });

  it("rejects a document that is not a mapping", () => {
    expect(problemsOf("")).toEqual([
      "policy.yaml:1:1: (policy): expected a mapping of policy fields ({} for all defaults), got an empty document",
    ]);
    expect(problemsOf("- 5\n- 95\n")).toEqual([
      "policy.yaml:1:1: (policy): expected a mapping of policy fields ({} for all defaults), got a list",
    ]);
  });

  it("throws a SentraError INVALID_ARGUMENT carrying the problems", () => {
    try {
      parseRolloutPolicy("steps: [10]\n");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      const policyError = error as PolicyError;
      expect(policyError.code).toBe("INVALID_ARGUMENT");
      expect(policyError.field).toBe("steps");
      expect(policyError.problems).toEqual([
        { source: "policy.yaml", line: 1, col: 8, path: "steps", message: "increments must sum to 100, got 10" },
      ]);
    }
  });

  it("accepts the example policy of docs/release-guard.md", async () => {
    const doc = await readFile(new URL("../../../docs/release-guard.md", import.meta.url), "utf8");
    const example = /## Example policy\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const policy = parseRolloutPolicy(example ?? "", "release-guard.md");
    expect(policy.gates.map((gate) => gate.name)).toEqual([
      "error_rate",
      "p95_latency_ms",
      "log_error_ratio",
      "trace_error_ratio",
      "cart_errors",
    ]);
  });
});

describe("parseRolloutPolicy: the sequential judge", () => {
  it("builds a custom sequential rate gate and splits α across the sequential gates", () => {
    const policy = parseRolloutPolicy(
      [
        "alpha: 0.03",
        "gates:",
        "  - name: error_rate",
        "  - name: p95_latency_ms",
        "  - name: cart_errors",
        "    provider: prometheus",
        '    query: sum(rate(cart_errors_total{version="{{version}}"}[{{window}}]))',
        "    threshold: 0.5",
        "    judge: sequential",
        '    totalQuery: sum(cart_requests_total{version="{{version}}"})',
        '    eventsQuery: sum(cart_errors_total{version="{{version}}"})',
        "    tolerance: 0",
        "errorBudget: { slo: 0.995, maxBurnPercent: 2, gate: cart_errors }",
      ].join("\n"),
    );
    expect(policy.gates.map((gate) => [gate.name, gate.judge, gate.sequential?.alpha])).toEqual([
      ["error_rate", "sequential", 0.01],
      ["p95_latency_ms", "sequential", 0.01],
      ["cart_errors", "sequential", 0.01],
    ]);
    expect(policy.gates[2]?.sequential).toMatchObject({ kind: "rateRatio", tolerance: 0 });
    expect(policy.errorBudget).toEqual({ slo: 0.995, maxBurnPercent: 2, gate: "cart_errors" });
  });

  it("keeps the threshold rule for blue-green, Loki and custom gates unless told", () => {
    const blueGreen = parseRolloutPolicy("strategy: blueGreen\n");
    expect(blueGreen.gates.map((gate) => gate.judge)).toEqual(["threshold", "threshold", "threshold"]);
    expect(blueGreen.errorBudget).toBeUndefined();
    const pinned = parseRolloutPolicy("gates:\n  - { name: error_rate, judge: threshold }\n");
    expect(pinned.gates[0]?.sequential).toBeUndefined();
    expect(pinned.errorBudget).toBeUndefined();
  });

  it("names the line of every misuse of the judge's fields", () => {
    const yaml = [
      "strategy: canary", // 1
      "alpha: 0.7", // 2
      "gates:", // 3
      "  - name: log_error_ratio", // 4
      "    judge: sequential", // 5
      "  - name: error_rate", // 6
      "    judge: threshold", // 7
      "    tolerance: 0.5", // 8
      "  - name: custom", // 9
      "    provider: prometheus", // 10
      "    query: up", // 11
      "    threshold: 1", // 12
      "    judge: sequential", // 13
      "  - name: p95_latency_ms", // 14
      "    judge: bayesian", // 15
      "errorBudget:", // 16
      "  gate: p95_latency_ms", // 17
    ].join("\n");
    expect(problemsOf(yaml)).toEqual([
      "policy.yaml:2:8: alpha: must be <= 0.5, got 0.7",
      "policy.yaml:5:12: gates[0].judge: the sequential judge reads cumulative counters, which only the prometheus provider has (this gate's is loki)",
      "policy.yaml:8:5: gates[1].tolerance: is used only by the sequential judge; set judge: sequential or remove it",
      "policy.yaml:13:12: gates[2].judge: the sequential judge needs totalQuery and eventsQuery (cumulative requests and errors) or bucketsQuery (a cumulative histogram by le)",
      'policy.yaml:15:12: gates[3].judge: must be one of "threshold", "sequential", got "bayesian"',
      'policy.yaml:17:9: errorBudget.gate: gate "p95_latency_ms" must be a sequential error gate (judge: sequential with totalQuery and eventsQuery): the budget is counted from its requests and errors',
    ]);
  });

  it("checks the sequential queries' template variables", () => {
    const yaml = 'gates:\n  - name: error_rate\n    totalQuery: sum(x{v="{{canary}}"})\n';
    expect(problemsOf(yaml)).toEqual([
      "policy.yaml:3:17: gates[0].totalQuery: unknown template variable {{canary}}; known: service, version, namespace, window",
    ]);
  });

  it("refuses the sequential judge for blue-green, which has no baseline serving beside the canary", () => {
    expect(problemsOf("strategy: blueGreen\ngates:\n  - name: error_rate\n    judge: sequential\n")).toEqual([
      "policy.yaml:4:12: gates[0].judge: the sequential judge compares the canary with the stable version serving at the same time; blue-green has no such baseline, use judge: threshold",
    ]);
  });
});

describe("fitPolicyToProviders", () => {
  const fit = (yaml: string, available: string[]) =>
    fitPolicyToProviders(
      yaml,
      "policy.yaml",
      parseRolloutPolicy(yaml),
      new Set(available as ("prometheus" | "loki" | "tempo")[]),
      { loki: "set SENTRA_LOKI_URL" },
    );

  it("leaves the default gates whose provider is missing out of a policy without gates", () => {
    const { policy, omitted } = fit("steps: [50, 50]\n", ["prometheus"]);
    expect(policy.gates.map((gate) => gate.name)).toEqual(["error_rate", "p95_latency_ms"]);
    expect(omitted.map((gate) => [gate.name, gate.provider])).toEqual([["log_error_ratio", "loki"]]);
    expect(Object.isFrozen(policy.gates)).toBe(true);
    expect(fit("{}", ["prometheus", "loki"]).omitted).toEqual([]);
  });

  it("refuses a listed gate whose provider is missing, at that gate, and a policy left without gates", () => {
    const refusal = (yaml: string, available: string[]) => {
      try {
        fit(yaml, available);
      } catch (error) {
        if (error instanceof PolicyError) return error.message.split("\n").slice(1);
        throw error;
      }
      throw new Error("policy was accepted");
    };
    expect(refusal("gates:\n  - name: error_rate\n  - name: log_error_ratio\n", ["prometheus"])).toEqual([
      'policy.yaml:3:5: gates[1]: gate "log_error_ratio": provider loki is not configured on this satellite (set SENTRA_LOKI_URL); configure it or remove the gate',
    ]);
    expect(
      refusal('gates:\n  - name: errors\n    provider: tempo\n    query: "{ status = error }"\n    threshold: 1\n', [
        "prometheus",
      ]),
    ).toEqual([
      'policy.yaml:3:15: gates[0].provider: gate "errors": provider tempo is not configured on this satellite; configure it or remove the gate',
    ]);
    expect(refusal("{}", [])).toEqual([
      "policy.yaml:1:1: gates: no default gate can run: provider prometheus is not configured on this satellite; provider loki is not configured on this satellite (set SENTRA_LOKI_URL)",
    ]);
  });
});
