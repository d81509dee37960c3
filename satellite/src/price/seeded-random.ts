/**
 * A small seeded pseudo-random generator, so that the price model is reproducible: the same seed
 * gives the same sequence on every machine. Not for cryptography.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1) (Box–Muller). */
  normal(): number;
  /** Exponential with the given rate (mean 1 / rate); `Infinity` when the rate is 0. */
  exponential(rate: number): number;
}

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state generator, good enough for simulation
 * and fast. `seed` is reduced to 32 bits.
 */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  let spareNormal: number | undefined;

  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };

  const normal = (): number => {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  const exponential = (rate: number): number => (rate > 0 ? -Math.log(1 - uniform()) / rate : Infinity);

  return { uniform, normal, exponential };
}

/**
 * Derives a 32-bit seed from a base seed and a label (FNV-1a over the label, mixed with the seed), so
 * each price series gets its own independent stream: adding a series does not change the others.
 */
export function deriveSeed(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so that nearby labels give unrelated seeds.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}
