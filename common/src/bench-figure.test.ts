import { afterEach, describe, expect, it, vi } from "vitest";
import { benchFigure, printBenchFigure } from "./bench-figure.js";

afterEach(() => vi.restoreAllMocks());

describe("benchFigure", () => {
  it("rounds to 4 significant digits and divides by the baseline", () => {
    expect(benchFigure("x{n=1}", 1234.5678, "ms", 617.28)).toEqual({
      name: "x{n=1}",
      value: 1235,
      unit: "ms",
      baseline: 617.3,
      ratio: 2,
    });
  });

  it("has no ratio without a baseline or with a baseline of 0", () => {
    expect(benchFigure("x", 0.000123456, "s")).toEqual({
      name: "x",
      value: 0.0001235,
      unit: "s",
      baseline: null,
      ratio: null,
    });
    expect(benchFigure("x", 3, "heartbeats", 0)).toMatchObject({ baseline: 0, ratio: null });
  });
});

describe("printBenchFigure", () => {
  it("writes the figure as one JSON line on stdout", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const figure = printBenchFigure("y", 2, "runs", 4);
    expect(write).toHaveBeenCalledExactlyOnceWith(`${JSON.stringify(figure)}\n`);
    expect(JSON.parse(String(write.mock.calls[0]?.[0]))).toEqual({
      name: "y",
      value: 2,
      unit: "runs",
      baseline: 4,
      ratio: 0.5,
    });
  });
});
