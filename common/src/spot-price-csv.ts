import type { Readable } from "node:stream";
import { type CsvRecord, streamCsvRecords } from "./csv-records.js";
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

/** The rows of a spot price CSV as they are read, and the counts so far (final once iteration ends). */
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
 * row by row from a path or a Readable, without loading it: memory holds one chunk of the file plus
 * what the consumer keeps. Validates the header and every row (ISO-8601 UTC timestamp ending in Z,
 * cloud, region and instance type present, price a positive decimal, seven fields); see
 * {@link SpotPriceCsvOptions} for what happens to a malformed row. Errors of the input itself (a
 * missing file) are thrown as they are.
 */
export function streamSpotPriceCsv(input: string | Readable, options: SpotPriceCsvOptions = {}): SpotPriceRowStream {
  const stats: SpotCsvReadStats = { dataLines: 0, rowsKept: 0, rowsFiltered: 0, invalidRows: 0, errors: [] };
  return Object.assign(spotPriceRows(input, options, stats), { stats });
}

/**
 * Reads a whole spot price CSV into memory, keeping only the rows `options.accept` returns true
 * for, so that a filtered read holds just the rows it needs (the file itself is streamed).
 */
export async function readSpotPriceCsv(
  input: string | Readable,
  options: SpotPriceCsvOptions = {},
): Promise<SpotCsvReadResult> {
  const stream = streamSpotPriceCsv(input, options);
  const rows: SpotPriceRow[] = [];
  for await (const row of stream) rows.push(row);
  return { rows, stats: stream.stats };
}

async function* spotPriceRows(
  input: string | Readable,
  options: SpotPriceCsvOptions,
  stats: SpotCsvReadStats,
): AsyncGenerator<SpotPriceRow, void, undefined> {
  const name = options.name ?? (typeof input === "string" ? input : "spot price CSV");
  const skipMalformed = options.malformedRows === "skip";
  const maxReportedErrors = options.maxReportedErrors ?? MAX_REPORTED_ROW_ERRORS;
  const requireSorted = options.requireSortedTimestamps === true;
  const accept = options.accept;
  const invalid = (line: number, problem: string): void => {
    const message = `line ${line}: ${problem}`;
    if (!skipMalformed) {
      throw new SentraError("INVALID_ARGUMENT", `${name}: ${message}`, { field: "csv", details: { line } });
    }
    stats.invalidRows++;
    if (stats.errors.length < maxReportedErrors) stats.errors.push({ line, message });
  };

  let headerSeen = false;
  let lastTimestampMs = Number.NEGATIVE_INFINITY;
  for await (const record of streamCsvRecords(input)) {
    if (!headerSeen) {
      const header = record.error ?? record.fields.join(",");
      if (header !== SPOT_PRICE_CSV_HEADER) {
        const problem = `line ${record.line}: not a spot price CSV, header is "${header}", expected "${SPOT_PRICE_CSV_HEADER}"`;
        throw new SentraError("INVALID_ARGUMENT", `${name}: ${problem}`, {
          field: "csv",
          details: { line: record.line },
        });
      }
      headerSeen = true;
      continue;
    }
    stats.dataLines++;
    const row = record.error === undefined ? parseSpotPriceRow(record) : record.error;
    if (typeof row === "string") {
      invalid(record.line, row);
      continue;
    }
    if (requireSorted && row.timestampMs < lastTimestampMs) {
      invalid(record.line, `timestamp ${record.fields[0]} goes backwards; sort the file by timestamp`);
      continue;
    }
    lastTimestampMs = row.timestampMs;
    if (accept !== undefined && !accept(row)) {
      stats.rowsFiltered++;
      continue;
    }
    stats.rowsKept++;
    yield row;
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
