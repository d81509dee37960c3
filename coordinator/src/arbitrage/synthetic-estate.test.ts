import { describe, expect, it } from "vitest";
import { createSyntheticEstate } from "./synthetic-estate.js";

describe("createSyntheticEstate", () => {
  it("builds the same synthetic estate for the same seed", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(createSyntheticEstate(50, 20, 1, now)).toEqual(createSyntheticEstate(50, 20, 1, now));
    expect(createSyntheticEstate(5, 20, 1, now).markets.filter((m) => !m.live)).toHaveLength(1);
  });
});
