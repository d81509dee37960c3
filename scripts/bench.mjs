// `npm run bench` (after `npm run build`): the ingest benchmark (a real coordinator fed heartbeats of
// 1,000 and 10,000 satellites over NATS, raw NATS as the baseline), the dashboard benchmark (1,000
// satellites heartbeating into a coordinator, Socket.IO clients and a Chromium page applying its
// deltas, raw NATS publish → received as the latency baseline), the opportunity computation benchmark (pure, in process),
// the judges' evaluation harness (pure: the real judges and state machine on simulated Poisson traffic),
// then the migration end-to-end benchmark (real coordinator and satellite processes, zero readiness
// delay; needs NATS, Redis and MySQL from the environment, localhost by default), then the release
// guard's rollback time (a satellite and a real Prometheus scraping every second).
// Every bench prints one JSON line per figure on stdout and nothing else there:
// {"name","value","unit","baseline","ratio"} (printBenchFigure in @sentra/common; 4 significant digits,
// ratio = value / baseline, null without one). Each bench's header comment says what its baseline is.
// Tables, progress and these section headers go to stderr, so `node scripts/bench.mjs 2>/dev/null` is
// JSON lines only (`npm run bench` prints npm's and the build's own output before them).
// `--json` is still accepted and changes nothing; run a bench's own script for its other options (--help).
// The benches are the bench/ workspace (@sentra/bench: bench/src/<area>/, built into bench/dist by
// `npm run build`); they use the products through their public entry points, and no product's dist
// or image contains them.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const unknown = process.argv.slice(2).filter((arg) => arg !== "--json");
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument(s) ${unknown.join(" ")}; only --json is understood\n`);
  process.exit(2);
}
const args = process.argv.includes("--json") ? ["--json"] : [];
const dashboardBench = "bench/dist/dashboard/bench-dashboard-main.js";
const chromium = existsSync(process.env.SENTRA_CHROMIUM ?? "/usr/bin/chromium");
// [name, script, its own arguments (optional)].
const benches = [
  // Needs NATS, Redis and MySQL.
  ["satellite ingest at 1,000 and 10,000 satellites", "bench/dist/ingest/bench-ingest-main.js"],
  // The dashboard twice (needs NATS, Redis, MySQL; Chromium for the page): 50 clients, all timed, is
  // a busy operations room, with the page's latency and frame time when Chromium is installed;
  // 1,000 clients is the fan-out the delta interval adapts to, without the page (its software
  // rendering would take a core on a small machine) and with 10 of them timed: the bench process
  // runs the publishers and every client, and at 1,000 it is what saturates first.
  [
    "dashboard, 1,000 satellites, 50 clients",
    dashboardBench,
    ["--satellites", "1000", "--clients", "50", ...(chromium ? [] : ["--no-browser"])],
  ],
  [
    "dashboard, 1,000 satellites, 1,000 clients",
    dashboardBench,
    ["--satellites", "1000", "--clients", "1000", "--timed-clients", "10", "--no-browser", "--seconds", "10"],
  ],
  ["opportunity computation", "bench/dist/arbitrage/bench-opportunities-main.js"],
  // Pure simulation (no services): the release guard's judges, threshold rule vs sequential judge.
  ["release guard judges: false rollbacks and detection time", "bench/dist/release-guard/bench-judge-main.js"],
  ["migration end to end", "bench/dist/migration/bench-migration-main.js"],
  // Needs NATS with JetStream and Prometheus (PROMETHEUS_BIN or `prometheus` on PATH).
  ["release guard rollback time", "bench/dist/release-guard/bench-rollback-main.js"],
];
let failed = 0;
for (const [name, script, benchArgs = []] of benches) {
  process.stderr.write(`\n== ${name} (node ${[script, ...benchArgs].join(" ")}) ==\n`);
  const run = spawnSync(process.execPath, [script, ...benchArgs, ...args], { stdio: "inherit" });
  if (run.status !== 0) {
    failed++;
    process.stderr.write(`${name}: exited with ${run.status ?? run.signal}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
