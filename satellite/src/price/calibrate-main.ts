import { resolveSharedDataDir } from "@sentra/common";
import { findRegion } from "../region/region-catalog.js";
import {
  calibrate,
  formatCalibrationMarkdown,
  formatCalibrationTypeScript,
  formatSeriesMarkdown,
  loadOnDemandPrices,
  loadSpotHistories,
} from "./calibrate.js";
import { findInstanceType } from "./instance-types.js";

/**
 * Re-runs the spot price calibration on the shared real data and prints it.
 *
 *   node satellite/dist/price/calibrate-main.js [--series | --typescript | --json] [--data <dir>]
 *
 * Default output is the per-family Markdown table; `--series` the per-series estimates;
 * `--typescript` the constants to paste into model-parameters.ts and reference-prices.ts (between
 * the GENERATED markers); `--json` the full report. The data folder is
 * `--data`, else $SENTRA_SHARED_DATA, else ../shared/data beside the repository.
 */
async function main(args: readonly string[]): Promise<void> {
  const dataIndex = args.indexOf("--data");
  const dataDir = dataIndex >= 0 ? args[dataIndex + 1] : resolveSharedDataDir(process.env);
  if (dataDir === undefined) throw new Error("--data needs a folder");
  const [series, onDemand] = await Promise.all([loadSpotHistories(dataDir), loadOnDemandPrices(dataDir)]);
  const report = calibrate(series, onDemand);
  if (args.includes("--json")) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (args.includes("--series")) {
    process.stdout.write(`${formatSeriesMarkdown(report)}\n`);
  } else if (args.includes("--typescript")) {
    const keep = (cloud: string, region: string, type: string): boolean =>
      findRegion(cloud, region) !== undefined && findInstanceType(cloud, type) !== undefined;
    process.stdout.write(`${formatCalibrationTypeScript(report, onDemand, keep)}\n`);
  } else {
    process.stdout.write(`Calibrated from ${dataDir}\n\n${formatCalibrationMarkdown(report)}\n`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`calibrate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
