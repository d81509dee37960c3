import type { SeededRandom } from "../price/seeded-random.js";

/**
 * A Poisson(mean) draw: Knuth's product method below a mean of 30, Hörmann's transformed
 * rejection with squeeze (PTRS, 1993) above — exact in both ranges and O(1) for large means, so
 * the evaluation harness can draw per-interval counts instead of simulating every request.
 */
export function poissonSample(random: SeededRandom, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let count = 0;
    let product = random.uniform();
    while (product > limit) {
      count++;
      product *= random.uniform();
    }
    return count;
  }
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * Math.sqrt(mean);
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random.uniform() - 0.5;
    const v = random.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v * inverseAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}

/** ln(k!) — exact sums below 64, Stirling's series above (error < 1e-10 there). */
function logFactorial(k: number): number {
  if (k < 64) {
    let sum = 0;
    for (let i = 2; i <= k; i++) sum += Math.log(i);
    return sum;
  }
  const inverse = 1 / k;
  return (k + 0.5) * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI) + inverse / 12 - inverse ** 3 / 360;
}
