import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCsvLine, readSpotPriceCsv, SPOT_CSV_HEADER } from "./spot-price-csv.js";

const dir = mkdtempSync(join(tmpdir(), "sentra-spot-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, lines: string[]): string => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};

describe("parseCsvLine", () => {
  it("splits on commas, honours quotes and doubled quotes", () => {
    expect(parseCsvLine('a,"b, c",,"say ""hi"""')).toEqual(["a", "b, c", "", 'say "hi"']);
    expect(parseCsvLine("")).toEqual([""]);
    expect(parseCsvLine('a,"open')).toBeUndefined();
  });
});

describe("readSpotPriceCsv", () => {
  it("counts and skips malformed rows, naming their line numbers", async () => {
    const path = file("mixed.csv", [
      SPOT_CSV_HEADER,
      "2020-01-01T00:00:00Z,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.040000",
      "2020-01-01T01:00:00Z,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,abc",
      "",
      "yesterday,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.041000",
      "2020-01-01T02:00:00Z,aws,us-east-1,us-east-1a,m5.large",
      '2020-01-01T03:00:00Z,gcp,us-east1,,e2-standard-2,"Linux (Spot VM, no OS licence)",0.020000',
      '2020-01-01T04:00:00Z,aws,"unterminated',
    ]);
    const { rows, stats } = await readSpotPriceCsv(path);
    expect(rows.map((row) => [row.line, row.region, row.product, row.usdPerHour])).toEqual([
      [2, "us-east-1", "Linux/UNIX", 0.04],
      [7, "us-east1", "Linux (Spot VM, no OS licence)", 0.02],
    ]);
    expect(stats).toMatchObject({ dataLines: 6, rowsKept: 2, rowsFiltered: 0, invalidRows: 4 });
    expect(stats.errors.map((error) => error.line)).toEqual([3, 5, 6, 8]);
    expect(stats.errors[0]?.message).toBe('line 3: price_usd_per_hour "abc" is not a positive number');
    expect(stats.errors[1]?.message).toMatch(/^line 5: timestamp "yesterday"/);
    expect(stats.errors[2]?.message).toBe("line 6: expected 7 fields, got 5");
  });

  it("keeps only the rows the filter accepts, and counts the others", async () => {
    const path = file("filter.csv", [
      SPOT_CSV_HEADER,
      "2020-01-01T00:00:00Z,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.040000",
      "2020-01-01T00:00:00Z,aws,eu-west-1,eu-west-1a,m5.large,Linux/UNIX,0.050000",
    ]);
    const { rows, stats } = await readSpotPriceCsv(path, (row) => row.region === "eu-west-1");
    expect(rows.map((row) => row.usdPerHour)).toEqual([0.05]);
    expect(stats).toMatchObject({ rowsKept: 1, rowsFiltered: 1, invalidRows: 0 });
  });

  it("refuses a file that is not a spot price CSV", async () => {
    const path = file("other.csv", [
      "as_of,cloud,region,instance_type,product,price_usd_per_hour,source_id",
      ",aws,x,y,z,1,s",
    ]);
    await expect(readSpotPriceCsv(path)).rejects.toThrow(/not a spot price CSV/);
    await expect(readSpotPriceCsv(file("empty.csv", []))).rejects.toThrow(/empty file/);
  });
});
