import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { type CsvRecord, streamCsvRecordBatches } from "./csv-records.js";

const dir = mkdtempSync(join(tmpdir(), "sentra-csv-records-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const batches = async (input: string | Readable): Promise<(readonly CsvRecord[])[]> => {
  const all: (readonly CsvRecord[])[] = [];
  for await (const batch of streamCsvRecordBatches(input)) all.push(batch);
  return all;
};
const records = async (input: string | Readable): Promise<CsvRecord[]> => (await batches(input)).flat();

describe("streamCsvRecordBatches", () => {
  it("unquotes fields and numbers records by the line they end on, past blank lines, CRLF and a BOM", async () => {
    const text = '\uFEFFa,b\r\n\r\n1,"x, y"\r\n   \r\n2,"say ""hi"""\r\n3,"two\nlines"\r\n4,last';
    expect(await records(Readable.from([text]))).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 3, fields: ["1", "x, y"] },
      { line: 5, fields: ["2", 'say "hi"'] },
      { line: 7, fields: ["3", "two\nlines"] },
      { line: 8, fields: ["4", "last"] },
    ]);
  });

  it("keeps a quote inside an unquoted field, and numbers lines across chunks", async () => {
    const lines = ["h1,h2", ...Array.from({ length: 5000 }, (_, i) => `${i},va"lue${i}`)];
    const path = join(dir, "many.csv");
    writeFileSync(path, `${lines.join("\n")}\n`);
    // One batch per chunk read: the file is ~80 KiB, read here 16 KiB at a time.
    const read = await batches(createReadStream(path, { highWaterMark: 16 * 1024 }));
    expect(read.length).toBeGreaterThan(1);
    const all = read.flat();
    expect(all).toHaveLength(5001);
    expect(all[4321]).toEqual({ line: 4322, fields: ["4320", 'va"lue4320'] });
  });

  it("yields a record csv-parse cannot read as an error with its line, after the records before it", async () => {
    const read = await records(Readable.from(['a,b\n1,x\n2,y\n3,"never closed\n']));
    expect(read.map(({ line, fields, error }) => [line, fields, error === undefined ? "" : "error"])).toEqual([
      [1, ["a", "b"], ""],
      [2, ["1", "x"], ""],
      [3, ["2", "y"], ""],
      [4, [], "error"],
    ]);
    expect(read[3]?.error).toMatch(/Quote Not Closed/);
  });

  it("rejects when the file cannot be read", async () => {
    await expect(records(join(dir, "missing.csv"))).rejects.toThrow(/ENOENT/);
  });
});
