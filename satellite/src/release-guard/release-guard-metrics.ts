import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The release guard's Prometheus metrics (registered on the satellite's registry). */
export interface ReleaseGuardMetrics {
  readonly transitions: Counter<"to">;
  readonly decisions: Counter<"kind">;
  readonly gateEvaluations: Counter<"gate" | "outcome">;
  readonly incidents: Counter<"severity" | "kind">;
  readonly telemetryQueries: Counter<"provider" | "result">;
  readonly telemetryQueryDuration: Histogram<"provider">;
  readonly routerCalls: Counter<"router" | "role" | "outcome">;
  readonly routerCallDuration: Histogram<"router" | "role">;
  /** Routes put back to 0 % by the primary router after a rollback through the fallback. */
  readonly routeRepairs: Counter<"router" | "outcome">;
  /** Rollouts by phase and canary weight per active rollout, read from the engine at scrape time. */
  readonly rollouts: Gauge<"phase">;
  readonly canaryWeight: Gauge<"rollout" | "namespace" | "service">;
  /** The sequential judge's statistic and its rejection bound per active rollout and gate. */
  readonly gateStatistic: Gauge<"rollout" | "gate" | "test">;
  readonly gateStatisticBound: Gauge<"rollout" | "gate" | "test">;
  /** Percentage of a day's error budget each active rollout's canary burned. */
  readonly errorBudgetBurned: Gauge<"rollout">;
}

/**
 * Creates the metrics. `sample` is called at scrape time for the gauges, so they always show the
 * engine's current rollouts and forget finished ones without bookkeeping.
 */
export function createReleaseGuardMetrics(
  registry: Registry,
  sample: () => {
    phases: Record<string, number>;
    weights: { rollout: string; namespace: string; service: string; weight: number }[];
    evidence: { rollout: string; gate: string; test: string; statistic: number; bound: number }[];
    budgets: { rollout: string; burnedPercent: number }[];
  },
): ReleaseGuardMetrics {
  const registers = [registry];
  const rollouts = new Gauge({
    name: "sentra_satellite_rollouts",
    help: "Rollouts held by the release guard, by phase",
    labelNames: ["phase"],
    registers,
    collect() {
      this.reset();
      for (const [phase, count] of Object.entries(sample().phases)) this.set({ phase }, count);
    },
  });
  const canaryWeight = new Gauge({
    // A 0–1 ratio, Prometheus' base unit for shares (`_ratio`), so stock panels format it as %.
    name: "sentra_satellite_rollout_canary_weight_ratio",
    help: "Canary traffic share of each active rollout, 0–1",
    labelNames: ["rollout", "namespace", "service"],
    registers,
    collect() {
      this.reset();
      for (const { weight, ...labels } of sample().weights) this.set(labels, weight / 100);
    },
  });
  const evidenceGauge = (name: string, help: string, pick: "statistic" | "bound") =>
    new Gauge({
      name,
      help,
      labelNames: ["rollout", "gate", "test"],
      registers,
      collect() {
        this.reset();
        for (const entry of sample().evidence) {
          const value = entry[pick];
          if (Number.isFinite(value)) this.set({ rollout: entry.rollout, gate: entry.gate, test: entry.test }, value);
        }
      },
    });
  const gateStatistic = evidenceGauge(
    "sentra_satellite_rollout_gate_statistic",
    "The sequential judge's statistic per active rollout and gate (mSPRT: e-value; mannWhitney: z), at the last decision",
    "statistic",
  );
  const gateStatisticBound = evidenceGauge(
    "sentra_satellite_rollout_gate_statistic_bound",
    "The value at or beyond which the sequential judge's statistic rolls the canary back (1/alpha; the z of the look's spent alpha)",
    "bound",
  );
  const errorBudgetBurned = new Gauge({
    name: "sentra_satellite_rollout_error_budget_burned_percent",
    help: "Share of a day's error budget the canary's excess errors burned, per active rollout",
    labelNames: ["rollout"],
    registers,
    collect() {
      this.reset();
      for (const { rollout, burnedPercent } of sample().budgets) this.set({ rollout }, burnedPercent);
    },
  });
  return {
    rollouts,
    canaryWeight,
    gateStatistic,
    gateStatisticBound,
    errorBudgetBurned,
    transitions: new Counter({
      name: "sentra_satellite_rollout_transitions_total",
      help: "Rollout phase changes, by the phase entered",
      labelNames: ["to"],
      registers,
    }),
    decisions: new Counter({
      name: "sentra_satellite_rollout_decisions_total",
      help: "Release guard decisions, by kind",
      labelNames: ["kind"],
      registers,
    }),
    gateEvaluations: new Counter({
      name: "sentra_satellite_rollout_gate_evaluations_total",
      help: "Gate evaluations, by gate and outcome (pass, breach, unknown)",
      labelNames: ["gate", "outcome"],
      registers,
    }),
    incidents: new Counter({
      name: "sentra_satellite_rollout_incidents_total",
      help: "Rollout incidents, by severity and kind",
      labelNames: ["severity", "kind"],
      registers,
    }),
    telemetryQueries: new Counter({
      name: "sentra_satellite_telemetry_queries_total",
      help: "Gate queries sent to telemetry backends, by provider and result (value, empty, error)",
      labelNames: ["provider", "result"],
      registers,
    }),
    telemetryQueryDuration: new Histogram({
      name: "sentra_satellite_telemetry_query_duration_seconds",
      help: "Duration of gate queries, by provider",
      labelNames: ["provider"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
      registers,
    }),
    routerCalls: new Counter({
      name: "sentra_satellite_traffic_router_calls_total",
      help: "Traffic router calls, by router, role (primary, fallback, repair) and outcome (ok, error)",
      labelNames: ["router", "role", "outcome"],
      registers,
    }),
    routerCallDuration: new Histogram({
      name: "sentra_satellite_traffic_router_call_duration_seconds",
      help: "Duration of traffic router calls",
      labelNames: ["router", "role"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    routeRepairs: new Counter({
      name: "sentra_satellite_traffic_route_repairs_total",
      help: "Routes set back to 0 % canary by the primary router after a rollback through the fallback, by outcome (repaired, abandoned)",
      labelNames: ["router", "outcome"],
      registers,
    }),
  };
}
