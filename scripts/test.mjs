// Runs the whole suite with Vitest and ends with the plain "N passed, N failed" line CI reads.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { provisionTestTools } from "./provision-test-tools.mjs";

// A fresh machine gets Prometheus, Chromium and kubectl first (or is told what it lacks).
provisionTestTools();

mkdirSync("test-results", { recursive: true });
const report = "test-results/vitest.json";
const args = [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const run = spawnSync("npx", args, { stdio: "inherit" });

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed = result.numPassedTests;
  failed = result.numFailedTests + (result.numRuntimeErrors ?? 0);
  skipped = result.numPendingTests + result.numTodoTests;
  // A suite that fails to load has no tests to count; count it as a failure, not as nothing.
  for (const suite of result.testResults ?? []) {
    if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} catch (error) {
  console.error(`could not read ${report}: ${error}`);
  failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
