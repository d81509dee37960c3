import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveSharedDataDir, SentraError, streamSpotPriceCsv } from "@sentra/common";
import { BACKTEST_CSV_OPTIONS, formatBacktestReport, runBacktest } from "./backtest.js";
import { AWS_GPU_HISTORY, DEFAULT_BACKTEST_ESTATE, parseBacktestEstate } from "./backtest-estate.js";

const USAGE = `Usage: node coordinator/dist/arbitrage/backtest-main.js [options]

Replays a spot price history through the arbitrage finder and auto policy.

  --csv <path>               price history (default: $SENTRA_SHARED_DATA or ../shared/data, ${AWS_GPU_HISTORY})
  --estate <path>            estate JSON (default: the built-in GPU estate)
  --decision-interval-s <n>  seconds between decisions (default 300)
  --readiness-s <n>          seconds a target takes to become ready (default 300)
  --min-margin-usd <n>       finder minimum margin (default 0)
  --threshold-usd <n>        auto policy margin threshold (default 0)
  --sustain-s <n>            hysteresis: seconds the margin must stay above (default 1800)
  --cooldown-s <n>           seconds between two moves of one workload (default 21600)
  --max-concurrent <n>       migrations at once (default 2)
  --json                     print the full report as JSON
`;

function num(values: Record<string, string | boolean | undefined>, key: string): number | undefined {
  const raw = values[key];
  if (raw === undefined || typeof raw === "boolean") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw SentraError.invalidArgument(`--${key}`, `expected a number, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      csv: { type: "string" },
      estate: { type: "string" },
      "decision-interval-s": { type: "string" },
      "readiness-s": { type: "string" },
      "min-margin-usd": { type: "string" },
      "threshold-usd": { type: "string" },
      "sustain-s": { type: "string" },
      "cooldown-s": { type: "string" },
      "max-concurrent": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const csv = values.csv ?? join(resolveSharedDataDir(process.env), AWS_GPU_HISTORY);
  const estate = parseBacktestEstate(
    values.estate === undefined ? DEFAULT_BACKTEST_ESTATE : JSON.parse(readFileSync(values.estate, "utf8")),
  );
  const optional = <K extends string>(key: K, value: number | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;
  const report = await runBacktest({
    rows: streamSpotPriceCsv(csv, BACKTEST_CSV_OPTIONS),
    estate,
    source: csv,
    options: {
      ...optional("decisionIntervalSeconds", num(values, "decision-interval-s")),
      arbitrage: {
        ...optional("readinessEstimateSeconds", num(values, "readiness-s")),
        ...optional("minMarginUsd", num(values, "min-margin-usd")),
      },
      hysteresis: {
        ...optional("marginThresholdUsd", num(values, "threshold-usd")),
        ...optional("sustainSeconds", num(values, "sustain-s")),
        ...optional("cooldownSeconds", num(values, "cooldown-s")),
        ...optional("maxConcurrentMigrations", num(values, "max-concurrent")),
      },
    },
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatBacktestReport(report)}\n`);
}

main().catch((error: unknown) => {
  const e = SentraError.from(error);
  process.stderr.write(`backtest: ${e.code}: ${e.message}\n`);
  process.exitCode = 1;
});
