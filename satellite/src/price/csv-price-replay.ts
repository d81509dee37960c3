import { readSpotPriceCsv, SentraError, type SpotCsvReadResult, type SpotCsvReadStats } from "@sentra/common";
import { findInstanceType } from "./instance-types.js";
import { type OverridableSpotPriceSource, PriceOverrides, type SpotPriceQuote } from "./spot-price-source.js";

export interface CsvPriceReplayOptions {
  /** A spot price history CSV (`timestamp,cloud,region,zone,instance_type,product,price_usd_per_hour`). */
  path: string;
  cloud: string;
  region: string;
  /** Only these instance types. @default every type in the file with a known shape (INSTANCE_TYPES) */
  instanceTypes?: readonly string[];
  /** Only these zones. @default all */
  zones?: readonly string[];
  /** Only this product (e.g. "Linux/UNIX"). @default all */
  product?: string;
  /** Wall time at which `recordedStart` is replayed. */
  start: Date;
  /** Recorded time per wall time, e.g. 3600 replays one recorded hour per second. @default 1 */
  speed?: number;
  /** Start the recording over after its last row. @default false (the last prices then hold) */
  loop?: boolean;
  /** The recorded instant replayed at `start`. @default the first kept row's timestamp */
  recordedStart?: Date;
}

/** What a replay kept from its file. */
export interface CsvPriceReplayStats extends SpotCsvReadStats {
  /** Rows of the requested cloud/region whose instance type has no known shape (not replayed). */
  rowsWithoutShape: number;
  /** Series (instance type × zone) replayed. */
  series: number;
}

/** A recorded price history replayed as a price source. */
export interface CsvPriceReplay extends OverridableSpotPriceSource {
  readonly stats: CsvPriceReplayStats;
  /** The first and last kept rows' timestamps. */
  readonly recordedStart: Date;
  readonly recordedEnd: Date;
  /** The recorded instant replayed at wall time `now`. */
  recordedInstant(now: Date): Date;
}

interface ReplaySeries {
  instanceType: string;
  zone: string;
  vcpus: number;
  memoryGib: number;
  timesMs: number[];
  prices: number[];
}

/**
 * Loads a price history CSV, keeping only one cloud/region (and the requested types, zones and
 * product), and replays it against wall time: recorded time = recordedStart + (now − start) × speed,
 * wrapped when `loop` is set. The quote of a series at `now` is its last row at or before that
 * recorded instant — for AWS (change records) the price in force, since a price holds until the
 * next row of its zone/type; for GCP/Azure (observations) the last observation. Series without a
 * row yet are not quoted. Malformed rows are counted and skipped (see `stats.errors`).
 */
export async function createCsvPriceReplay(options: CsvPriceReplayOptions): Promise<CsvPriceReplay> {
  const { path, cloud, region, product, start } = options;
  const speed = options.speed ?? 1;
  const loop = options.loop ?? false;
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) {
    throw SentraError.invalidArgument("start", "must be a valid Date");
  }
  if (!Number.isFinite(speed) || speed <= 0) {
    throw SentraError.invalidArgument("speed", `must be a positive number, got ${speed}`);
  }
  for (const type of options.instanceTypes ?? []) {
    if (findInstanceType(cloud, type) === undefined) {
      throw SentraError.invalidArgument("instanceTypes", `unknown ${cloud} instance type "${type}" (no shape known)`);
    }
  }
  const types = options.instanceTypes === undefined ? undefined : new Set(options.instanceTypes);
  const zones = options.zones === undefined ? undefined : new Set(options.zones);

  let rowsWithoutShape = 0;
  let read: SpotCsvReadResult;
  try {
    read = await readSpotPriceCsv(path, {
      malformedRows: "skip",
      accept: (row) => {
        if (row.cloud !== cloud || row.region !== region) return false;
        if (types !== undefined && !types.has(row.instanceType)) return false;
        if (zones !== undefined && !zones.has(row.zone)) return false;
        if (product !== undefined && row.product !== product) return false;
        if (findInstanceType(cloud, row.instanceType) === undefined) {
          rowsWithoutShape++;
          return false;
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof SentraError) throw error;
    throw new SentraError("NOT_FOUND", `cannot read price history ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const byKey = new Map<string, ReplaySeries>();
  for (const row of read.rows) {
    const key = `${row.instanceType}\u0000${row.zone}`;
    let series = byKey.get(key);
    if (series === undefined) {
      const shape = findInstanceType(cloud, row.instanceType);
      series = {
        instanceType: row.instanceType,
        zone: row.zone,
        vcpus: shape?.vcpus ?? 0,
        memoryGib: shape?.memoryGib ?? 0,
        timesMs: [],
        prices: [],
      };
      byKey.set(key, series);
    }
    series.timesMs.push(row.timestampMs);
    series.prices.push(row.usdPerHour);
  }
  if (byKey.size === 0) {
    throw new SentraError(
      "NOT_FOUND",
      `${path}: no rows for ${cloud} ${region} with the requested types, zones and product`,
    );
  }

  const order = options.instanceTypes ?? [];
  const series = [...byKey.values()].sort((a, b) => {
    const rank = (type: string): number => (order.includes(type) ? order.indexOf(type) : order.length);
    return (
      rank(a.instanceType) - rank(b.instanceType) ||
      a.instanceType.localeCompare(b.instanceType) ||
      a.zone.localeCompare(b.zone)
    );
  });
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (const entry of series) {
    sortByTime(entry);
    firstMs = Math.min(firstMs, entry.timesMs[0] as number);
    lastMs = Math.max(lastMs, entry.timesMs[entry.timesMs.length - 1] as number);
  }
  const recordedStartMs = options.recordedStart?.getTime() ?? firstMs;
  if (Number.isNaN(recordedStartMs)) throw SentraError.invalidArgument("recordedStart", "must be a valid Date");
  const periodMs = lastMs - recordedStartMs;

  /** Recorded instant at `now`, and whether the replay has wrapped at least once. */
  const recordedAt = (now: Date): { atMs: number; wrapped: boolean } => {
    const elapsedMs = (now.getTime() - start.getTime()) * speed;
    if (!loop || periodMs <= 0 || elapsedMs < periodMs) return { atMs: recordedStartMs + elapsedMs, wrapped: false };
    return { atMs: recordedStartMs + (elapsedMs % periodMs), wrapped: true };
  };

  const known = new Map<string, Set<string>>();
  for (const entry of series)
    known.set(entry.instanceType, (known.get(entry.instanceType) ?? new Set()).add(entry.zone));
  const overrides = new PriceOverrides(known);

  return {
    stats: { ...read.stats, rowsWithoutShape, series: series.length },
    recordedStart: new Date(recordedStartMs),
    recordedEnd: new Date(lastMs),
    recordedInstant: (now) => new Date(recordedAt(now).atMs),
    quotes(now: Date): SpotPriceQuote[] {
      if (Number.isNaN(now.getTime())) throw SentraError.invalidArgument("now", "must be a valid Date");
      const { atMs, wrapped } = recordedAt(now);
      const quotes: SpotPriceQuote[] = [];
      for (const entry of series) {
        const index = lastIndexAtOrBefore(entry.timesMs, atMs);
        // After a wrap, a series whose first row comes later still shows the recording's last price.
        const recorded = index >= 0 ? entry.prices[index] : wrapped ? entry.prices[entry.prices.length - 1] : undefined;
        if (recorded === undefined) continue;
        quotes.push({
          cloud,
          region,
          zone: entry.zone,
          instanceType: entry.instanceType,
          usdPerHour: overrides.get(entry.instanceType, entry.zone) ?? recorded,
          observedAt: now,
          source: "replay",
          vcpus: entry.vcpus,
          memoryGib: entry.memoryGib,
        });
      }
      return quotes;
    },
    setOverride(instanceType: string, usdPerHour: number | undefined, zone?: string): void {
      overrides.set(instanceType, usdPerHour, zone);
    },
  };
}

/** Index of the last element ≤ `value` in an ascending array, or −1. */
function lastIndexAtOrBefore(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) <= value) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** Stable sort of one series by time (the files are sorted already; this keeps replay correct if not). */
function sortByTime(entry: ReplaySeries): void {
  const indices = entry.timesMs.map((_, i) => i);
  indices.sort((a, b) => (entry.timesMs[a] as number) - (entry.timesMs[b] as number) || a - b);
  entry.timesMs = indices.map((i) => entry.timesMs[i] as number);
  entry.prices = indices.map((i) => entry.prices[i] as number);
}
