import type { Readable } from "node:stream";
import { type CsvRecord, streamCsvRecordBatches } from "./csv-records.js";
import { SentraError } from "./sentra-error.js";

/** The columns of every spot price history CSV in shared/data/spot (see shared/data/README.md). */
export const SPOT_PRICE_CSV_COLUMNS = [
  "timestamp",
  "cloud",
  "region",
  "zone",
  "instance_type",
  "product",
  "price_usd_per_hour",
] as const;

/** The header line of a spot price history CSV. */
export const SPOT_PRICE_CSV_HEADER = SPOT_PRICE_CSV_COLUMNS.join(",");

/** How many row errors a read keeps verbatim by default; the rest are only counted. */
export const MAX_REPORTED_ROW_ERRORS = 20;

/** One valid row of a spot price history CSV. */
export interface SpotPriceRow {
  /** Epoch milliseconds (UTC). */
  readonly timestampMs: number;
  readonly cloud: string;
  readonly region: string;
  /** Availability zone; empty for regional (GCP, Azure) prices. */
  readonly zone: string;
  readonly instanceType: string;
  readonly product: string;
  /** USD per hour, > 0. */
  readonly usdPerHour: number;
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
}

/** A malformed row that a `malformedRows: "skip"` read skipped. */
export interface CsvRowError {
  line: number;
  /** Names the line and the problem, e.g. `line 12: price_usd_per_hour "x" is not a positive number`. */
  message: string;
}

/** What one read of a spot price CSV kept, dropped and rejected. */
export interface SpotCsvReadStats {
  /** Data lines seen (header and blank lines excluded). */
  dataLines: number;
  /** Valid rows that the filter accepted (yielded or returned). */
  rowsKept: number;
  /** Valid rows that the filter rejected (e.g. other regions). */
  rowsFiltered: number;
  /** Malformed rows, skipped (always 0 with `malformedRows: "fail"`, which throws instead). */
  invalidRows: number;
  /** The first `maxReportedErrors` row errors, in line order. */
  errors: CsvRowError[];
}

/** How to read a spot price CSV. */
export interface SpotPriceCsvOptions {
  /**
   * A malformed row: `"fail"` throws a SentraError (INVALID_ARGUMENT) naming the input and the line;
   * `"skip"` drops it and counts it in the stats, which keep the first `maxReportedErrors` messages.
   * A wrong header or an empty input always throws.
   * @default "fail"
   */
  malformedRows?: "fail" | "skip";
  /**
   * Treat a row whose timestamp is earlier than the previous valid row's as malformed (a replay of
   * the file in order depends on it). Filtered-out rows count for the order too.
   * @default false
   */
  requireSortedTimestamps?: boolean;
  /** Keeps only the valid rows it returns true for; the others are counted in `rowsFiltered`. @default every row */
  accept?: (row: SpotPriceRow) => boolean;
  /** @default {@link MAX_REPORTED_ROW_ERRORS} */
  maxReportedErrors?: number;
  /** Names the input in errors. @default the path, or "spot price CSV" for a stream */
  name?: string;
}

/** The rows of a spot price CSV as they are read, and the counts so far (final once the iteration ends). */
export interface SpotPriceRowStream extends AsyncGenerator<SpotPriceRow, void, undefined> {
  readonly stats: Readonly<SpotCsvReadStats>;
}

/** Every kept row of a spot price CSV, and what the read kept, dropped and rejected. */
export interface SpotCsvReadResult {
  rows: SpotPriceRow[];
  stats: SpotCsvReadStats;
}

const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DECIMAL_PATTERN = /^\d+(\.\d+)?$/;

/**
 * Streams a spot price CSV (`timestamp,cloud,region,zone,instance_type,product,price_usd_per_hour`)
 * row by row from a path or a Readable, without loading it: memory holds about one chunk of the
 * file and its rows plus what the consumer keeps. Validates the header and every row (ISO-8601 UTC
 * timestamp ending in Z, cloud, region and instance type present, price a positive decimal, seven
 * fields); see {@link SpotPriceCsvOptions} for what happens to a malformed row (with "fail", the
 * valid rows before it are yielded first). Errors of the input itself (a missing file) are thrown
 * as they are. The stats count what has been read, up to one chunk ahead of the rows yielded.
 */
export function streamSpotPriceCsv(input: string | Readable, options: SpotPriceCsvOptions = {}): SpotPriceRowStream {
  const stats = emptyStats();
  return Object.assign(rowsOf(spotPriceRowBatches(input, options, stats)), { stats });
}

/**
 * Reads a whole spot price CSV into memory, keeping only the rows `options.accept` returns true
 * for, so that a filtered read holds just the rows it needs (the file itself is streamed).
 */
export async function readSpotPriceCsv(
  input: string | Readable,
  options: SpotPriceCsvOptions = {},
): Promise<SpotCsvReadResult> {
  const stats = emptyStats();
  const rows: SpotPriceRow[] = [];
  for await (const batch of spotPriceRowBatches(input, options, stats)) {
    for (const row of batch) rows.push(row);
  }
  return { rows, stats };
}

function emptyStats(): SpotCsvReadStats {
  return { dataLines: 0, rowsKept: 0, rowsFiltered: 0, invalidRows: 0, errors: [] };
}

async function* rowsOf(batches: AsyncIterable<readonly SpotPriceRow[]>): AsyncGenerator<SpotPriceRow, void, undefined> {
  for await (const batch of batches) yield* batch;
}

/** The kept rows of a spot price CSV, one array per chunk read (validated as a whole: no await per row). */
async function* spotPriceRowBatches(
  input: string | Readable,
  options: SpotPriceCsvOptions,
  stats: SpotCsvReadStats,
): AsyncGenerator<SpotPriceRow[], void, undefined> {
  const name = options.name ?? (typeof input === "string" ? input : "spot price CSV");
  const skipMalformed = options.malformedRows === "skip";
  const maxReportedErrors = options.maxReportedErrors ?? MAX_REPORTED_ROW_ERRORS;
  const requireSorted = options.requireSortedTimestamps === true;
  const accept = options.accept;
  const malformed = (line: number, problem: string): SentraError =>
    new SentraError("INVALID_ARGUMENT", `${name}: line ${line}: ${problem}`, { field: "csv", details: { line } });

  let headerSeen = false;
  let lastTimestampMs = Number.NEGATIVE_INFINITY;
  for await (const records of streamCsvRecordBatches(input)) {
    const kept: SpotPriceRow[] = [];
    for (const record of records) {
      if (!headerSeen) {
        const header = record.error ?? record.fields.join(",");
        if (header !== SPOT_PRICE_CSV_HEADER) {
          throw malformed(
            record.line,
            `not a spot price CSV, header is "${header}", expected "${SPOT_PRICE_CSV_HEADER}"`,
          );
        }
        headerSeen = true;
        continue;
      }
      stats.dataLines++;
      let row = record.error === undefined ? parseSpotPriceRow(record) : record.error;
      if (typeof row !== "string" && requireSorted && row.timestampMs < lastTimestampMs) {
        row = `timestamp ${record.fields[0]} goes backwards; sort the file by timestamp`;
      }
      if (typeof row === "string") {
        if (!skipMalformed) {
          if (kept.length > 0) yield kept;
          throw malformed(record.line, row);
        }
        stats.invalidRows++;
        if (stats.errors.length < maxReportedErrors)
          stats.errors.push({ line: record.line, message: `line ${record.line}: ${row}` });
        continue;
      }
      lastTimestampMs = row.timestampMs;
      if (accept !== undefined && !accept(row)) {
        stats.rowsFiltered++;
        continue;
      }
      stats.rowsKept++;
      kept.push(row);
    }
    if (kept.length > 0) yield kept;
  }
  if (!headerSeen) {
    throw new SentraError("INVALID_ARGUMENT", `${name}: empty file, expected a spot price CSV`, { field: "csv" });
  }
}

/** Validates one record of a spot price CSV; returns the row, or the problem (without the line). */
function parseSpotPriceRow(record: CsvRecord): SpotPriceRow | string {
  const { line, fields } = record;
  if (fields.length !== SPOT_PRICE_CSV_COLUMNS.length) {
    return `expected ${SPOT_PRICE_CSV_COLUMNS.length} fields, got ${fields.length}`;
  }
  const [timestamp, cloud, region, zone, instanceType, product, price] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const timestampMs = TIMESTAMP_PATTERN.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  if (!Number.isFinite(timestampMs)) return `timestamp "${timestamp}" is not an ISO-8601 UTC time ending in Z`;
  if (cloud === "") return "cloud is empty";
  if (region === "") return "region is empty";
  if (instanceType === "") return "instance_type is empty";
  const usdPerHour = DECIMAL_PATTERN.test(price) ? Number(price) : Number.NaN;
  if (!(usdPerHour > 0)) return `price_usd_per_hour "${price}" is not a positive number`;
  return { timestampMs, cloud, region, zone, instanceType, product, usdPerHour, line };
}
