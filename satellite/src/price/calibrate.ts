import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { readSpotPriceCsv, SentraError, streamCsvRecordBatches } from "@sentra/common";
import { instanceFamily } from "./instance-types.js";
import { MODEL_PARAMETER_NAMES, type ModelParameters } from "./model-parameters.js";

/** One price point of a recorded series. */
export interface PricePoint {
  /** Epoch milliseconds (UTC). */
  atMs: number;
  usdPerHour: number;
}

/** The recorded history of one (cloud, region, zone, instance type, product), sorted by time. */
export interface PriceSeries {
  cloud: string;
  region: string;
  zone: string;
  instanceType: string;
  product: string;
  /** The CSV file it came from (base name). */
  file: string;
  points: PricePoint[];
}

/** One row of shared/data/ondemand-prices.csv. */
export interface OnDemandPrice {
  cloud: string;
  region: string;
  instanceType: string;
  product: string;
  usdPerHour: number;
  /** As printed in the file; empty when the capture date is unknown. */
  asOf: string;
  sourceId: string;
}

/** The long-run level of one (cloud, region, instance type) in the data: see {@link referencePrices}. */
export interface ReferencePrice {
  cloud: string;
  region: string;
  instanceType: string;
  usdPerHour: number;
  /** How many zone series the median was taken over (1 for regional prices). */
  zones: number;
  file: string;
}

/** The calibration of one `cloud/family` (or the pooled `cloud/*`). */
export interface FamilyCalibration {
  key: string;
  cloud: string;
  /** Family name, or "*" for the pooled cloud-level entry. */
  family: string;
  files: string[];
  /** Series used (those with at least {@link MIN_SERIES_ROWS} rows over {@link MIN_SERIES_SPAN_HOURS}). */
  series: number;
  /** Total recorded hours over those series. */
  hours: number;
  /** Price changes (consecutive rows with different prices). */
  changes: number;
  /** Changes classified as jumps (beyond {@link JUMP_THRESHOLD_SIGMAS} σ). */
  jumps: number;
  parameters: ModelParameters;
  diagnostics: {
    /** Resampling step of the AR(1) fit, hours. */
    gridHours: number;
    /** AR(1) θ of all series pooled (one regression), per hour; null when φ ≥ 1 (no reversion seen). */
    pooledMeanReversionPerHour: number | null;
    /** Standard deviation of demeaned log price on the grid, pooled over series. */
    withinSeriesLogSd: number;
    /** (region, type) pairs with both a reference price and an on-demand price. */
    onDemandPairs: number;
  };
  /** Parameters not estimable from this family's data, and what was used instead. */
  fallbacks: string[];
}

/** The estimates of one recorded series, before pooling per family. */
export interface SeriesSummary {
  cloud: string;
  region: string;
  zone: string;
  instanceType: string;
  file: string;
  rows: number;
  hours: number;
  changes: number;
  changeRatePerHour: number;
  /** Root mean square of the log-price changes (jumps included). */
  changeLogRms: number;
  /** AR(1) θ on the cloud's grid, per hour; null for a flat series. */
  meanReversionPerHour: number | null;
  /** Time-weighted mean price, USD per hour. */
  meanUsdPerHour: number;
  /** Mean price / on-demand price of the same region and type, when known. */
  spotToOnDemandRatio: number | null;
}

export interface CalibrationReport {
  families: FamilyCalibration[];
  referencePrices: ReferencePrice[];
  /** Every series used, sorted by file, region, instance type and zone. */
  series: SeriesSummary[];
}

/**
 * AR(1) resampling step per cloud, hours: AWS rows are change events (resample hourly); GCP rows are
 * weekly observations and Azure rows daily ones, so finer steps would only repeat values.
 */
export const CALIBRATION_GRID_HOURS: Readonly<Record<string, number>> = Object.freeze({ aws: 1, gcp: 168, azure: 24 });
/** A log-price change beyond this many (sigma-clipped) standard deviations is a jump. */
export const JUMP_THRESHOLD_SIGMAS = 4;
/** Series with fewer rows are ignored (e.g. the single-row eu-west-1c series of the AWS GPU file). */
export const MIN_SERIES_ROWS = 10;
/** Series spanning less time are ignored, hours. */
export const MIN_SERIES_SPAN_HOURS = 168;
/** With fewer jumps, jump sizes cannot be estimated and the family gets no jumps. */
export const MIN_JUMPS_TO_ESTIMATE = 5;

const MS_PER_HOUR = 3_600_000;
const ON_DEMAND_HEADER = "as_of,cloud,region,instance_type,product,price_usd_per_hour,source_id";

/**
 * Reads every shared/data/spot/*.csv into series, each sorted by time (one file's rows in memory at
 * a time). Malformed rows are errors here (counted over the whole file, then reported).
 */
export async function loadSpotHistories(dataDir: string): Promise<PriceSeries[]> {
  const spotDir = join(dataDir, "spot");
  const files = (await readdir(spotDir)).filter((name) => name.endsWith(".csv")).sort();
  const byKey = new Map<string, PriceSeries>();
  for (const file of files) {
    const { rows, stats } = await readSpotPriceCsv(join(spotDir, file), {
      malformedRows: "skip",
      maxReportedErrors: 1,
    });
    if (stats.invalidRows > 0) {
      throw new SentraError(
        "INVALID_ARGUMENT",
        `${file}: ${stats.invalidRows} malformed rows, first: ${stats.errors[0]?.message}`,
      );
    }
    for (const row of rows) {
      const key = [file, row.cloud, row.region, row.zone, row.instanceType, row.product].join("|");
      let series = byKey.get(key);
      if (series === undefined) {
        series = {
          cloud: row.cloud,
          region: row.region,
          zone: row.zone,
          instanceType: row.instanceType,
          product: row.product,
          file: basename(file),
          points: [],
        };
        byKey.set(key, series);
      }
      series.points.push({ atMs: row.timestampMs, usdPerHour: row.usdPerHour });
    }
  }
  const series = [...byKey.values()];
  for (const entry of series) entry.points.sort((a, b) => a.atMs - b.atMs);
  return series;
}

/** Reads shared/data/ondemand-prices.csv. */
export async function loadOnDemandPrices(dataDir: string): Promise<OnDemandPrice[]> {
  const path = join(dataDir, "ondemand-prices.csv");
  const prices: OnDemandPrice[] = [];
  let headerSeen = false;
  for await (const records of streamCsvRecordBatches(path)) {
    for (const { line, fields, error } of records) {
      if (!headerSeen) {
        headerSeen = true;
        if (fields.join(",") !== ON_DEMAND_HEADER) {
          throw new SentraError("INVALID_ARGUMENT", `${path}: unexpected header "${error ?? fields.join(",")}"`);
        }
        continue;
      }
      const [asOf, cloud, region, instanceType, product, price, sourceId] = fields;
      const usdPerHour = Number(price);
      if (fields.length !== 7 || !cloud || !region || !instanceType || !(usdPerHour > 0)) {
        const problem = error ?? "malformed on-demand price row";
        throw new SentraError("INVALID_ARGUMENT", `${path}: line ${line}: ${problem}`);
      }
      prices.push({
        cloud,
        region,
        instanceType,
        product: product ?? "",
        usdPerHour,
        asOf: asOf ?? "",
        sourceId: sourceId ?? "",
      });
    }
  }
  return prices;
}

/** Reads the shared data folder and calibrates the model from it. */
export async function calibrateFromSharedData(dataDir: string): Promise<CalibrationReport> {
  const [series, onDemand] = await Promise.all([loadSpotHistories(dataDir), loadOnDemandPrices(dataDir)]);
  return calibrate(series, onDemand);
}

/** The per-series statistics calibration pools. */
export interface SeriesStatistics {
  series: PriceSeries;
  family: string;
  hours: number;
  /** Log price ratios of consecutive rows whose prices differ. */
  logChanges: number[];
  /** Time-weighted mean price (each row's price holds until the next row), USD per hour. */
  meanUsdPerHour: number;
  minUsdPerHour: number;
  /** AR(1) sums over the demeaned log price resampled every `gridHours`. */
  ar1: { gridHours: number; crossSum: number; squareSum: number; points: number; totalSquareSum: number };
}

/**
 * Statistics of one series, or undefined when it is too short to use. A price holds until the next
 * row of the series (AWS: step function of change records; GCP/Azure: last observation).
 */
export function seriesStatistics(series: PriceSeries, gridHours: number): SeriesStatistics | undefined {
  const points = series.points;
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined || points.length < MIN_SERIES_ROWS) return undefined;
  const hours = (last.atMs - first.atMs) / MS_PER_HOUR;
  if (hours < MIN_SERIES_SPAN_HOURS) return undefined;

  const logChanges: number[] = [];
  let weighted = 0;
  let minUsdPerHour = first.usdPerHour;
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1] as PricePoint;
    const current = points[i] as PricePoint;
    weighted += previous.usdPerHour * ((current.atMs - previous.atMs) / MS_PER_HOUR);
    if (current.usdPerHour !== previous.usdPerHour) logChanges.push(Math.log(current.usdPerHour / previous.usdPerHour));
    minUsdPerHour = Math.min(minUsdPerHour, current.usdPerHour);
  }

  const grid: number[] = [];
  let cursor = 0;
  for (let t = first.atMs; t <= last.atMs; t += gridHours * MS_PER_HOUR) {
    while (cursor + 1 < points.length && (points[cursor + 1] as PricePoint).atMs <= t) cursor++;
    grid.push(Math.log((points[cursor] as PricePoint).usdPerHour));
  }
  const mean = grid.reduce((sum, x) => sum + x, 0) / grid.length;
  let crossSum = 0;
  let squareSum = 0;
  let totalSquareSum = 0;
  for (let j = 0; j < grid.length; j++) {
    const x = (grid[j] as number) - mean;
    totalSquareSum += x * x;
    if (j + 1 < grid.length) {
      crossSum += x * ((grid[j + 1] as number) - mean);
      squareSum += x * x;
    }
  }
  return {
    series,
    family: instanceFamily(series.cloud, series.instanceType),
    hours,
    logChanges,
    meanUsdPerHour: weighted / hours,
    minUsdPerHour,
    ar1: { gridHours, crossSum, squareSum, points: grid.length, totalSquareSum },
  };
}

/**
 * Long-run level per (cloud, region, instance type): the median over zones of each zone's
 * time-weighted mean price (the median keeps one zone without spot capacity, priced at on-demand,
 * from moving the level). Only series usable for calibration count.
 */
export function referencePrices(statistics: readonly SeriesStatistics[]): ReferencePrice[] {
  const groups = new Map<string, SeriesStatistics[]>();
  for (const entry of statistics) {
    pushTo(groups, `${entry.series.cloud}/${entry.series.region}/${entry.series.instanceType}`, entry);
  }
  return [...groups.values()]
    .map((group) => {
      const { cloud, region, instanceType, file } = (group[0] as SeriesStatistics).series;
      return {
        cloud,
        region,
        instanceType,
        usdPerHour: median(group.map((s) => s.meanUsdPerHour)),
        zones: group.length,
        file,
      };
    })
    .sort((a, b) => compareKeys([a.cloud, a.region, a.instanceType], [b.cloud, b.region, b.instanceType]));
}

/**
 * Estimates the model parameters per cloud/family and pooled per cloud (see the docs for the
 * method). Families lacking data for a parameter take the cloud-level value, noted in `fallbacks`.
 */
export function calibrate(series: readonly PriceSeries[], onDemand: readonly OnDemandPrice[]): CalibrationReport {
  const statistics: SeriesStatistics[] = [];
  for (const entry of series) {
    const gridHours = CALIBRATION_GRID_HOURS[entry.cloud];
    if (gridHours === undefined) continue;
    const stats = seriesStatistics(entry, gridHours);
    if (stats !== undefined) statistics.push(stats);
  }
  const references = referencePrices(statistics);
  const onDemandByKey = new Map(
    onDemand.map((price) => [`${price.cloud}/${price.region}/${price.instanceType}`, price.usdPerHour]),
  );

  const groups = new Map<string, SeriesStatistics[]>();
  for (const entry of statistics) {
    pushTo(groups, `${entry.series.cloud}/${entry.family}`, entry);
    pushTo(groups, `${entry.series.cloud}/*`, entry);
  }
  const raw = new Map<string, RawEstimate>();
  for (const [key, group] of groups) {
    const [cloud = "", family = ""] = key.split("/");
    const pairs = references.filter(
      (ref) => ref.cloud === cloud && (family === "*" || instanceFamily(cloud, ref.instanceType) === family),
    );
    raw.set(key, estimate(key, group, pairs, onDemandByKey));
  }

  const families: FamilyCalibration[] = [];
  for (const estimateOfFamily of raw.values()) {
    const cloudLevel = raw.get(`${estimateOfFamily.cloud}/*`) as RawEstimate;
    families.push(resolveFallbacks(estimateOfFamily, cloudLevel));
  }
  families.sort((a, b) =>
    compareKeys([a.cloud, a.family === "*" ? "~" : a.family], [b.cloud, b.family === "*" ? "~" : b.family]),
  );
  const summaries = statistics.map((stats): SeriesSummary => {
    const { cloud, region, zone, instanceType, file } = stats.series;
    const onDemandUsd = onDemandByKey.get(`${cloud}/${region}/${instanceType}`);
    const { crossSum, squareSum, gridHours } = stats.ar1;
    return {
      cloud,
      region,
      zone,
      instanceType,
      file,
      rows: stats.series.points.length,
      hours: stats.hours,
      changes: stats.logChanges.length,
      changeRatePerHour: stats.logChanges.length / stats.hours,
      changeLogRms: rms(stats.logChanges),
      meanReversionPerHour:
        stats.logChanges.length > 0 && squareSum > 0 ? ar1ToMeanReversion(crossSum / squareSum, gridHours) : null,
      meanUsdPerHour: stats.meanUsdPerHour,
      spotToOnDemandRatio: onDemandUsd === undefined ? null : stats.meanUsdPerHour / onDemandUsd,
    };
  });
  summaries.sort((a, b) =>
    compareKeys([a.file, a.region, a.instanceType, a.zone], [b.file, b.region, b.instanceType, b.zone]),
  );
  return { families, referencePrices: references, series: summaries };
}

interface RawEstimate extends Omit<FamilyCalibration, "parameters" | "fallbacks"> {
  changeRatePerHour: number;
  changeLogSd: number;
  changeAutocorrelation: number;
  /** Median of per-series AR(1) θ; 0 when most series show no reversion. */
  meanReversionPerHour: number;
  jumpLogChanges: number[];
  spotToOnDemandRatio: number | undefined;
  floorToReferenceRatio: number;
}

function estimate(
  key: string,
  group: readonly SeriesStatistics[],
  pairs: readonly ReferencePrice[],
  onDemandByKey: ReadonlyMap<string, number>,
): RawEstimate {
  const [cloud = "", family = ""] = key.split("/");
  const hours = sum(group.map((s) => s.hours));
  const logChanges = group.flatMap((s) => s.logChanges);
  const { sd, outliers } = sigmaClippedRms(logChanges, JUMP_THRESHOLD_SIGMAS);
  let lagCross = 0;
  let lagSquare = 0;
  for (const { logChanges: changes } of group) {
    for (let i = 0; i + 1 < changes.length; i++) {
      const [a, b] = [changes[i] as number, changes[i + 1] as number];
      if (Math.abs(a) > JUMP_THRESHOLD_SIGMAS * sd || Math.abs(b) > JUMP_THRESHOLD_SIGMAS * sd) continue;
      lagCross += a * b;
      lagSquare += a * a;
    }
  }

  const thetas: number[] = [];
  let crossSum = 0;
  let squareSum = 0;
  let totalSquareSum = 0;
  let gridPoints = 0;
  const gridHours = (group[0] as SeriesStatistics).ar1.gridHours;
  for (const { ar1, logChanges: seriesChanges } of group) {
    // A flat series says nothing about reversion (and its demeaned grid is only rounding noise).
    if (seriesChanges.length === 0) continue;
    crossSum += ar1.crossSum;
    squareSum += ar1.squareSum;
    totalSquareSum += ar1.totalSquareSum;
    gridPoints += ar1.points;
    if (ar1.squareSum > 0) thetas.push(ar1ToMeanReversion(ar1.crossSum / ar1.squareSum, ar1.gridHours));
  }
  const pooledPhi = squareSum > 0 ? crossSum / squareSum : 1;

  const ratios: number[] = [];
  for (const ref of pairs) {
    const onDemandUsd = onDemandByKey.get(`${ref.cloud}/${ref.region}/${ref.instanceType}`);
    if (onDemandUsd !== undefined) ratios.push(ref.usdPerHour / onDemandUsd);
  }

  return {
    key,
    cloud,
    family,
    files: [...new Set(group.map((s) => s.series.file))].sort(),
    series: group.length,
    hours,
    changes: logChanges.length,
    jumps: outliers.length,
    changeRatePerHour: logChanges.length / hours,
    changeLogSd: sd,
    changeAutocorrelation: lagSquare > 0 ? Math.min(Math.max(lagCross / lagSquare, -0.95), 0.95) : 0,
    meanReversionPerHour: thetas.length > 0 ? median(thetas) : 0,
    jumpLogChanges: outliers,
    spotToOnDemandRatio: ratios.length > 0 ? sum(ratios) / ratios.length : undefined,
    floorToReferenceRatio: Math.min(...group.map((s) => s.minUsdPerHour / s.meanUsdPerHour)),
    diagnostics: {
      gridHours,
      pooledMeanReversionPerHour: pooledPhi < 1 ? ar1ToMeanReversion(pooledPhi, gridHours) : null,
      withinSeriesLogSd: gridPoints > 0 ? Math.sqrt(totalSquareSum / gridPoints) : 0,
      onDemandPairs: ratios.length,
    },
  };
}

function resolveFallbacks(own: RawEstimate, cloudLevel: RawEstimate): FamilyCalibration {
  const fallbacks: string[] = [];
  let meanReversionPerHour = own.meanReversionPerHour;
  if (!(meanReversionPerHour > 0)) {
    fallbacks.push(`meanReversionPerHour: no reversion in most series (median AR(1) φ ≥ 1), took ${cloudLevel.key}`);
    meanReversionPerHour = Math.max(0, cloudLevel.meanReversionPerHour);
  }
  let spotToOnDemandRatio = own.spotToOnDemandRatio;
  if (spotToOnDemandRatio === undefined) {
    fallbacks.push(`spotToOnDemandRatio: no on-demand price for this family's types, took ${cloudLevel.key}`);
    spotToOnDemandRatio = cloudLevel.spotToOnDemandRatio ?? 1;
  }
  const jumps = own.jumpLogChanges;
  const enoughJumps = jumps.length >= MIN_JUMPS_TO_ESTIMATE;
  if (!enoughJumps && jumps.length > 0) {
    fallbacks.push(`jumps: only ${jumps.length} beyond ${JUMP_THRESHOLD_SIGMAS} σ, too few to estimate; no jumps`);
  }
  const sizes = jumps.map((jump) => Math.log(Math.abs(jump)));
  const jumpSizeLogMean = enoughJumps ? sum(sizes) / sizes.length : 0;
  return {
    key: own.key,
    cloud: own.cloud,
    family: own.family,
    files: own.files,
    series: own.series,
    hours: own.hours,
    changes: own.changes,
    jumps: own.jumps,
    parameters: {
      changeRatePerHour: own.changeRatePerHour,
      changeLogSd: own.changeLogSd,
      changeAutocorrelation: own.changeAutocorrelation,
      meanReversionPerHour,
      jumpRatePerHour: enoughJumps ? jumps.length / own.hours : 0,
      jumpUpProbability: enoughJumps ? jumps.filter((jump) => jump > 0).length / jumps.length : 0.5,
      jumpSizeLogMean,
      jumpSizeLogSd: enoughJumps
        ? Math.sqrt(sum(sizes.map((size) => (size - jumpSizeLogMean) ** 2)) / sizes.length)
        : 0,
      spotToOnDemandRatio,
      floorToReferenceRatio: own.floorToReferenceRatio,
    },
    diagnostics: own.diagnostics,
    fallbacks,
  };
}

/**
 * Root mean square of `values` after iteratively discarding those beyond `k` times the current RMS
 * (sigma clipping, centred on 0: log-price changes have no drift worth modelling). Returns the RMS
 * of the kept values and the discarded ones (the jumps).
 */
export function sigmaClippedRms(values: readonly number[], k: number): { sd: number; outliers: number[] } {
  let kept = [...values];
  let sd = rms(kept);
  for (;;) {
    const next = values.filter((v) => Math.abs(v) <= k * sd);
    if (next.length === kept.length || next.length === 0) break;
    kept = next;
    sd = rms(kept);
  }
  return { sd, outliers: values.filter((v) => Math.abs(v) > k * sd) };
}

/** θ per hour from an AR(1) coefficient on a grid of `gridHours`: φ = exp(−θ·step), φ ≥ 1 → 0. */
export function ar1ToMeanReversion(phi: number, gridHours: number): number {
  if (phi >= 1) return 0;
  return -Math.log(Math.max(phi, 0.01)) / gridHours;
}

/** Calibration statistics of series recorded from any source (e.g. the model), per `cloud/family`. */
export function familyStatistics(series: readonly PriceSeries[]): Map<string, FamilyCalibration> {
  const report = calibrate(series, []);
  return new Map(report.families.map((family) => [family.key, family]));
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function rms(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.sqrt(sum(values.map((v) => v * v)) / values.length);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = (a[i] as string).localeCompare(b[i] as string);
    if (order !== 0) return order;
  }
  return 0;
}

/** Significant digits of the committed constants. */
export const COMMITTED_SIGNIFICANT_DIGITS = 4;

/** Rounds a calibrated value the way it is committed in code. */
export function toCommitted(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(COMMITTED_SIGNIFICANT_DIGITS));
}

/** The calibration as a Markdown table (for docs/spot-price-model.md and the console). */
export function formatCalibrationMarkdown(report: CalibrationReport): string {
  const header = [
    "| family | series | hours | changes | change rate /h | change log sd | change autocorr. | θ /h (half-life d) | jump rate /h | jump up share | jump ln-size mean | jump ln-size sd | spot/on-demand | floor/ref | AR(1) θ pooled /h | within-series log sd |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const rows = report.families.map((family) => {
    const p = family.parameters;
    const halfLifeDays = p.meanReversionPerHour > 0 ? (Math.LN2 / p.meanReversionPerHour / 24).toFixed(0) : "∞";
    const pooled = family.diagnostics.pooledMeanReversionPerHour;
    return `| ${[
      family.key,
      family.series,
      Math.round(family.hours),
      family.changes,
      toCommitted(p.changeRatePerHour),
      toCommitted(p.changeLogSd),
      toCommitted(p.changeAutocorrelation),
      `${toCommitted(p.meanReversionPerHour)} (${halfLifeDays})`,
      toCommitted(p.jumpRatePerHour),
      toCommitted(p.jumpUpProbability),
      toCommitted(p.jumpSizeLogMean),
      toCommitted(p.jumpSizeLogSd),
      toCommitted(p.spotToOnDemandRatio),
      toCommitted(p.floorToReferenceRatio),
      pooled === null ? "φ ≥ 1" : toCommitted(pooled),
      toCommitted(family.diagnostics.withinSeriesLogSd),
    ].join(" | ")} |`;
  });
  const notes = report.families.flatMap((family) => family.fallbacks.map((note) => `* ${family.key} — ${note}`));
  return [...header, ...rows, "", ...notes].join("\n");
}

/** The per-series estimates as a Markdown table. */
export function formatSeriesMarkdown(report: CalibrationReport): string {
  const header = [
    "| file | cloud | region | zone | type | rows | hours | changes | change rate /h | change log rms | AR(1) θ /h | mean USD/h | spot/on-demand |",
    "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const rows = report.series.map(
    (s) =>
      `| ${[
        s.file,
        s.cloud,
        s.region,
        s.zone,
        s.instanceType,
        s.rows,
        Math.round(s.hours),
        s.changes,
        toCommitted(s.changeRatePerHour),
        toCommitted(s.changeLogRms),
        s.meanReversionPerHour === null ? "flat" : toCommitted(s.meanReversionPerHour),
        toCommitted(s.meanUsdPerHour),
        s.spotToOnDemandRatio === null ? "" : toCommitted(s.spotToOnDemandRatio),
      ].join(" | ")} |`,
  );
  return [...header, ...rows].join("\n");
}

/**
 * The committed constants as TypeScript: the DEFAULT_MODEL_PARAMETERS entries, and the
 * REFERENCE_SPOT_PRICES / ON_DEMAND_PRICES rows of the regions and instance types `keep` accepts.
 */
export function formatCalibrationTypeScript(
  report: CalibrationReport,
  onDemand: readonly OnDemandPrice[],
  keep: (cloud: string, region: string, instanceType: string) => boolean,
): string {
  const parameterLines = report.families.flatMap((family) => {
    const p = family.parameters;
    const comment = `// ${family.key}: ${family.series} series, ${family.changes} changes in ${Math.round(family.hours)} h; ${family.files.join(", ")}`;
    const notes = family.fallbacks.map((note) => `// (${note})`);
    const values = MODEL_PARAMETER_NAMES.map((name) => `${name}: ${toCommitted(p[name])}`);
    return [comment, ...notes, `"${family.key}": { ${values.join(", ")} },`];
  });
  const row = (cloud: string, region: string, instanceType: string, usd: number): string =>
    `["${cloud}", "${region}", "${instanceType}", ${Number(usd.toFixed(6))}],`;
  const referenceLines = report.referencePrices
    .filter((ref) => keep(ref.cloud, ref.region, ref.instanceType))
    .map((ref) => row(ref.cloud, ref.region, ref.instanceType, ref.usdPerHour));
  const onDemandLines = onDemand
    .filter((price) => keep(price.cloud, price.region, price.instanceType))
    .sort((a, b) => compareKeys([a.cloud, a.region, a.instanceType], [b.cloud, b.region, b.instanceType]))
    .map((price) => row(price.cloud, price.region, price.instanceType, price.usdPerHour));
  return [
    "// DEFAULT_MODEL_PARAMETERS (model-parameters.ts)",
    ...parameterLines,
    "// REFERENCE_SPOT_PRICES (reference-prices.ts)",
    ...referenceLines,
    "// ON_DEMAND_PRICES (reference-prices.ts)",
    ...onDemandLines,
  ].join("\n");
}
