import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { SentraError } from "@sentra/common";
import { parse } from "csv-parse";

/** One row of a spot price history (`shared/data/spot/*.csv` format). */
export interface SpotPriceRow {
  readonly timestampMs: number;
  readonly cloud: string;
  readonly region: string;
  /** Availability zone; empty for regional prices (GCP, Azure). */
  readonly zone: string;
  readonly instanceType: string;
  readonly product: string;
  /** USD per hour. */
  readonly usdPerHour: number;
  /** 1-based line in the file, for error messages. */
  readonly line: number;
}

/** The header every spot CSV starts with. */
export const SPOT_PRICE_CSV_COLUMNS = [
  "timestamp",
  "cloud",
  "region",
  "zone",
  "instance_type",
  "product",
  "price_usd_per_hour",
] as const;

/**
 * Streams a spot price CSV (`timestamp,cloud,region,zone,instance_type,product,price_usd_per_hour`)
 * row by row, without loading the file. Checks the header, each value and that timestamps never go
 * backwards (a replay depends on it); errors name the line.
 */
export async function* readSpotPriceCsv(input: string | Readable): AsyncGenerator<SpotPriceRow> {
  const source = typeof input === "string" ? createReadStream(input) : input;
  const name = typeof input === "string" ? input : "spot price CSV";
  const parser = source.pipe(parse({ skip_empty_lines: true, trim: true, info: true }));
  let line = 0;
  let headerSeen = false;
  let lastMs = Number.NEGATIVE_INFINITY;
  const fail = (problem: string): never => {
    throw new SentraError("INVALID_ARGUMENT", `${name}:${line}: ${problem}`, { field: "csv" });
  };
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      line = info.lines;
      if (!headerSeen) {
        if (record.join(",") !== SPOT_PRICE_CSV_COLUMNS.join(",")) {
          fail(`expected header ${SPOT_PRICE_CSV_COLUMNS.join(",")}, got ${record.join(",")}`);
        }
        headerSeen = true;
        continue;
      }
      if (record.length !== SPOT_PRICE_CSV_COLUMNS.length) {
        fail(`expected ${SPOT_PRICE_CSV_COLUMNS.length} fields, got ${record.length}`);
      }
      const [timestamp, cloud, region, zone, instanceType, product, price] = record as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const timestampMs = Date.parse(timestamp);
      if (!Number.isFinite(timestampMs)) fail(`bad timestamp "${timestamp}"`);
      if (timestampMs < lastMs) fail(`timestamp ${timestamp} goes backwards; sort the file by timestamp`);
      const usdPerHour = Number(price);
      if (price === "" || !Number.isFinite(usdPerHour) || usdPerHour < 0) fail(`bad price "${price}"`);
      if (cloud === "" || region === "" || instanceType === "") fail("cloud, region and instance_type are required");
      lastMs = timestampMs;
      yield { timestampMs, cloud, region, zone, instanceType, product, usdPerHour, line };
    }
  } finally {
    if (typeof input === "string") source.destroy();
  }
}
