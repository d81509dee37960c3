import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { benchOpportunities, formatOpportunityBench } from "./bench-opportunities.js";

const { values } = parseArgs({
  options: {
    iterations: { type: "string" },
    sizes: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
const sizes = values.sizes === undefined ? undefined : values.sizes.split(",").map(Number);
const rows = benchOpportunities({
  ...(iterations === undefined ? {} : { iterations }),
  ...(sizes === undefined ? {} : { sizes }),
});
process.stdout.write(
  values.json
    ? `${JSON.stringify({ node: process.version, cpus: cpus().length, loadavg: loadavg(), rows }, null, 2)}\n`
    : `Opportunity computation: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} (synthetic estate, 20 regions × 8 instance types)\n${formatOpportunityBench(rows)}\n`,
);
