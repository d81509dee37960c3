import { describe, expect, it } from "vitest";
import { benchOpportunities, formatOpportunityBench } from "./bench-opportunities.js";

describe("benchOpportunities", () => {
  it("times each estate size and reports ratios against the first", () => {
    const rows = benchOpportunities({ sizes: [10, 100], iterations: 3, warmupIterations: 1 });
    expect(rows.map((r) => [r.workloads, r.regions, r.iterations])).toEqual([
      [10, 20, 3],
      [100, 20, 3],
    ]);
    expect(rows[0]?.ratioVsFirst).toBe(1);
    for (const r of rows) expect(r.p95Ms).toBeGreaterThanOrEqual(r.medianMs);
    expect(formatOpportunityBench(rows)).toContain("µs/workload");
  });
});
