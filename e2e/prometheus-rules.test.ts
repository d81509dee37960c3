import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestNamespace, REPO_ROOT, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startCoordinatorProcess, startSatelliteProcess } from "./support/estate-processes.js";
import { type ExportedSeriesName, exportedSeriesNames } from "./support/exported-metric-names.js";
import { metricNamesInPromQL } from "./support/promql-metric-names.js";

/** Debian's prometheus package ships promtool next to prometheus (npm test provisions it). */
const PROMTOOL = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";
const RULES_DIR = join(REPO_ROOT, "deploy/prometheus");
const RULES_FILE = join(RULES_DIR, "sentra-alerts.yaml");
/**
 * prom-client's own default gauges named `*_total`: stock Node.js dashboards query these exact
 * names, so they stay as prom-client makes them. Every other finding fails the test.
 */
const STOCK_DEFAULT_METRIC_FINDINGS = new Set([
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

function promtool(args: readonly string[], stdin?: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, args, { cwd: RULES_DIR });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
    child.stdin.end(stdin ?? "");
  });
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

describe("Prometheus conventions: the metrics the components export and the alert rules shipped for them", () => {
  it("ships alert rules that promtool accepts, and whose unit tests fire and stay quiet as they should", async () => {
    const check = await promtool(["check", "rules", RULES_FILE]);
    expect(check.status, check.output).toBe(0);
    const test = await promtool(["test", "rules", "sentra-alerts.test.yaml"]);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/SUCCESS/);
  });

  describe("against a real coordinator and satellite", () => {
    let namespace: TestNamespace;
    let expositions: { url: string; text: string }[];
    let exported: Map<string, ExportedSeriesName>;

    beforeAll(async () => {
      namespace = await createTestNamespace("promlint");
      const coordinator = await startCoordinatorProcess(namespace);
      const satellite = await startSatelliteProcess(namespace, "aws", "us-east-1");
      expositions = await Promise.all(
        [`${coordinator.httpUrl}/metrics`, `${satellite.opsUrl}/metrics`].map(async (url) => ({
          url,
          text: await (await fetch(url)).text(),
        })),
      );
      exported = new Map(expositions.flatMap(({ text }) => [...exportedSeriesNames(text)]));
    }, 120_000);
    afterAll(async () => {
      await namespace?.dispose();
    });

    it("passes promtool check metrics (names, suffixes, units, help), default Node.js metrics unprefixed", async () => {
      for (const { url, text } of expositions) {
        const lint = await promtool(["check", "metrics"], text);
        const findings = lint.output
          .split("\n")
          .map((line) => line.trim())
          .filter((line) => line !== "" && !STOCK_DEFAULT_METRIC_FINDINGS.has(line));
        expect(findings, url).toEqual([]);
        // promtool exits 3 for lint findings only; anything else is a parse error of the exposition.
        expect([0, 3], `${url}: ${lint.output}`).toContain(lint.status);
        // The names stock Node.js dashboards and alerts query.
        expect(text, url).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
        expect(text, url).toMatch(/^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/m);
      }
    });

    it("alerts only on metrics the components export", () => {
      const rules = parse(readFileSync(RULES_FILE, "utf8")) as RuleFile;
      const expressions = rules.groups.flatMap((group) =>
        group.rules.map((rule) => ({ name: rule.alert ?? rule.record, expr: rule.expr })),
      );
      expect(expressions.length).toBeGreaterThan(5);
      for (const { name, expr } of expressions) {
        const names = metricNamesInPromQL(expr);
        expect(names, name).not.toEqual([]);
        for (const metric of names) expect(exported.has(metric), `${name}: ${metric}`).toBe(true);
      }
    });
  });
});
