import { describe, expect, it } from "vitest";
import { KeyedRefresher } from "./keyed-refresher.js";

/** A read that finishes when the test says so. */
function controlledReads() {
  const started: string[] = [];
  const finishers: Array<() => void> = [];
  const read = (key: string): Promise<void> =>
    new Promise((resolve) => {
      started.push(key);
      finishers.push(resolve);
    });
  const finishNext = async (): Promise<void> => {
    finishers.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { started, read, finishNext };
}

describe("KeyedRefresher", () => {
  it("reads one key at a time and coalesces requests made while a read runs", async () => {
    const reads = controlledReads();
    const refresher = new KeyedRefresher(reads.read, () => undefined);
    refresher.request("a");
    // While "a" is read: "b", "a" again, and "b" again are asked for.
    refresher.request("b");
    refresher.request("a");
    refresher.request("b");
    await Promise.resolve();
    expect(reads.started).toEqual(["a"]);
    await reads.finishNext();
    // Each key once more, in the order first asked.
    expect(reads.started).toEqual(["a", "b"]);
    await reads.finishNext();
    expect(reads.started).toEqual(["a", "b", "a"]);
    await reads.finishNext();
    await refresher.idle();
    expect(reads.started).toEqual(["a", "b", "a"]);
  });

  it("reports a failed read and goes on with the next key", async () => {
    const failures: string[] = [];
    const done: string[] = [];
    const refresher = new KeyedRefresher(
      async (key) => {
        if (key === "bad") throw new Error("no");
        done.push(key);
      },
      (key) => failures.push(key),
    );
    refresher.request("bad");
    refresher.request("good");
    await refresher.idle();
    expect(failures).toEqual(["bad"]);
    expect(done).toEqual(["good"]);
  });

  it("reads nothing more once stopped", async () => {
    const reads = controlledReads();
    const refresher = new KeyedRefresher(reads.read, () => undefined);
    refresher.request("a");
    refresher.request("b");
    refresher.stop();
    refresher.request("c");
    await reads.finishNext();
    await refresher.idle();
    expect(reads.started).toEqual(["a"]);
  });
});
