import type { ExportedSeriesName } from "./exported-metric-names.js";
import { metricNamesInPromQL, metricNamesInVariableQuery } from "./promql-metric-names.js";

/** How a dashboard names its `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal.
export const DATASOURCE_VARIABLE = "${datasource}";

/** The one datasource reference a Sentra dashboard uses: its `datasource` variable, never a fixed uid. */
export const DATASOURCE_REFERENCE = { type: "prometheus", uid: DATASOURCE_VARIABLE } as const;

/** The part of Grafana's dashboard model (schema 39) these checks read. */
export interface GrafanaDashboard {
  readonly uid?: unknown;
  readonly title?: unknown;
  readonly schemaVersion?: unknown;
  readonly panels?: readonly GrafanaPanel[];
  readonly templating?: { readonly list?: readonly GrafanaVariable[] };
}

export interface GrafanaPanel {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly title?: unknown;
  readonly datasource?: unknown;
  readonly gridPos?: { readonly h?: unknown; readonly w?: unknown; readonly x?: unknown; readonly y?: unknown };
  readonly targets?: readonly GrafanaTarget[];
  /** A collapsed row keeps its panels here. */
  readonly panels?: readonly GrafanaPanel[];
}

export interface GrafanaTarget {
  readonly refId?: unknown;
  readonly expr?: unknown;
  readonly datasource?: unknown;
}

export interface GrafanaVariable {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly query?: unknown;
  readonly datasource?: unknown;
}

/** One PromQL expression of a dashboard and where it is (for messages). */
export interface DashboardQuery {
  readonly where: string;
  readonly expr: string;
  readonly metricNames: readonly string[];
}

/** Every panel, the panels of collapsed rows included, in dashboard order. */
export function dashboardPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/**
 * What would stop a clean import or bind the dashboard to one Grafana: a missing uid, title or
 * schema version, duplicate panel ids, a query panel without targets, any datasource (panel,
 * target, variable, anywhere) other than the `${datasource}` variable, a layout outside the
 * 24-column grid, no datasource variable. Rows carry no query, so they need neither a datasource
 * nor targets.
 */
export function dashboardStructureProblems(dashboard: GrafanaDashboard): string[] {
  const problems: string[] = [];
  if (typeof dashboard.uid !== "string" || dashboard.uid === "") problems.push("no uid");
  if (typeof dashboard.title !== "string" || dashboard.title === "") problems.push("no title");
  if (typeof dashboard.schemaVersion !== "number" || dashboard.schemaVersion < 36) {
    problems.push(`schemaVersion ${String(dashboard.schemaVersion)} (expected 36 or later)`);
  }
  const variables = dashboard.templating?.list ?? [];
  const datasourceVariable = variables.find((variable) => variable.name === "datasource");
  if (datasourceVariable?.type !== "datasource" || datasourceVariable.query !== "prometheus") {
    problems.push('templating.list has no Prometheus datasource variable named "datasource"');
  }
  for (const variable of variables) {
    if (variable.type === "query" && !isDatasourceReference(variable.datasource)) {
      problems.push(`variable ${String(variable.name)}: datasource is not \${datasource}`);
    }
  }
  for (const path of fixedDatasourcePaths(dashboard, "")) problems.push(`${path}: datasource is not \${datasource}`);
  const seenIds = new Set<unknown>();
  for (const panel of dashboardPanels(dashboard)) {
    const name = panelName(panel);
    if (typeof panel.id !== "number") problems.push(`${name}: no numeric id`);
    else if (seenIds.has(panel.id)) problems.push(`${name}: id ${panel.id} is used twice`);
    seenIds.add(panel.id);
    const grid = panel.gridPos;
    const { h, w, x, y } = grid ?? {};
    if (typeof h !== "number" || typeof w !== "number" || typeof x !== "number" || typeof y !== "number") {
      problems.push(`${name}: gridPos needs numeric h, w, x and y`);
    } else if (x < 0 || w < 1 || x + w > 24) {
      problems.push(`${name}: gridPos x ${x} + w ${w} leaves the 24-column grid`);
    }
    if (typeof panel.title !== "string" || panel.title === "") problems.push(`${name}: no title`);
    if (panel.type === "row") continue;
    if (!isDatasourceReference(panel.datasource)) problems.push(`${name}: datasource is not \${datasource}`);
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${name}: no targets`);
    const refIds = new Set<unknown>();
    for (const target of targets) {
      if (typeof target.refId !== "string" || refIds.has(target.refId)) {
        problems.push(`${name}: target refId ${String(target.refId)} missing or repeated`);
      }
      refIds.add(target.refId);
      if (typeof target.expr !== "string" || target.expr.trim() === "") {
        problems.push(`${name} target ${String(target.refId)}: no expr`);
      }
      if (target.datasource !== undefined && !isDatasourceReference(target.datasource)) {
        problems.push(`${name} target ${String(target.refId)}: datasource is not \${datasource}`);
      }
    }
  }
  return problems;
}

/** Every PromQL expression of a dashboard (panel targets and query variables) with its metric names. */
export function dashboardQueries(dashboard: GrafanaDashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const panel of dashboardPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== "string") continue;
      queries.push({
        where: `${panelName(panel)} target ${String(target.refId)}`,
        expr: target.expr,
        metricNames: metricNamesInPromQL(target.expr),
      });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== "query") continue;
    // Grafana 10+ stores `{ query: "label_values(…)" , … }`; older dashboards a plain string.
    const query = typeof variable.query === "string" ? variable.query : (variable.query as { query?: unknown })?.query;
    if (typeof query !== "string") continue;
    queries.push({
      where: `variable ${String(variable.name)}`,
      expr: query,
      metricNames: metricNamesInVariableQuery(query),
    });
  }
  return queries;
}

/**
 * Queries that name a metric no component exports, or use one against its type: `rate`, `irate`
 * or `increase` of a gauge, or a `histogram_quantile` that reads no `_bucket` series or whose
 * expression has a `by` list without `le` (or a `without` list with it).
 */
export function dashboardMetricProblems(
  dashboard: GrafanaDashboard,
  exported: ReadonlyMap<string, ExportedSeriesName>,
): string[] {
  const problems: string[] = [];
  for (const query of dashboardQueries(dashboard)) {
    for (const name of query.metricNames) {
      const series = exported.get(name);
      if (series === undefined) {
        problems.push(`${query.where}: ${name} is not exported`);
      } else if (
        series.type === "gauge" &&
        new RegExp(`\\b(rate|irate|increase)\\s*\\(\\s*${name}\\b`).test(query.expr)
      ) {
        problems.push(`${query.where}: ${name} is a gauge; rate/irate/increase need a counter`);
      }
    }
    if (/\bhistogram_quantile\s*\(/.test(query.expr)) {
      if (!query.metricNames.some((name) => name.endsWith("_bucket") && exported.get(name)?.type === "histogram")) {
        problems.push(`${query.where}: histogram_quantile reads no histogram _bucket series`);
      }
      const groupings = [...query.expr.matchAll(/\b(by|without)\s*\(([^)]*)\)/g)];
      const keepsLe = groupings.every(([, keyword, labels]) => {
        const listed = (labels ?? "").split(",").map((label) => label.trim());
        return keyword === "by" ? listed.includes("le") : !listed.includes("le");
      });
      if (!keepsLe) problems.push(`${query.where}: histogram_quantile's aggregation drops le`);
    }
  }
  return problems;
}

/** JSON paths of every `datasource` value anywhere in the model that is not the variable. */
function fixedDatasourcePaths(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => fixedDatasourcePaths(item, `${path}[${index}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === "datasource" && !isDatasourceReference(child)
      ? [`${path}.${key}`]
      : fixedDatasourcePaths(child, `${path}.${key}`),
  );
}

function isDatasourceReference(value: unknown): boolean {
  if (value === DATASOURCE_VARIABLE) return true;
  if (typeof value !== "object" || value === null) return false;
  const { uid, type } = value as { uid?: unknown; type?: unknown };
  return uid === DATASOURCE_REFERENCE.uid && (type === undefined || type === DATASOURCE_REFERENCE.type);
}

function panelName(panel: GrafanaPanel): string {
  return `panel ${String(panel.id)} "${String(panel.title)}"`;
}

/** What {@link withVariablesResolved} puts for Grafana's interval macros: one scrape-rich minute, a range of an hour. */
const MACRO_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: "1m",
  __interval: "1m",
  __range: "1h",
};

/**
 * A dashboard expression as Grafana would send it to Prometheus, with the interval macros set to
 * fixed durations and every other variable (`$name`, `${name}`, `${name:format}`) to `.*`, the
 * "All" of a Sentra dashboard's multi-value variables: plain PromQL a real Prometheus can parse.
 */
export function withVariablesResolved(expr: string): string {
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
    (_match, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      return MACRO_VALUES[name] ?? ".*";
    },
  );
}
