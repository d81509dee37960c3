import { describe, expect, it } from "vitest";
import { createSeededRandom, deriveSeed } from "./seeded-random.js";

describe("createSeededRandom", () => {
  it("repeats the same sequence for the same seed, another for another seed", () => {
    const draw = (seed: number): number[] => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 5 }, () => random.uniform());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("draws uniform, standard normal and exponential values with the right moments", () => {
    const random = createSeededRandom(1);
    const n = 20_000;
    const uniforms = Array.from({ length: n }, () => random.uniform());
    const normals = Array.from({ length: n }, () => random.normal());
    const exponentials = Array.from({ length: n }, () => random.exponential(0.25));
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    expect(mean(uniforms)).toBeCloseTo(0.5, 2);
    expect(mean(normals)).toBeCloseTo(0, 1);
    expect(mean(normals.map((x) => x * x))).toBeCloseTo(1, 1);
    expect(mean(exponentials) / 4).toBeCloseTo(1, 1);
    expect(random.exponential(0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("deriveSeed", () => {
  it("gives each label its own stream, stable across runs", () => {
    const seeds = [
      "aws/us-east-1/us-east-1a/m5.large",
      "aws/us-east-1/us-east-1b/m5.large",
      "aws/us-east-1/us-east-1a/m5.xlarge",
    ].map((label) => deriveSeed(7, label));
    expect(new Set(seeds).size).toBe(3);
    expect(deriveSeed(7, "x")).toBe(deriveSeed(7, "x"));
    expect(deriveSeed(7, "x")).not.toBe(deriveSeed(8, "x"));
  });
});
