import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { printBenchFigure } from "@sentra/common";
import { benchOpportunities, formatOpportunityBench } from "./bench-opportunities.js";

/**
 * Opportunity computation benchmark: one JSON figure line per figure on stdout (`npm run bench`),
 * the text table and the machine on stderr.
 *
 * Baseline: there is one implementation (`findOpportunities`, no naive variant to race against), so
 * the same-run reference is the smallest estate's cost per workload: `opportunities_us_per_workload`
 * at N workloads has the smallest size's µs/workload as its baseline, and a ratio near 1 (or below:
 * fixed per-call work is spread thinner) means the computation scales linearly. The smallest size
 * itself, and the median, p95 and count figures, have no baseline.
 */
const { values } = parseArgs({
  options: {
    iterations: { type: "string" },
    sizes: { type: "string" },
    // Accepted for `npm run bench -- --json`: the output is JSON lines either way.
    json: { type: "boolean", default: false },
  },
});
const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
const sizes = values.sizes === undefined ? undefined : values.sizes.split(",").map(Number);
const rows = benchOpportunities({
  ...(iterations === undefined ? {} : { iterations }),
  ...(sizes === undefined ? {} : { sizes }),
});
const reference = rows.reduce<(typeof rows)[number] | undefined>(
  (smallest, row) => (smallest === undefined || row.workloads < smallest.workloads ? row : smallest),
  undefined,
);
for (const row of rows) {
  const tag = `workloads=${row.workloads},regions=${row.regions}`;
  const runs = `ms (${row.iterations} runs)`;
  printBenchFigure(`opportunities_median_ms{${tag}}`, row.medianMs, runs);
  printBenchFigure(`opportunities_p95_ms{${tag}}`, row.p95Ms, runs);
  printBenchFigure(
    `opportunities_us_per_workload{${tag}}`,
    row.perWorkloadUs,
    "µs (median)",
    reference === undefined || reference.workloads === row.workloads ? undefined : reference.perWorkloadUs,
  );
  printBenchFigure(`opportunities_found{${tag}}`, row.opportunities, "opportunities");
}
process.stderr.write(
  `Opportunity computation: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} (synthetic estate, 20 regions × 8 instance types)\n${formatOpportunityBench(rows)}\n`,
);
