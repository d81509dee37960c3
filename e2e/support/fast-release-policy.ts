/** Options of {@link fastReleasePolicy}. */
export interface FastReleasePolicyOptions {
  /** The canary weights in percent, in order. */
  readonly steps: readonly number[];
  /** Passing decisions in a row that promote a step. @default 2 */
  readonly passesToPromote?: number;
  /** Breaching decisions in a row that roll back; left out of the YAML when not given (the policy's default). */
  readonly consecutiveBreachesToRollback?: number;
}

/**
 * The text of a release policy that decides within seconds: 2 s warm-up, a decision every 2 s over
 * a 5 s window (Prometheus' 1 s scrapes see each step), the built-in `error_rate` and
 * `p95_latency_ms` gates with a floor of 20 samples. It starts with a blank line and ends with one
 * line break, so a `router:` block can be appended; its line numbers are what policy errors cite.
 */
export function fastReleasePolicy(options: FastReleasePolicyOptions): string {
  const { steps, passesToPromote = 2, consecutiveBreachesToRollback } = options;
  const breaches =
    consecutiveBreachesToRollback === undefined
      ? ""
      : `consecutiveBreachesToRollback: ${consecutiveBreachesToRollback}\n`;
  return `
steps: [${steps.join(", ")}]
warmupSeconds: 2
intervalSeconds: 2
windowSeconds: 5
passesToPromote: ${passesToPromote}
${breaches}gates:
  - name: error_rate
    minSampleSize: 20
  - name: p95_latency_ms
    minSampleSize: 20
`;
}
