// `npm run bench` (after `npm run build`): the ingest benchmark (a real coordinator fed heartbeats of
// 1,000 and 10,000 satellites over NATS, raw NATS as the baseline), the opportunity computation benchmark (pure, in process),
// then the migration end-to-end benchmark (real coordinator and satellite processes, zero readiness
// delay; needs NATS, Redis and MySQL from the environment, localhost by default), then the release
// guard's rollback time (a satellite and a real Prometheus scraping every second).
// Every bench prints one JSON line per figure on stdout and nothing else there:
// {"name","value","unit","baseline","ratio"} (printBenchFigure in @sentra/common; 4 significant digits,
// ratio = value / baseline, null without one). Each bench's header comment says what its baseline is.
// Tables, progress and these section headers go to stderr, so `node scripts/bench.mjs 2>/dev/null` is
// JSON lines only (`npm run bench` prints npm's and the build's own output before them).
// `--json` is still accepted and changes nothing; run a bench's own script for its other options (--help).
import { spawnSync } from "node:child_process";

const unknown = process.argv.slice(2).filter((arg) => arg !== "--json");
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument(s) ${unknown.join(" ")}; only --json is understood\n`);
  process.exit(2);
}
const args = process.argv.includes("--json") ? ["--json"] : [];
const benches = [
  // Needs NATS, Redis and MySQL.
  ["satellite ingest at 1,000 and 10,000 satellites", "coordinator/dist/bench/bench-ingest-main.js"],
  ["opportunity computation", "coordinator/dist/arbitrage/bench-opportunities-main.js"],
  ["migration end to end", "coordinator/dist/migration/bench-migration-main.js"],
  // Needs NATS with JetStream and Prometheus (PROMETHEUS_BIN or `prometheus` on PATH).
  ["release guard rollback time", "satellite/dist/release-guard/bench-rollback-main.js"],
];
let failed = 0;
for (const [name, script] of benches) {
  process.stderr.write(`\n== ${name} (node ${script}) ==\n`);
  const run = spawnSync(process.execPath, [script, ...args], { stdio: "inherit" });
  if (run.status !== 0) {
    failed++;
    process.stderr.write(`${name}: exited with ${run.status ?? run.signal}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
