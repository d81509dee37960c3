import { describe, expect, it } from "vitest";
import { parseQuantity } from "./resource-quantity.js";

describe("Kubernetes resource quantities", () => {
  it.each([
    ["500m", 0.5],
    ["2", 2],
    ["1.5", 1.5],
    ["512Mi", 512 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["1G", 1e9],
    ["100k", 1e5],
    ["1e3", 1000],
  ])("%s = %d", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 9);
  });

  it("rejects nonsense", () => {
    expect(() => parseQuantity("lots")).toThrow(/invalid resource quantity/);
    expect(() => parseQuantity("5Xi")).toThrow(/invalid resource quantity/);
  });
});
