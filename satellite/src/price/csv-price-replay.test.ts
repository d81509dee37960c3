import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveSharedDataDir, SPOT_PRICE_CSV_HEADER } from "@sentra/common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCsvPriceReplay } from "./csv-price-replay.js";

const HOUR_MS = 3_600_000;
const WALL_START = new Date("2031-06-01T00:00:00Z");
let spotDir: string;
let gpuRows: NaiveRow[];
const GPU = "aws-gpu-6-regions-2019-12_2020-03.csv";
const GCP = "gcp-spot-weekly-8-regions-2023-05_2026-07.csv";

interface NaiveRow {
  atMs: number;
  region: string;
  zone: string;
  type: string;
  price: number;
}

/** An independent, naive reading of a shared file (no quotes in the fields we compare). */
function naiveRows(file: string): NaiveRow[] {
  return readFileSync(join(spotDir, file), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const fields = line.split(",");
      return {
        atMs: Date.parse(fields[0] ?? ""),
        region: fields[2] ?? "",
        zone: fields[3] ?? "",
        type: fields[4] ?? "",
        price: Number(fields[fields.length - 1]),
      };
    });
}

/** The last row at or before `atMs` of one series: the price in force then. */
function lastAtOrBefore(rows: readonly NaiveRow[], zone: string, type: string, atMs: number): number | undefined {
  let found: number | undefined;
  for (const row of rows) if (row.zone === zone && row.type === type && row.atMs <= atMs) found = row.price;
  return found;
}

beforeAll(() => {
  spotDir = join(resolveSharedDataDir(process.env), "spot");
  gpuRows = naiveRows(GPU);
});

describe("createCsvPriceReplay on the real AWS GPU history", () => {
  it("quotes, per zone, the last us-east-1 p3.2xlarge row at or before the replayed instant", async () => {
    const rows = gpuRows.filter((row) => row.region === "us-east-1");
    const replay = await createCsvPriceReplay({
      path: join(spotDir, GPU),
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["p3.2xlarge"],
      start: WALL_START,
      speed: 3600,
    });
    expect(replay.stats.invalidRows).toBe(0);
    expect(replay.stats.rowsKept).toBe(rows.filter((row) => row.type === "p3.2xlarge").length);
    const zones = [...new Set(rows.filter((row) => row.type === "p3.2xlarge").map((row) => row.zone))].sort();
    expect(zones.length).toBeGreaterThanOrEqual(3);
    let compared = 0;
    for (const seconds of [0, 3_600, 36_000, 123_457, 200_000]) {
      const now = new Date(WALL_START.getTime() + seconds * 1000);
      const recordedMs = replay.recordedStart.getTime() + seconds * HOUR_MS;
      expect(replay.recordedInstant(now).getTime()).toBe(recordedMs);
      const quotes = replay.quotes(now);
      for (const zone of zones) {
        const expected = lastAtOrBefore(rows, zone, "p3.2xlarge", recordedMs);
        const quote = quotes.find((q) => q.zone === zone);
        expect(quote?.usdPerHour, `${zone} at +${seconds} s`).toBe(expected);
        if (expected !== undefined) compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(12);
    const quote = replay.quotes(new Date(WALL_START.getTime() + 36_000_000))[0];
    expect(quote).toMatchObject({
      cloud: "aws",
      region: "us-east-1",
      instanceType: "p3.2xlarge",
      source: "replay",
      vcpus: 8,
      memoryGib: 61,
    });
  });

  it("keeps only the requested region's rows and skips types without a known shape", async () => {
    const all = gpuRows;
    const replay = await createCsvPriceReplay({
      path: join(spotDir, GPU),
      cloud: "aws",
      region: "eu-west-1",
      start: WALL_START,
    });
    const inRegion = all.filter((row) => row.region === "eu-west-1");
    const known = inRegion.filter((row) => row.type === "p2.xlarge" || row.type === "p3.2xlarge");
    expect(replay.stats.rowsKept).toBe(known.length);
    expect(replay.stats.rowsWithoutShape).toBe(inRegion.length - known.length);
    expect(replay.stats.rowsFiltered).toBe(all.length - known.length);
    // After the recording the last prices hold.
    const late = replay.quotes(new Date(WALL_START.getTime() + 365 * 24 * HOUR_MS));
    for (const quote of late) {
      expect(quote.usdPerHour).toBe(lastAtOrBefore(inRegion, quote.zone, quote.instanceType, Number.POSITIVE_INFINITY));
    }
    // Before the first row nothing is quoted.
    expect(replay.quotes(new Date(WALL_START.getTime() - 1000))).toEqual([]);
  });

  it("loops: one period later it replays the same prices", async () => {
    const replay = await createCsvPriceReplay({
      path: join(spotDir, GPU),
      cloud: "aws",
      region: "us-west-2",
      instanceTypes: ["p2.xlarge"],
      start: WALL_START,
      speed: 3600,
      loop: true,
    });
    const periodMs = (replay.recordedEnd.getTime() - replay.recordedStart.getTime()) / 3600;
    const inFirst = new Date(WALL_START.getTime() + 50_000_000 / 3600);
    const inSecond = new Date(inFirst.getTime() + periodMs);
    expect(replay.quotes(inSecond).map((q) => q.usdPerHour)).toEqual(replay.quotes(inFirst).map((q) => q.usdPerHour));
    // Wall times are whole milliseconds, so at 3600× the two recorded instants differ by < 3.6 s.
    expect(
      Math.abs(replay.recordedInstant(inSecond).getTime() - replay.recordedInstant(inFirst).getTime()),
    ).toBeLessThan(3600);
  });

  it("lets a test force a price on top of the recording", async () => {
    const replay = await createCsvPriceReplay({
      path: join(spotDir, GPU),
      cloud: "aws",
      region: "eu-central-1",
      instanceTypes: ["p2.xlarge"],
      zones: ["eu-central-1a"],
      start: WALL_START,
    });
    replay.setOverride("p2.xlarge", 0.1);
    expect(replay.quotes(new Date(WALL_START.getTime() + HOUR_MS)).map((q) => [q.zone, q.usdPerHour])).toEqual([
      ["eu-central-1a", 0.1],
    ]);
    expect(() => replay.setOverride("p3.2xlarge", 1)).toThrow(/not quoted/);
  });
});

describe("createCsvPriceReplay on the real GCP weekly observations", () => {
  it("holds each weekly observation until the next one, as a regional price", async () => {
    const rows = naiveRows(GCP).filter((row) => row.region === "europe-west1");
    const replay = await createCsvPriceReplay({
      path: join(spotDir, GCP),
      cloud: "gcp",
      region: "europe-west1",
      instanceTypes: ["n2-standard-2", "e2-standard-2"],
      start: WALL_START,
      speed: 7 * 24 * 3600,
    });
    expect(replay.stats.rowsKept).toBe(400);
    for (const seconds of [0.5, 10.3, 99.9, 150]) {
      const now = new Date(WALL_START.getTime() + seconds * 1000);
      const recordedMs = replay.recordedInstant(now).getTime();
      const quotes = replay.quotes(now);
      expect(quotes.map((q) => [q.instanceType, q.zone])).toEqual([
        ["n2-standard-2", ""],
        ["e2-standard-2", ""],
      ]);
      for (const quote of quotes)
        expect(quote.usdPerHour).toBe(lastAtOrBefore(rows, "", quote.instanceType, recordedMs));
    }
  });
});

describe("createCsvPriceReplay input checks", () => {
  const dir = mkdtempSync(join(tmpdir(), "sentra-replay-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("skips malformed rows and reports them by line", async () => {
    const path = join(dir, "bad.csv");
    writeFileSync(
      path,
      [
        SPOT_PRICE_CSV_HEADER,
        "2020-01-01T00:00:00Z,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.040000",
        "2020-01-01T01:00:00Z,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,-1",
        "2020-01-01T02:00:00Z,aws,us-east-1,us-east-1a,m5.large,Linux/UNIX,0.042000",
      ].join("\n"),
    );
    const replay = await createCsvPriceReplay({ path, cloud: "aws", region: "us-east-1", start: WALL_START });
    expect(replay.stats.invalidRows).toBe(1);
    expect(replay.stats.errors).toEqual([
      { line: 3, message: 'line 3: price_usd_per_hour "-1" is not a positive number' },
    ]);
    expect(replay.quotes(new Date(WALL_START.getTime() + 2 * HOUR_MS))[0]?.usdPerHour).toBe(0.042);
  });

  it("fails clearly on a missing file, no matching rows, or unknown types", async () => {
    const base = { cloud: "aws", region: "us-east-1", start: WALL_START };
    await expect(createCsvPriceReplay({ ...base, path: join(dir, "missing.csv") })).rejects.toThrow(
      /cannot read price history/,
    );
    await expect(
      createCsvPriceReplay({
        ...base,
        path: join(spotDir, "azure-gpu-3-us-regions-2020-02_2020-03.csv"),
        cloud: "azure",
        region: "eastus",
      }),
    ).rejects.toThrow(/no rows for azure eastus/);
    await expect(
      createCsvPriceReplay({ ...base, path: join(spotDir, GPU), instanceTypes: ["p9.huge"] }),
    ).rejects.toThrow(/p9.huge/);
  });
});
