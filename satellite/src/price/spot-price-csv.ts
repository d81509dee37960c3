import { createReadStream } from "node:fs";
import { SentraError } from "@sentra/common";

/** The header of every spot price history CSV in shared/data/spot (see shared/data/README.md). */
export const SPOT_CSV_HEADER = "timestamp,cloud,region,zone,instance_type,product,price_usd_per_hour";

/** How many row errors a read keeps verbatim; the rest are only counted. */
export const MAX_REPORTED_ROW_ERRORS = 20;

/** One valid row of a spot price history CSV. */
export interface SpotPriceRow {
  /** Epoch milliseconds (UTC). */
  timestampMs: number;
  cloud: string;
  region: string;
  /** Availability zone; empty for regional (GCP, Azure) prices. */
  zone: string;
  instanceType: string;
  product: string;
  usdPerHour: number;
  /** 1-based line number in the file (the header is line 1). */
  line: number;
}

/** A row that was skipped because it is malformed. */
export interface CsvRowError {
  line: number;
  /** Names the line and the problem, e.g. `line 12: price_usd_per_hour "x" is not a positive number`. */
  message: string;
}

/** What one read of a spot price CSV kept, dropped and rejected. */
export interface SpotCsvReadStats {
  /** Data lines seen (header and blank lines excluded). */
  dataLines: number;
  /** Valid rows that the filter accepted. */
  rowsKept: number;
  /** Valid rows that the filter rejected (e.g. other regions). */
  rowsFiltered: number;
  /** Malformed rows, skipped. */
  invalidRows: number;
  /** The first {@link MAX_REPORTED_ROW_ERRORS} row errors. */
  errors: CsvRowError[];
}

export interface SpotCsvReadResult {
  rows: SpotPriceRow[];
  stats: SpotCsvReadStats;
}

/** One record of a CSV file, with its 1-based line number. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DECIMAL_PATTERN = /^\d+(\.\d+)?$/;

/**
 * Reads a spot price history CSV (`timestamp,cloud,region,zone,instance_type,product,price_usd_per_hour`)
 * line by line, keeping only the rows `accept` returns true for, so that a filtered read holds just the
 * rows it needs. Malformed rows are counted and skipped; a wrong header is an error.
 */
export async function readSpotPriceCsv(
  path: string,
  accept: (row: SpotPriceRow) => boolean = () => true,
): Promise<SpotCsvReadResult> {
  const rows: SpotPriceRow[] = [];
  const stats: SpotCsvReadStats = { dataLines: 0, rowsKept: 0, rowsFiltered: 0, invalidRows: 0, errors: [] };
  let headerSeen = false;
  await forEachCsvRecord(path, (record) => {
    if (!headerSeen) {
      headerSeen = true;
      const header = record.fields.join(",");
      if (header !== SPOT_CSV_HEADER) {
        const problem = `${path}: not a spot price CSV, header is "${header}", expected "${SPOT_CSV_HEADER}"`;
        throw new SentraError("INVALID_ARGUMENT", problem, { field: "path" });
      }
      return;
    }
    stats.dataLines++;
    const parsed = parseSpotPriceRow(record);
    if (typeof parsed === "string") {
      stats.invalidRows++;
      if (stats.errors.length < MAX_REPORTED_ROW_ERRORS) stats.errors.push({ line: record.line, message: parsed });
    } else if (accept(parsed)) {
      rows.push(parsed);
      stats.rowsKept++;
    } else {
      stats.rowsFiltered++;
    }
  });
  if (!headerSeen) {
    throw new SentraError("INVALID_ARGUMENT", `${path}: empty file, expected a spot price CSV`, { field: "path" });
  }
  return { rows, stats };
}

/** Validates one record of a spot price CSV; returns the row, or the error message naming the line. */
export function parseSpotPriceRow(record: CsvRecord): SpotPriceRow | string {
  const { line, fields } = record;
  if (fields.length !== 7) return `line ${line}: expected 7 fields, got ${fields.length}`;
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
  if (!Number.isFinite(timestampMs)) {
    return `line ${line}: timestamp "${timestamp}" is not an ISO-8601 UTC time ending in Z`;
  }
  if (cloud === "") return `line ${line}: cloud is empty`;
  if (region === "") return `line ${line}: region is empty`;
  if (instanceType === "") return `line ${line}: instance_type is empty`;
  const usdPerHour = DECIMAL_PATTERN.test(price) ? Number(price) : Number.NaN;
  if (!(usdPerHour > 0)) return `line ${line}: price_usd_per_hour "${price}" is not a positive number`;
  return { timestampMs, cloud, region, zone, instanceType, product, usdPerHour, line };
}

/**
 * Streams the records of a simple CSV file (RFC 4180 quoting, one record per line, no line breaks
 * inside fields) to `onRecord`, chunk by chunk, so memory holds one chunk plus what the callback
 * keeps. Blank lines are skipped. A line with an unterminated quote gives a record with a single
 * field holding the raw line, which the row validators then reject with its line number.
 */
export async function forEachCsvRecord(path: string, onRecord: (record: CsvRecord) => void): Promise<void> {
  let line = 0;
  let rest = "";
  const emit = (raw: string): void => {
    line++;
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (text.trim() === "") return;
    onRecord({ line, fields: parseCsvLine(text) ?? [text] });
  };
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 256 * 1024 })) {
    const text = rest + (chunk as string);
    let begin = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", begin)) {
      emit(text.slice(begin, end));
      begin = end + 1;
    }
    rest = text.slice(begin);
  }
  if (rest !== "") emit(rest);
}

/**
 * Splits one CSV line into fields: commas separate, double quotes enclose a field that may contain
 * commas, and `""` inside quotes is one quote. Returns undefined for an unterminated quote.
 */
export function parseCsvLine(text: string): string[] | undefined {
  if (!text.includes('"')) return text.split(",");
  const fields: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const char = text[i];
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === "") {
      quoted = true;
    } else if (char === ",") {
      fields.push(field);
      field = "";
    } else {
      field += char;
    }
    i++;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}
