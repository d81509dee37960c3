import { performance } from "node:perf_hooks";
import {
  type ArbitrageOptions,
  compileArbitrageOptions,
  createSyntheticEstate,
  findOpportunities,
} from "@sentra/coordinator";

/** Options of {@link benchOpportunities}. */
export interface OpportunityBenchOptions {
  /**
   * Estate sizes, workloads.
   * @default [10, 100, 1000, 10000]
   */
  readonly sizes?: readonly number[];
  /**
   * Regions (markets) per estate, at most 20.
   * @default 20
   */
  readonly regions?: number;
  /**
   * Untimed runs before measuring, per size (lets the JIT compile the hot loop).
   * @default 20
   */
  readonly warmupIterations?: number;
  /**
   * Timed runs per size.
   * @default 50
   */
  readonly iterations?: number;
  /**
   * Seed of the synthetic estate.
   * @default 42
   */
  readonly seed?: number;
  /** Finder options. @default the finder's defaults */
  readonly arbitrage?: ArbitrageOptions;
}

/** Timings of one estate size. */
export interface OpportunityBenchRow {
  readonly workloads: number;
  readonly regions: number;
  readonly iterations: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** medianMs / workloads, microseconds. */
  readonly perWorkloadUs: number;
  /** medianMs / the first size's medianMs. */
  readonly ratioVsFirst: number;
  readonly opportunities: number;
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Times `findOpportunities` per estate size (warm-up, then `iterations` timed runs). */
export function benchOpportunities(options: OpportunityBenchOptions = {}): OpportunityBenchRow[] {
  const sizes = options.sizes ?? [10, 100, 1000, 10000];
  const regions = options.regions ?? 20;
  const warmup = options.warmupIterations ?? 20;
  const iterations = options.iterations ?? 50;
  const seed = options.seed ?? 42;
  const arbitrage = compileArbitrageOptions(options.arbitrage ?? {});
  const nowMs = Date.UTC(2026, 0, 1);
  const rows: OpportunityBenchRow[] = [];
  for (const size of sizes) {
    const estate = createSyntheticEstate(size, regions, seed, nowMs);
    let found = 0;
    for (let i = 0; i < warmup; i++)
      found = findOpportunities(estate.workloads, estate.markets, nowMs, arbitrage).length;
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      found = findOpportunities(estate.workloads, estate.markets, nowMs, arbitrage).length;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const medianMs = percentile(times, 50);
    rows.push({
      workloads: size,
      regions: estate.markets.length,
      iterations,
      medianMs,
      p95Ms: percentile(times, 95),
      perWorkloadUs: (medianMs / size) * 1000,
      ratioVsFirst: rows[0] === undefined ? 1 : medianMs / rows[0].medianMs,
      opportunities: found,
    });
  }
  return rows;
}

/** The timings as a text table. */
export function formatOpportunityBench(rows: readonly OpportunityBenchRow[]): string {
  const header = ["workloads", "regions", "runs", "median ms", "p95 ms", "µs/workload", "× vs first", "opportunities"];
  const body = rows.map((r) => [
    String(r.workloads),
    String(r.regions),
    String(r.iterations),
    r.medianMs.toFixed(3),
    r.p95Ms.toFixed(3),
    r.perWorkloadUs.toFixed(2),
    r.ratioVsFirst.toFixed(1),
    String(r.opportunities),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
