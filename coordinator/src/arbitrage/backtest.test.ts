import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { resolveSharedDataDir, SentraError, streamSpotPriceCsv } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { BACKTEST_CSV_OPTIONS, formatBacktestReport, runBacktest } from "./backtest.js";
import { AWS_GPU_HISTORY, DEFAULT_BACKTEST_ESTATE, parseBacktestEstate } from "./backtest-estate.js";

const HEADER = "timestamp,cloud,region,zone,instance_type,product,price_usd_per_hour";
const T0 = Date.UTC(2020, 0, 1);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString().replace(".000Z", "Z");
const row = (minutes: number, zone: string, price: number) =>
  `${at(minutes)},aws,${zone.slice(0, -1)},${zone},t.x,Linux/UNIX,${price.toFixed(6)}`;
const csv = (lines: string[]) => Readable.from([`${[HEADER, ...lines].join("\n")}\n`]);
const history = (input: Readable) => streamSpotPriceCsv(input, BACKTEST_CSV_OPTIONS);

/** One replica filling one 2 vCPU / 8 GiB "t.x" instance in us-east-1, 100 GB of state. */
const estate = parseBacktestEstate({
  workloads: [
    {
      id: "app/web",
      region: "us-east-1",
      replicas: 1,
      cpuMillicores: 2000,
      memoryGib: 8,
      stateGb: 100,
      instanceType: "t.x",
    },
  ],
  instanceTypes: { "t.x": { vcpus: 2, memoryGib: 8, source: "test" } },
});

describe("runBacktest on hand-checkable synthetic histories", () => {
  it("moves once after a step drop, pays egress and overlap, and delays the move by the sustain time", async () => {
    const report = await runBacktest({
      rows: history(
        csv([
          row(0, "us-east-1a", 1.0),
          row(0, "us-east-2a", 1.0),
          row(60, "us-east-2b", 0.5), // a cheaper zone: the region price becomes 0.50
          row(600, "us-east-1a", 1.0), // no change; marks the end (10 h)
        ]),
      ),
      estate,
      options: {
        decisionIntervalSeconds: 600,
        arbitrage: { readinessEstimateSeconds: 600 },
        hysteresis: { sustainSeconds: 1800, cooldownSeconds: 0, maxConcurrentMigrations: 2 },
      },
    });
    expect(report.hours).toBe(10);
    // Stay put: 10 h × 1.00 USD/h.
    expect(report.stayPut.totalUsd).toBeCloseTo(10, 9);
    const [withHysteresis, without] = report.strategies;
    // Without hysteresis the decision at 1:00 sees 0.50 and moves: margin 0.5 × 24 − 100 GB × 0.01 − 1.5 × 600/3600 = 10.75.
    // compute 1 h × 1.00 + (10 h − 1 h 10 min) × 0.50 = 5.416667; overlap 10 min × 1.50 = 0.25; egress 1.00.
    expect(without?.migrations).toBe(1);
    expect(without?.migrationLog[0]).toMatchObject({ startedAt: at(60), from: "aws:us-east-1", to: "aws:us-east-2" });
    expect(without?.plannedMarginUsd).toBeCloseTo(10.75, 9);
    expect(without?.computeUsd).toBeCloseTo(1 + (10 - 70 / 60) * 0.5, 9);
    expect(without?.overlapUsd).toBeCloseTo(0.25, 9);
    expect(without?.egressUsd).toBeCloseTo(1, 9);
    expect(without?.netSavingUsd).toBeCloseTo(10 - (1 + (10 - 70 / 60) * 0.5 + 0.25 + 1), 9);
    // With 30 min of hysteresis the move starts at 1:30: compute 1.5 + (10 − 1 h 40 min) × 0.5 = 5.666667.
    expect(withHysteresis?.migrations).toBe(1);
    expect(withHysteresis?.migrationLog[0]?.startedAt).toBe(at(90));
    expect(withHysteresis?.computeUsd).toBeCloseTo(1.5 + (10 - 100 / 60) * 0.5, 9);
    expect(withHysteresis?.totalUsd).toBeCloseTo(1.5 + (10 - 100 / 60) * 0.5 + 0.25 + 1, 9);
    expect(without?.perWorkload["app/web"]).toMatchObject({ migrations: 1, egressUsd: 1 });
    expect(without?.perWorkload["app/web"]?.totalUsd).toBeCloseTo(without?.totalUsd ?? 0, 9);
    expect(formatBacktestReport(report)).toContain("stay put");
  });

  it("flaps on flapping prices without hysteresis and stays put with it", async () => {
    // us-east-2 swings between 0.50 and 1.50 every 20 min for 4 h; us-east-1 stays at 1.00.
    const lines = [row(0, "us-east-1a", 1.0), row(0, "us-east-2a", 0.5)];
    for (let k = 1; k <= 12; k++) lines.push(row(20 * k, "us-east-2a", k % 2 === 1 ? 1.5 : 0.5));
    const report = await runBacktest({
      rows: history(csv(lines)),
      estate,
      options: {
        decisionIntervalSeconds: 600,
        arbitrage: { readinessEstimateSeconds: 60 },
        hysteresis: { sustainSeconds: 1800, cooldownSeconds: 6 * 3600 },
      },
    });
    const [withHysteresis, without] = report.strategies;
    expect(report.stayPut.totalUsd).toBeCloseTo(4, 9);
    // A move at every swap (0, 20, …, 220 min): 12 moves × 100 GB × 0.01 USD/GB.
    expect(without?.migrations).toBe(12);
    expect(without?.egressUsd).toBeCloseTo(12, 9);
    // Per 40 min: 1 min both (1.00 + 0.50) + 19 min at 0.50, then 1 min both (1.50 + 1.00) + 19 min at 1.00.
    expect(without?.overlapUsd).toBeCloseTo(6 * (1.5 / 60 + 2.5 / 60), 9);
    expect(without?.computeUsd).toBeCloseTo(6 * ((19 / 60) * 0.5 + (19 / 60) * 1.0), 9);
    expect(without?.netSavingUsd).toBeCloseTo(4 - 15.25, 9);
    // No margin lasts 30 min: hysteresis never moves, so it costs exactly what staying put costs.
    expect(withHysteresis?.migrations).toBe(0);
    expect(withHysteresis?.totalUsd).toBeCloseTo(4, 9);
  });

  it("refuses a history that never prices the estate where it starts", async () => {
    await expect(runBacktest({ rows: history(csv([row(0, "us-east-2a", 1.0)])), estate })).rejects.toThrow(
      /never prices every workload/,
    );
  });
});

describe("the backtest's history reader (BACKTEST_CSV_OPTIONS)", () => {
  it("names the line of a bad header, price or a timestamp that goes backwards", async () => {
    const drain = async (text: string) => {
      for await (const _ of history(Readable.from([text]))) {
        // consume
      }
    };
    await expect(drain("time,price\n")).rejects.toThrow(/line 1: not a spot price CSV/);
    await expect(drain(`${HEADER}\n${row(10, "us-east-1a", 1)}\n${row(5, "us-east-1a", 1)}\n`)).rejects.toThrow(
      /line 3: timestamp .* goes backwards/,
    );
    await expect(drain(`${HEADER}\n${at(0)},aws,us-east-1,us-east-1a,t.x,Linux/UNIX,abc\n`)).rejects.toThrow(
      SentraError,
    );
  });
});

describe("runBacktest on the real six-region AWS GPU history", () => {
  it("replays the whole file with the default estate in under 20 s", async () => {
    const path = join(resolveSharedDataDir(process.env), AWS_GPU_HISTORY);
    const started = performance.now();
    const report = await runBacktest({
      rows: streamSpotPriceCsv(path, BACKTEST_CSV_OPTIONS),
      estate: parseBacktestEstate(DEFAULT_BACKTEST_ESTATE),
      source: AWS_GPU_HISTORY,
    });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(report.rows).toBe(16_560);
    expect(report.rowsOfUnknownTypes).toBe(0);
    expect(report.firstRowAt).toBe("2019-12-20T06:39:10Z");
    expect(report.startedAt).toBe("2019-12-22T19:50:18Z");
    expect(report.endedAt).toBe("2020-03-23T16:09:42Z");
    expect(report.stayPut.computeUsd).toBeGreaterThan(0);
    for (const strategy of [report.stayPut, ...report.strategies]) {
      expect(strategy.totalUsd).toBeCloseTo(strategy.computeUsd + strategy.egressUsd + strategy.overlapUsd, 6);
      expect(strategy.migrationLog.every((m) => m.plannedMarginUsd > 0)).toBe(true);
      const perWorkload = Object.values(strategy.perWorkload);
      expect(perWorkload).toHaveLength(6);
      expect(perWorkload.reduce((sum, w) => sum + w.totalUsd, 0)).toBeCloseTo(strategy.totalUsd, 6);
      expect(strategy.migrationLog.some((m) => m.workloadId === "ml/notebook")).toBe(false);
      expect(
        strategy.migrationLog
          .filter((m) => m.workloadId === "ml/eu-finetune" || m.workloadId === "render/batch-k80")
          .every((m) => ["aws:eu-west-1", "aws:eu-west-2", "aws:eu-central-1"].includes(m.to)),
      ).toBe(true);
    }
  }, 30_000);
});
