/**
 * One benchmark figure: every bench `npm run bench` runs prints one JSON line per figure on stdout,
 * `{"name","value","unit","baseline","ratio"}`, and nothing else there.
 */
export interface BenchFigure {
  /** The figure and its parameters, e.g. `ingest_heartbeats_per_s{satellites=1000}`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The same figure's reference (raw NATS, the previous build, a naive path, a bound), if any. */
  readonly baseline: number | null;
  /** value / baseline, or null without a baseline (or with a baseline of 0). */
  readonly ratio: number | null;
}

/** Rounds to 4 significant digits; NaN and ±Infinity pass through (JSON.stringify writes them as null). */
function round(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(4)) : n;
}

/** Builds one figure, rounding value, baseline and ratio to 4 significant digits. */
export function benchFigure(name: string, value: number, unit: string, baseline?: number): BenchFigure {
  return {
    name,
    value: round(value),
    unit,
    baseline: baseline === undefined ? null : round(baseline),
    ratio: baseline === undefined || baseline === 0 ? null : round(value / baseline),
  };
}

/** Prints one figure as a JSON line on stdout (see {@link benchFigure}) and returns it. */
export function printBenchFigure(name: string, value: number, unit: string, baseline?: number): BenchFigure {
  const figure = benchFigure(name, value, unit, baseline);
  process.stdout.write(`${JSON.stringify(figure)}\n`);
  return figure;
}
