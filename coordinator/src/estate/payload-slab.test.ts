import { describe, expect, it } from "vitest";
import { PayloadSlab } from "./payload-slab.js";

describe("PayloadSlab", () => {
  it("copies each payload so that later writes to the source or the slab leave it intact", () => {
    const slab = new PayloadSlab();
    const source = new Uint8Array(300);
    const copies: { copy: Uint8Array; expected: number[] }[] = [];
    // Past several slabs' worth, so copies straddle slab changes.
    for (let n = 0; n < 1_000; n++) {
      const length = 1 + ((n * 37) % 300);
      for (let i = 0; i < length; i++) source[i] = (n + i) % 256;
      const view = source.subarray(0, length);
      copies.push({ copy: slab.copy(view), expected: [...view] });
    }
    source.fill(0);
    for (const { copy, expected } of copies) expect([...copy]).toEqual(expected);
  });

  it("gives a large payload its own buffer", () => {
    const slab = new PayloadSlab();
    const big = new Uint8Array(10_000).fill(7);
    const copy = slab.copy(big);
    expect(copy.byteOffset).toBe(0);
    expect(copy.buffer.byteLength).toBe(10_000);
    big.fill(1);
    expect(copy.every((byte) => byte === 7)).toBe(true);
  });
});
