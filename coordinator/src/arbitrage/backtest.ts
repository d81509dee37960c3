import { SentraError, type SpotPriceCsvOptions, type SpotPriceRow } from "@sentra/common";
import { type ArbitrageOptions, compileArbitrageOptions } from "./arbitrage-options.js";
import {
  type AutoMigrationOptions,
  type AutoMigrationPolicy,
  type AutoMigrationState,
  type CompiledAutoMigrationOptions,
  createAutoMigrationPolicy,
} from "./auto-migration-policy.js";
import type { ParsedBacktestEstate } from "./backtest-estate.js";
import { hourlyCostUsd, selectInstance } from "./cost-model.js";
import { DEFAULT_INSTANCE_CATALOG, type InstanceSpec } from "./instance-catalog.js";
import { type ArbitrageOpportunity, createOpportunityFinder } from "./opportunity-finder.js";
import type { InstancePrice, RegionMarket, RegionRef } from "./region-market.js";
import { createSpotPriceBook } from "./spot-price-book.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** How often the simulated coordinator runs the finder and the auto policy, seconds. */
export const DEFAULT_BACKTEST_DECISION_INTERVAL_SECONDS = 300;

/**
 * How a backtest reads its price history (`streamSpotPriceCsv(path, BACKTEST_CSV_OPTIONS)`): a replay
 * needs the rows in time order, and a malformed row stops it, naming the line.
 */
export const BACKTEST_CSV_OPTIONS: Readonly<SpotPriceCsvOptions> = Object.freeze({
  malformedRows: "fail",
  requireSortedTimestamps: true,
});

/** Options of {@link runBacktest}. */
export interface BacktestOptions {
  /**
   * Period of the simulated decisions. Seconds.
   * @default 300
   */
  readonly decisionIntervalSeconds?: number;
  /**
   * Finder options; `readinessEstimateSeconds` is also how long a simulated migration takes.
   * `priceTtlMs` does not bite: the simulated satellites re-read the price in force at every decision.
   * @default the finder's defaults
   */
  readonly arbitrage?: ArbitrageOptions;
  /**
   * The auto policy of the "with hysteresis" run (`enabled` is forced on). The "without
   * hysteresis" run uses the same threshold and concurrency cap with `sustainSeconds: 0` and
   * `cooldownSeconds: 0`.
   * @default the auto policy's defaults
   */
  readonly hysteresis?: AutoMigrationOptions;
  /**
   * vCPUs and memory per instance type; rows of other types are ignored (counted in the report).
   * @default DEFAULT_INSTANCE_CATALOG plus the estate's `instanceTypes`
   */
  readonly instanceCatalog?: Readonly<Record<string, InstanceSpec>>;
}

/** One migration a simulated strategy made. */
export interface BacktestMigration {
  readonly startedAt: string;
  readonly workloadId: string;
  readonly from: string;
  readonly to: string;
  readonly costNowUsdPerHour: number;
  readonly costTargetUsdPerHour: number;
  readonly egressUsd: number;
  /** The margin the plan predicted at decision time, USD. */
  readonly plannedMarginUsd: number;
}

/** The money one strategy spent over the replay. */
export interface BacktestStrategyResult {
  readonly name: string;
  /** Policy settings (null for "stay put"). */
  readonly policy: CompiledAutoMigrationOptions | null;
  readonly migrations: number;
  /** Instances running alone in their region, USD. */
  readonly computeUsd: number;
  readonly egressUsd: number;
  /** Both copies while a target becomes ready, USD. */
  readonly overlapUsd: number;
  /** compute + egress + overlap, USD. */
  readonly totalUsd: number;
  /** Stay-put total − this total, USD (positive = arbitrage saved money). */
  readonly netSavingUsd: number;
  /** netSavingUsd as a percentage of the stay-put total. */
  readonly netSavingPercent: number;
  /** Sum of the margins the plans predicted, USD. */
  readonly plannedMarginUsd: number;
  /** The same money per workload id. */
  readonly perWorkload: Readonly<Record<string, BacktestWorkloadCost>>;
  readonly migrationLog: readonly BacktestMigration[];
}

/** What one workload cost under one strategy, USD. */
export interface BacktestWorkloadCost {
  readonly migrations: number;
  readonly computeUsd: number;
  readonly egressUsd: number;
  readonly overlapUsd: number;
  readonly totalUsd: number;
}

/** What a replay found. */
export interface BacktestReport {
  readonly source: string;
  readonly rows: number;
  readonly series: number;
  /** Rows skipped because their instance type has no size in the catalog. */
  readonly rowsOfUnknownTypes: number;
  readonly firstRowAt: string;
  /** Accounting starts once every workload's starting region has a price for it. */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly hours: number;
  readonly decisionIntervalSeconds: number;
  readonly decisions: number;
  readonly readinessEstimateSeconds: number;
  readonly horizonHours: number;
  readonly minMarginUsd: number;
  readonly estate: { readonly description: string; readonly workloads: readonly WorkloadCostInput[] };
  readonly stayPut: BacktestStrategyResult;
  readonly strategies: readonly BacktestStrategyResult[];
  readonly notes: readonly string[];
}

interface Pending {
  readonly target: WorkloadCostInput;
  readonly completesAtMs: number;
}

interface Simulation {
  readonly name: string;
  readonly policy: AutoMigrationPolicy | null;
  state: AutoMigrationState | null;
  readonly workloads: WorkloadCostInput[];
  readonly pending: Map<string, Pending>;
  computeUsd: number;
  egressUsd: number;
  overlapUsd: number;
  plannedMarginUsd: number;
  readonly log: BacktestMigration[];
  readonly perWorkload: Map<string, { migrations: number; computeUsd: number; egressUsd: number; overlapUsd: number }>;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

/**
 * Replays a spot price history through the same opportunity finder and auto policy the
 * coordinator runs, for a described estate, and prices three strategies: stay put, auto with
 * hysteresis, auto without it. Streams the rows; needs them sorted by timestamp.
 *
 * Accounting, per workload, integrating the step-function prices exactly between events:
 * compute = replicas × share × region price while it runs in one region; a migration pays
 * `stateGb × egress USD/GB` when it starts, and both copies (overlap) for
 * `readinessEstimateSeconds`, after which only the target runs.
 */
export async function runBacktest(input: {
  readonly rows: AsyncIterable<SpotPriceRow>;
  readonly estate: ParsedBacktestEstate;
  /** Shown in the report (e.g. the CSV path). */
  readonly source?: string;
  readonly options?: BacktestOptions;
}): Promise<BacktestReport> {
  const options = input.options ?? {};
  const intervalSeconds = options.decisionIntervalSeconds ?? DEFAULT_BACKTEST_DECISION_INTERVAL_SECONDS;
  if (!(Number.isFinite(intervalSeconds) && intervalSeconds > 0)) {
    throw SentraError.invalidArgument("decisionIntervalSeconds", `must be > 0, got ${intervalSeconds}`);
  }
  const intervalMs = intervalSeconds * 1000;
  const arbitrage = compileArbitrageOptions(options.arbitrage ?? {});
  const readinessMs = arbitrage.readinessEstimateSeconds * 1000;
  const finder = createOpportunityFinder(arbitrage);
  const catalog = { ...DEFAULT_INSTANCE_CATALOG, ...input.estate.instanceTypes, ...options.instanceCatalog };
  // A backtest replays recorded prices by definition: synthetic prices are what it decides on.
  const withHysteresis = createAutoMigrationPolicy({
    ...options.hysteresis,
    enabled: true,
    allowSyntheticPrices: true,
  });
  const withoutHysteresis = createAutoMigrationPolicy({
    ...withHysteresis.options,
    sustainSeconds: 0,
    cooldownSeconds: 0,
  });
  const describe = (p: CompiledAutoMigrationOptions) =>
    `sustain ${p.sustainSeconds} s, cool-down ${p.cooldownSeconds} s, cap ${p.maxConcurrentMigrations}, threshold ${p.marginThresholdUsd} USD`;

  const newSimulation = (name: string, policy: AutoMigrationPolicy | null): Simulation => ({
    name,
    policy,
    state: policy?.initialState() ?? null,
    workloads: input.estate.workloads.map((w) => ({ ...w })),
    pending: new Map(),
    computeUsd: 0,
    egressUsd: 0,
    overlapUsd: 0,
    plannedMarginUsd: 0,
    log: [],
    perWorkload: new Map(
      input.estate.workloads.map((w) => [w.id, { migrations: 0, computeUsd: 0, egressUsd: 0, overlapUsd: 0 }]),
    ),
  });
  const stayPut = newSimulation("stay put", null);
  const simulations = [
    stayPut,
    newSimulation(`auto, with hysteresis (${describe(withHysteresis.options)})`, withHysteresis),
    newSimulation(`auto, without hysteresis (${describe(withoutHysteresis.options)})`, withoutHysteresis),
  ];

  const book = createSpotPriceBook();
  let pricesVersion = -1;
  let pricesByRegion = new Map<string, InstancePrice[]>();
  const currentPrices = (): Map<string, InstancePrice[]> => {
    if (pricesVersion === book.version) return pricesByRegion;
    pricesByRegion = new Map();
    for (const ref of book.regions()) {
      const list: InstancePrice[] = [];
      for (const [instanceType, usdPerHour] of book.regionPrices(ref)) {
        const spec = catalog[instanceType];
        if (spec === undefined) continue;
        list.push({ instanceType, usdPerHour, vcpus: spec.vcpus, memoryGib: spec.memoryGib, observedAtMs: 0 });
      }
      pricesByRegion.set(`${ref.cloud}:${ref.region}`, list);
    }
    pricesVersion = book.version;
    return pricesByRegion;
  };
  const costPerHour = (workload: WorkloadCostInput, ref: RegionRef): number | null => {
    const choice = selectInstance(workload, currentPrices().get(`${ref.cloud}:${ref.region}`) ?? []);
    return choice === null ? null : hourlyCostUsd(workload.replicas, choice);
  };
  const mustCost = (workload: WorkloadCostInput, ref: RegionRef): number => {
    const cost = costPerHour(workload, ref);
    if (cost === null) {
      throw new SentraError("INTERNAL", `backtest: ${workload.id} has no price in ${ref.cloud}:${ref.region}`);
    }
    return cost;
  };
  const markets = (nowMs: number): RegionMarket[] =>
    [...currentPrices()].map(([key, prices]) => {
      const [cloud = "", region = ""] = key.split(":");
      return {
        cloud,
        region,
        satelliteId: `sim-${cloud}-${region}`,
        cluster: region,
        live: true,
        // Why `now`: a satellite re-reads the price in force at every poll, so it is never stale.
        prices: prices.map((p) => ({ ...p, observedAtMs: nowMs })),
      };
    });

  let clockMs = 0;
  let nextTickMs = 0;
  let decisions = 0;
  let started = false;
  let startMs = 0;

  const accrue = (untilMs: number): void => {
    const hours = (untilMs - clockMs) / 3_600_000;
    if (hours <= 0) return;
    for (const sim of simulations) {
      for (const workload of sim.workloads) {
        const pending = sim.pending.get(workload.id);
        const tally = sim.perWorkload.get(workload.id);
        if (tally === undefined) continue;
        if (pending === undefined) {
          const usd = mustCost(workload, workload) * hours;
          sim.computeUsd += usd;
          tally.computeUsd += usd;
        } else {
          const usd = (mustCost(workload, workload) + mustCost(pending.target, pending.target)) * hours;
          sim.overlapUsd += usd;
          tally.overlapUsd += usd;
        }
      }
    }
    clockMs = untilMs;
  };

  const complete = (atMs: number): void => {
    for (const sim of simulations) {
      for (const [id, pending] of sim.pending) {
        if (pending.completesAtMs !== atMs) continue;
        const index = sim.workloads.findIndex((w) => w.id === id);
        sim.workloads[index] = pending.target;
        sim.pending.delete(id);
        if (sim.policy !== null && sim.state !== null) sim.state = sim.policy.migrationEnded(sim.state, id, atMs);
      }
    }
  };

  const start = (sim: Simulation, plan: ArbitrageOpportunity, nowMs: number): void => {
    const workload = sim.workloads.find((w) => w.id === plan.workloadId);
    if (workload === undefined) return;
    sim.pending.set(workload.id, {
      target: {
        ...workload,
        cloud: plan.target.cloud,
        region: plan.target.region,
        satelliteId: plan.target.satelliteId,
        cluster: plan.target.cluster,
      },
      completesAtMs: nowMs + readinessMs,
    });
    sim.egressUsd += plan.egressUsd;
    sim.plannedMarginUsd += plan.marginUsd;
    const tally = sim.perWorkload.get(workload.id);
    if (tally !== undefined) {
      tally.migrations++;
      tally.egressUsd += plan.egressUsd;
    }
    sim.log.push({
      startedAt: iso(nowMs),
      workloadId: plan.workloadId,
      from: `${plan.source.cloud}:${plan.source.region}`,
      to: `${plan.target.cloud}:${plan.target.region}`,
      costNowUsdPerHour: plan.costNowUsdPerHour,
      costTargetUsdPerHour: plan.costTargetUsdPerHour,
      egressUsd: plan.egressUsd,
      plannedMarginUsd: plan.marginUsd,
    });
  };

  const decide = (nowMs: number): void => {
    decisions++;
    const snapshot = markets(nowMs);
    for (const sim of simulations) {
      if (sim.policy === null || sim.state === null) continue;
      const opportunities = finder.find(sim.workloads, snapshot, nowMs);
      const decision = sim.policy.decide(sim.state, opportunities, nowMs);
      sim.state = decision.state;
      for (const plan of decision.migrationsToStart) start(sim, plan, nowMs);
    }
  };

  const nextCompletion = (): number => {
    let next = Number.POSITIVE_INFINITY;
    for (const sim of simulations) for (const p of sim.pending.values()) next = Math.min(next, p.completesAtMs);
    return next;
  };

  /** Runs every completion and decision strictly before `untilMs`, accruing cost in between. */
  const advanceTo = (untilMs: number): void => {
    for (;;) {
      const completion = nextCompletion();
      const next = Math.min(completion, nextTickMs);
      if (next >= untilMs) break;
      accrue(next);
      if (completion === next) complete(next);
      if (nextTickMs === next) {
        decide(next);
        nextTickMs += intervalMs;
      }
    }
    accrue(untilMs);
  };

  const allStartsPriced = (): boolean => input.estate.workloads.every((w) => costPerHour(w, w) !== null);

  let rows = 0;
  let rowsOfUnknownTypes = 0;
  let firstRowMs: number | null = null;
  let lastRowMs = 0;
  for await (const row of input.rows) {
    rows++;
    firstRowMs ??= row.timestampMs;
    lastRowMs = row.timestampMs;
    if (catalog[row.instanceType] === undefined) {
      rowsOfUnknownTypes++;
      continue;
    }
    if (started) advanceTo(row.timestampMs);
    if (book.apply(row) && !started && allStartsPriced()) {
      started = true;
      startMs = row.timestampMs;
      clockMs = startMs;
      nextTickMs = startMs;
    }
  }
  if (!started || firstRowMs === null) {
    throw new SentraError(
      "FAILED_PRECONDITION",
      "backtest: the history never prices every workload in its starting region; check regions and instance types",
      {
        details: {
          workloads: input.estate.workloads.map((w) => ({ id: w.id, region: w.region, instanceType: w.instanceType })),
        },
      },
    );
  }
  advanceTo(lastRowMs);

  const stayPutTotal = stayPut.computeUsd + stayPut.egressUsd + stayPut.overlapUsd;
  const result = (sim: Simulation): BacktestStrategyResult => {
    const totalUsd = sim.computeUsd + sim.egressUsd + sim.overlapUsd;
    return {
      name: sim.name,
      policy: sim.policy?.options ?? null,
      migrations: sim.log.length,
      computeUsd: sim.computeUsd,
      egressUsd: sim.egressUsd,
      overlapUsd: sim.overlapUsd,
      totalUsd,
      netSavingUsd: stayPutTotal - totalUsd,
      netSavingPercent: stayPutTotal > 0 ? ((stayPutTotal - totalUsd) / stayPutTotal) * 100 : 0,
      plannedMarginUsd: sim.plannedMarginUsd,
      perWorkload: Object.fromEntries(
        [...sim.perWorkload].map(([id, t]) => [id, { ...t, totalUsd: t.computeUsd + t.egressUsd + t.overlapUsd }]),
      ),
      migrationLog: sim.log,
    };
  };

  return {
    source: input.source ?? "spot price rows",
    rows,
    series: book.seriesCount,
    rowsOfUnknownTypes,
    firstRowAt: iso(firstRowMs),
    startedAt: iso(startMs),
    endedAt: iso(lastRowMs),
    hours: (lastRowMs - startMs) / 3_600_000,
    decisionIntervalSeconds: intervalSeconds,
    decisions,
    readinessEstimateSeconds: arbitrage.readinessEstimateSeconds,
    horizonHours: arbitrage.horizonHours,
    minMarginUsd: arbitrage.minMarginUsd,
    estate: { description: input.estate.description, workloads: input.estate.workloads },
    stayPut: result(stayPut),
    strategies: simulations.slice(1).map(result),
    notes: [
      "Oracle-free: every decision sees only prices at or before its instant (no look-ahead); the margin assumes today's prices hold for the horizon. The saving is measured against staying put, not against a hindsight-optimal (oracle) schedule, which would save more.",
      "Each price series is a step function (an AWS row is a price change); a region's price is its cheapest zone's current price; the simulated satellites are always live and re-read prices at every decision, so no price is ever stale.",
      "A migration pays egress when it starts and both copies (overlap) while its target becomes ready (readinessEstimateSeconds); the estate and migrations in flight at the end are accounted up to the last row.",
    ],
  };
}

/** The report as a fixed-width text table. */
export function formatBacktestReport(report: BacktestReport): string {
  const money = (v: number) => v.toFixed(2);
  const header = [
    "strategy",
    "migrations",
    "compute USD",
    "egress USD",
    "overlap USD",
    "total USD",
    "net saving USD",
    "saving %",
  ];
  const rows = [report.stayPut, ...report.strategies].map((s) => [
    s.name,
    String(s.migrations),
    money(s.computeUsd),
    money(s.egressUsd),
    money(s.overlapUsd),
    money(s.totalUsd),
    money(s.netSavingUsd),
    s.netSavingPercent.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  const strategies = [report.stayPut, ...report.strategies];
  const byWorkloadHeader = [
    "workload",
    ...strategies.map((_, i) => (i === 0 ? "stay put USD" : `strategy ${i} USD (moves)`)),
  ];
  const byWorkloadRows = report.estate.workloads.map((w) => [
    w.id,
    ...strategies.map((s, i) => {
      const cost = s.perWorkload[w.id];
      if (cost === undefined) return "";
      return i === 0 ? money(cost.totalUsd) : `${money(cost.totalUsd)} (${cost.migrations})`;
    }),
  ]);
  const byWorkloadWidths = byWorkloadHeader.map((h, i) =>
    Math.max(h.length, ...byWorkloadRows.map((r) => (r[i] as string).length)),
  );
  const byWorkloadLine = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(byWorkloadWidths[i] as number) : c.padStart(byWorkloadWidths[i] as number)))
      .join("  ");
  return [
    `Backtest of ${report.source}`,
    `  ${report.rows} rows, ${report.series} series; accounted ${report.startedAt} → ${report.endedAt} (${report.hours.toFixed(1)} h)`,
    `  estate: ${report.estate.description}`,
    `  decisions every ${report.decisionIntervalSeconds} s (${report.decisions}); readiness ${report.readinessEstimateSeconds} s; horizon ${report.horizonHours} h; min margin ${report.minMarginUsd} USD`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `Per workload (strategy 1 = ${report.strategies[0]?.name ?? "-"}; strategy 2 = ${report.strategies[1]?.name ?? "-"})`,
    byWorkloadLine(byWorkloadHeader),
    byWorkloadLine(byWorkloadWidths.map((w) => "-".repeat(w))),
    ...byWorkloadRows.map(byWorkloadLine),
    "",
    ...report.notes.map((n) => `* ${n}`),
  ].join("\n");
}
