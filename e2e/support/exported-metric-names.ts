/** A metric family's type, as a `# TYPE` line of the Prometheus text format states it. */
export type MetricFamilyType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/** A sample name a query may select, and the family it belongs to. */
export interface ExportedSeriesName {
  readonly family: string;
  readonly type: MetricFamilyType;
}

/**
 * The sample names an exposition (text format 0.0.4) provides, from its `# TYPE` lines: a family
 * that has seen no observation yet (a histogram, a labelled counter) still has its `# TYPE` line in
 * prom-client, so this does not depend on activity. A histogram `x` provides `x_bucket`, `x_sum`
 * and `x_count` (not `x`); a summary `x` provides `x` (its quantiles), `x_sum` and `x_count`.
 */
export function exportedSeriesNames(exposition: string): Map<string, ExportedSeriesName> {
  const names = new Map<string, ExportedSeriesName>();
  for (const line of exposition.split("\n")) {
    const match = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)\s*$/.exec(line);
    if (!match) continue;
    const family = match[1] as string;
    const type = match[2] as MetricFamilyType;
    const suffixes =
      type === "histogram" ? ["_bucket", "_sum", "_count"] : type === "summary" ? ["", "_sum", "_count"] : [""];
    for (const suffix of suffixes) names.set(`${family}${suffix}`, { family, type });
  }
  return names;
}
