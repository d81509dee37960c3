import { describe, expect, it } from "vitest";
import { type Batched, KeyedBatcher } from "./keyed-batcher.js";

type Batch = ReadonlyMap<string, Batched<number>>;

describe("keyed batcher", () => {
  it("keeps one pending item per key, counting those it replaced", async () => {
    const batches: Batch[] = [];
    const batcher = new KeyedBatcher<number>({ lanes: 1, maxBatch: 100, windowMs: 5 }, async (batch) => {
      batches.push(batch);
    });
    for (let index = 0; index < 10; index++) batcher.add("flood", index);
    expect(batcher.add("quiet", 1)).toBe(false);
    expect(batcher.pending()).toBe(2);
    await batcher.drain();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.get("flood")).toEqual({ item: 9, items: [9], count: 10 });
    expect(batches[0]?.get("quiet")?.count).toBe(1);
  });

  it("keeps a key's items in order up to itemsPerKey, the oldest giving way", async () => {
    const batches: Batch[] = [];
    const batcher = new KeyedBatcher<number>(
      { lanes: 1, maxBatch: 100, windowMs: 5, itemsPerKey: 3 },
      async (batch) => {
        batches.push(batch);
      },
    );
    const replaced = [1, 2, 3, 4, 5].map((value) => batcher.add("a", value));
    expect(replaced).toEqual([false, false, false, true, true]);
    await batcher.drain();
    expect(batches[0]?.get("a")).toEqual({ item: 5, items: [3, 4, 5], count: 5 });
  });

  it("never applies two batches of a lane at once and applies a key's items in the order they came", async () => {
    let running = 0;
    let mostRunning = 0;
    const seen = new Map<string, number[]>();
    const batcher = new KeyedBatcher<number>({ lanes: 2, maxBatch: 10, windowMs: 0 }, async (batch) => {
      running++;
      mostRunning = Math.max(mostRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      for (const [key, { item }] of batch) seen.set(key, [...(seen.get(key) ?? []), item]);
      running--;
    });
    for (let round = 0; round < 20; round++) {
      for (let key = 0; key < 30; key++) batcher.add(`k${key}`, round);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await batcher.drain();
    expect(mostRunning).toBeLessThanOrEqual(2);
    expect(seen.size).toBe(30);
    for (const items of seen.values()) {
      expect([...items].sort((a, b) => a - b)).toEqual(items);
      expect(items.at(-1)).toBe(19);
    }
  });

  it("goes on after a batch whose apply failed", async () => {
    const applied: string[] = [];
    let calls = 0;
    const batcher = new KeyedBatcher<number>({ lanes: 1, maxBatch: 1, windowMs: 0 }, async (batch) => {
      calls++;
      if (calls === 1) throw new Error("redis down");
      applied.push(...batch.keys());
    });
    batcher.add("first", 1);
    batcher.add("second", 2);
    await batcher.drain();
    expect(applied).toEqual(["second"]);
  });
});
