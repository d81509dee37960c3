import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestNamespace, eventually, REPO_ROOT, startPrometheus, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCoordinatorProcess, startSatelliteProcess } from "./support/estate-processes.js";
import { type ExportedSeriesName, exportedSeriesNames } from "./support/exported-metric-names.js";
import {
  DATASOURCE_REFERENCE,
  DATASOURCE_VARIABLE,
  dashboardMetricProblems,
  dashboardPanels,
  dashboardQueries,
  dashboardStructureProblems,
  type GrafanaDashboard,
  withVariablesResolved,
} from "./support/grafana-dashboard.js";
import { metricNamesInPromQL, metricNamesInVariableQuery } from "./support/promql-metric-names.js";

const DASHBOARD_DIR = join(REPO_ROOT, "deploy/grafana");
const EXPECTED_DASHBOARDS = ["sentra-arbitrage.json", "sentra-ingest.json", "sentra-rollouts.json"];
/** Generous: the two processes start one after the other on a shared 2-core machine. */
const ESTATE_START_TIMEOUT_MS = 120_000;

/** Every dashboard in deploy/grafana, by file name: a new file is checked without listing it here. */
function readDashboards(): Map<string, GrafanaDashboard> {
  const files = readdirSync(DASHBOARD_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort();
  return new Map(
    files.map((file) => [file, JSON.parse(readFileSync(join(DASHBOARD_DIR, file), "utf8")) as GrafanaDashboard]),
  );
}

describe("PromQL metric name extractor", () => {
  it("keeps metric names and skips functions, keywords, label names, strings, durations, numbers and variables", () => {
    expect(
      metricNamesInPromQL(
        'histogram_quantile(0.95, sum by (le, router) (rate(x_seconds_bucket{instance=~"$satellite", role="primary"}[$__rate_interval])))',
      ),
    ).toEqual(["x_seconds_bucket"]);
    expect(
      metricNamesInPromQL("sum without (instance) (a_total) / on (kind) group_left (reason) b offset 5m > bool 0"),
    ).toEqual(["a_total", "b"]);
    expect(metricNamesInPromQL('label_replace(up, "dst", "$1", "src", "(.*)") and ignoring(job) c')).toEqual([
      "up",
      "c",
    ]);
    expect(metricNamesInPromQL('{__name__="named_total", job="x"} or topk(5, foo) or vector(0)')).toEqual([
      "named_total",
      "foo",
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable inside PromQL.
    const withVariable = "1e-3 * 0x1F + Inf - NaN * ${scale} * $factor + rate(c_total[5m:1m]) @ start()";
    expect(metricNamesInPromQL(withVariable)).toEqual(["c_total"]);
    expect(metricNamesInPromQL('max by (zone) (price{a="}{[("}) - min(price)')).toEqual(["price"]);
    expect(metricNamesInVariableQuery('label_values(m{a="b"}, instance)')).toEqual(["m"]);
    expect(metricNamesInVariableQuery("label_values(instance)")).toEqual([]);
    expect(metricNamesInVariableQuery("query_result(topk(3, q))")).toEqual(["q"]);
  });
});

describe("Grafana dashboards in deploy/grafana", () => {
  const dashboards = readDashboards();

  it("are the three Sentra dashboards, each importable: unique panel ids, the datasource variable everywhere, targets", () => {
    expect([...dashboards.keys()]).toEqual(expect.arrayContaining(EXPECTED_DASHBOARDS));
    const uids = [...dashboards.values()].map((dashboard) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const [file, dashboard] of dashboards) {
      expect(dashboardStructureProblems(dashboard), file).toEqual([]);
      const queryPanels = dashboardPanels(dashboard).filter((panel) => panel.type !== "row");
      expect(queryPanels.length, file).toBeGreaterThan(5);
      for (const panel of queryPanels) expect(panel.datasource, file).toEqual(DATASOURCE_REFERENCE);
      // A target the extractor finds no metric in would pass the export check without being checked.
      for (const query of dashboardQueries(dashboard))
        expect(query.metricNames, `${file} ${query.where}`).not.toEqual([]);
    }
  });

  it("reports what would break an import (the structure check can fail)", () => {
    const broken: GrafanaDashboard = {
      uid: "broken",
      title: "Broken",
      schemaVersion: 39,
      templating: { list: [] },
      panels: [
        {
          id: 1,
          type: "timeseries",
          title: "a",
          datasource: DATASOURCE_REFERENCE,
          gridPos: { h: 8, w: 12, x: 0, y: 0 },
        },
        {
          id: 1,
          type: "stat",
          title: "b",
          datasource: { type: "prometheus", uid: "P1809F7CD0C75ACF3" },
          gridPos: { h: 8, w: 12, x: 16, y: 0 },
          targets: [{ refId: "A", expr: "up" }],
        },
      ],
    };
    expect(dashboardStructureProblems(broken)).toEqual([
      'templating.list has no Prometheus datasource variable named "datasource"',
      `.panels[1].datasource: datasource is not ${DATASOURCE_VARIABLE}`,
      'panel 1 "a": no targets',
      'panel 1 "b": id 1 is used twice',
      'panel 1 "b": gridPos x 16 + w 12 leaves the 24-column grid',
      `panel 1 "b": datasource is not ${DATASOURCE_VARIABLE}`,
    ]);
  });

  describe("against a real coordinator and satellite", () => {
    let namespace: TestNamespace;
    let exported: Map<string, ExportedSeriesName>;
    let scrapeTargets: string[];

    beforeAll(async () => {
      namespace = await createTestNamespace("grafana");
      const coordinator = await startCoordinatorProcess(namespace);
      const satellite = await startSatelliteProcess(namespace, "aws", "us-east-1");
      // `# TYPE` lines are there before any activity, so one scrape of each right after start suffices.
      scrapeTargets = [`${coordinator.httpUrl}/metrics`, `${satellite.opsUrl}/metrics`];
      const expositions = await Promise.all(
        scrapeTargets.map(async (url) => {
          const response = await fetch(url);
          expect(response.status, url).toBe(200);
          return response.text();
        }),
      );
      exported = new Map(expositions.flatMap((text) => [...exportedSeriesNames(text)]));
    }, ESTATE_START_TIMEOUT_MS);
    afterAll(async () => {
      await namespace?.dispose();
    });

    it("query only metrics the coordinator and satellite export, by their types", () => {
      // The scrape itself is the reference: check it holds what the dashboards are built on.
      expect(exported.get("sentra_coordinator_ingest_lag_seconds_bucket")?.type).toBe("histogram");
      expect(exported.get("sentra_satellite_rollout_decisions_total")?.type).toBe("counter");
      for (const [file, dashboard] of dashboards) {
        expect(dashboardMetricProblems(dashboard, exported), file).toEqual([]);
      }
    });

    it("parse and evaluate in a real Prometheus scraping both, and the estate's headline figures show", async () => {
      const prometheus = await startPrometheus({ targets: scrapeTargets });
      namespace.defer(() => prometheus.dispose());
      await eventually(async () => expect(await prometheus.query("count(up == 1)")).toBe(2), 30_000, 250);
      const evaluate = async (promql: string) =>
        (await (await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: promql })}`)).json()) as {
          status: string;
          error?: string;
        };
      // The check can fail: Prometheus refuses what it cannot parse (a rate of an instant vector).
      expect(await evaluate("rate(sentra_coordinator_ingest_pending)")).toMatchObject({ status: "error" });
      for (const [file, dashboard] of dashboards) {
        for (const query of dashboardQueries(dashboard)) {
          if (query.where.startsWith("variable ")) continue; // Grafana's label_values(), not PromQL
          const promql = withVariablesResolved(query.expr);
          expect(await evaluate(promql), `${file} ${query.where}: ${promql}`).toMatchObject({ status: "success" });
        }
      }
      // Label values matter too: the ingest dashboard's first stats must see this estate.
      const ingest = dashboards.get("sentra-ingest.json") ?? {};
      const statExpr = (title: string) =>
        withVariablesResolved(
          String(dashboardPanels(ingest).find((panel) => panel.title === title)?.targets?.[0]?.expr ?? ""),
        );
      await eventually(
        async () => {
          expect(await prometheus.query(statExpr("Live satellites"))).toBe(1);
          expect(await prometheus.query(statExpr("Heartbeats / s"))).toBeGreaterThan(0);
        },
        30_000,
        500,
      );
    });

    it("reports a metric nobody exports and a metric used against its type (the export check can fail)", () => {
      const expr = (refId: string, text: string) => ({ refId, expr: text });
      const fabricated: GrafanaDashboard = {
        panels: [
          {
            id: 1,
            title: "made up",
            targets: [
              expr("A", "sum(rate(sentra_coordinator_heartbeats_total[5m]))"),
              expr("B", "histogram_quantile(0.9, sum by (le) (rate(sentra_coordinator_ingest_lag_seconds[5m])))"),
              expr("C", "rate(sentra_coordinator_ingest_pending[5m])"),
              expr(
                "D",
                "histogram_quantile(0.9, sum by (kind) (rate(sentra_coordinator_ingest_lag_seconds_bucket[5m])))",
              ),
            ],
          },
        ],
        templating: {
          list: [{ name: "x", type: "query", query: { query: "label_values(sentra_no_such_gauge, instance)" } }],
        },
      };
      expect(dashboardMetricProblems(fabricated, exported)).toEqual([
        'panel 1 "made up" target A: sentra_coordinator_heartbeats_total is not exported',
        'panel 1 "made up" target B: sentra_coordinator_ingest_lag_seconds is not exported',
        'panel 1 "made up" target B: histogram_quantile reads no histogram _bucket series',
        'panel 1 "made up" target C: sentra_coordinator_ingest_pending is a gauge; rate/irate/increase need a counter',
        `panel 1 "made up" target D: histogram_quantile's aggregation drops le`,
        "variable x: sentra_no_such_gauge is not exported",
      ]);
    });
  });
});
