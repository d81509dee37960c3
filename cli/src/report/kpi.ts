/** One key figure of a report, stamped with the threshold it is judged by and whether it met it. */
export interface Kpi {
  readonly name: string;
  /** null: could not be measured (e.g. a rollback that never completed). */
  readonly value: number | string | null;
  readonly unit: string;
  /** What passes, for people: e.g. "≤ 10 s", "= PROMOTED"; "" when the figure is for information. */
  readonly threshold: string;
  /** null: for information only, judged by nothing. */
  readonly pass: boolean | null;
  readonly detail: string;
}

/** The report's verdict: every judged KPI passed. */
export function allPass(kpis: readonly Kpi[]): boolean {
  return kpis.every((kpi) => kpi.pass !== false);
}

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Seconds, rounded to what a report shows (milliseconds). */
export function roundSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}
