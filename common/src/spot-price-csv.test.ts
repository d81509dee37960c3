import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { SentraError } from "./sentra-error.js";
import { readSpotPriceCsv, SPOT_PRICE_CSV_HEADER, type SpotPriceRow, streamSpotPriceCsv } from "./spot-price-csv.js";

const dir = mkdtempSync(join(tmpdir(), "sentra-spot-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, lines: string[]): string => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};
const text = (lines: string[]): Readable => Readable.from([`${lines.join("\n")}\n`]);
const row = (hour: number, region: string, price: string) =>
  `2020-01-01T${String(hour).padStart(2, "0")}:00:00Z,aws,${region},${region}a,m5.large,Linux/UNIX,${price}`;

const MIXED = [
  SPOT_PRICE_CSV_HEADER,
  row(0, "us-east-1", "0.040000"),
  row(1, "us-east-1", "abc"),
  "",
  "yesterday,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.041000",
  "2020-01-01T02:00:00Z,aws,us-east-1,us-east-1a,m5.large",
  '2020-01-01T03:00:00Z,gcp,us-east1,,e2-standard-2,"Linux (Spot VM, no OS licence)",0.020000',
  '2020-01-01T04:00:00Z,aws,"unterminated',
];

describe("readSpotPriceCsv (skip malformed rows)", () => {
  it("counts and skips malformed rows, naming their line numbers", async () => {
    const { rows, stats } = await readSpotPriceCsv(file("mixed.csv", MIXED), { malformedRows: "skip" });
    expect(rows.map((r) => [r.line, r.region, r.product, r.usdPerHour])).toEqual([
      [2, "us-east-1", "Linux/UNIX", 0.04],
      [7, "us-east1", "Linux (Spot VM, no OS licence)", 0.02],
    ]);
    expect(rows[0]).toEqual({
      timestampMs: Date.UTC(2020, 0, 1),
      cloud: "aws",
      region: "us-east-1",
      zone: "us-east-1a",
      instanceType: "m5.large",
      product: "Linux/UNIX",
      usdPerHour: 0.04,
      line: 2,
    } satisfies SpotPriceRow);
    expect(stats).toMatchObject({ dataLines: 6, rowsKept: 2, rowsFiltered: 0, invalidRows: 4 });
    expect(stats.errors.map((error) => error.line)).toEqual([3, 5, 6, 8]);
    expect(stats.errors[0]?.message).toBe('line 3: price_usd_per_hour "abc" is not a positive number');
    expect(stats.errors[1]?.message).toMatch(/^line 5: timestamp "yesterday" is not an ISO-8601 UTC time/);
    expect(stats.errors[2]?.message).toBe("line 6: expected 7 fields, got 5");
    expect(stats.errors[3]?.message).toMatch(/^line 8: .*Quote Not Closed/);
  });

  it("keeps only the first maxReportedErrors messages, and counts them all", async () => {
    const lines = [SPOT_PRICE_CSV_HEADER, ...Array.from({ length: 30 }, (_, i) => row(i % 24, "us-east-1", "-1"))];
    const { stats } = await readSpotPriceCsv(text(lines), { malformedRows: "skip", maxReportedErrors: 3 });
    expect(stats.invalidRows).toBe(30);
    expect(stats.errors.map((error) => error.line)).toEqual([2, 3, 4]);
  });

  it("keeps only the rows the filter accepts, and counts the others", async () => {
    const lines = [SPOT_PRICE_CSV_HEADER, row(0, "us-east-1", "0.040000"), row(0, "eu-west-1", "0.050000")];
    const { rows, stats } = await readSpotPriceCsv(file("filter.csv", lines), {
      accept: (r) => r.region === "eu-west-1",
    });
    expect(rows.map((r) => r.usdPerHour)).toEqual([0.05]);
    expect(stats).toMatchObject({ dataLines: 2, rowsKept: 1, rowsFiltered: 1, invalidRows: 0 });
  });

  it("refuses a file that is not a spot price CSV, or an empty one, whatever the mode", async () => {
    const other = file("other.csv", ["as_of,cloud,region,instance_type,product,price_usd_per_hour,source_id"]);
    await expect(readSpotPriceCsv(other, { malformedRows: "skip" })).rejects.toThrow(
      /other\.csv: line 1: not a spot price CSV, header is "as_of,/,
    );
    await expect(readSpotPriceCsv(file("empty.csv", []), { malformedRows: "skip" })).rejects.toThrow(
      /empty\.csv: empty file/,
    );
  });

  it("lets an unreadable file's error through", async () => {
    await expect(readSpotPriceCsv(join(dir, "missing.csv"))).rejects.toThrow(/ENOENT/);
  });
});

describe("streamSpotPriceCsv", () => {
  const drain = async (rows: AsyncIterable<SpotPriceRow>): Promise<number> => {
    let count = 0;
    for await (const _ of rows) count++;
    return count;
  };

  it("fails on the first malformed row by default, naming the input and the line, after the rows before it", async () => {
    const taken: number[] = [];
    const failure = await (async () => {
      for await (const r of streamSpotPriceCsv(text(MIXED), { name: "mixed" })) taken.push(r.line);
    })().catch((error: unknown) => error);
    expect(taken).toEqual([2]);
    expect(failure).toBeInstanceOf(SentraError);
    expect((failure as SentraError).code).toBe("INVALID_ARGUMENT");
    expect((failure as SentraError).message).toBe('mixed: line 3: price_usd_per_hour "abc" is not a positive number');
    expect((failure as SentraError).details).toEqual({ line: 3 });
  });

  it("with requireSortedTimestamps, refuses a timestamp going backwards (or skips that row)", async () => {
    const lines = [SPOT_PRICE_CSV_HEADER, row(5, "us-east-1", "1"), row(3, "eu-west-1", "1"), row(5, "us-east-1", "2")];
    await expect(drain(streamSpotPriceCsv(text(lines), { requireSortedTimestamps: true }))).rejects.toThrow(
      "spot price CSV: line 3: timestamp 2020-01-01T03:00:00Z goes backwards; sort the file by timestamp",
    );
    const skipping = streamSpotPriceCsv(text(lines), { requireSortedTimestamps: true, malformedRows: "skip" });
    expect(await drain(skipping)).toBe(2);
    expect(skipping.stats).toMatchObject({ rowsKept: 2, invalidRows: 1, errors: [{ line: 3 }] });
    // Without the option the order is not checked.
    expect(await drain(streamSpotPriceCsv(text(lines)))).toBe(3);
  });

  it("streams: rows arrive while most of the file is unread, and stopping early closes the file", async () => {
    const lines = [SPOT_PRICE_CSV_HEADER];
    for (let i = 0; i < 40_000; i++) lines.push(row(0, "us-east-1", "0.5"));
    lines.push(row(0, "us-east-1", "bad"));
    const path = file("large.csv", lines);
    const source = createReadStream(path);
    const rows = streamSpotPriceCsv(source);
    let seen = 0;
    for await (const r of rows) {
      expect(r.line).toBe(seen + 2);
      if (++seen === 10) break;
    }
    expect(source.bytesRead).toBeLessThan(statSync(path).size / 4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
    // The malformed last row was never reached, so nothing failed; the stats stop where the read did
    // (up to a chunk ahead of the rows taken).
    expect(rows.stats.invalidRows).toBe(0);
    expect(rows.stats.dataLines).toBeGreaterThanOrEqual(10);
    expect(rows.stats.dataLines).toBeLessThan(40_000);
  });
});
