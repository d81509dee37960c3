import type { RolloutDecisionView, RolloutView } from "@sentra/common/dashboard-protocol";
import { describe, expect, it } from "vitest";
import { createEstateStores, mergeRollout } from "./estate-stores";

const decision = (key: string, atMs: number) => ({ key, atMs }) as RolloutDecisionView;
const rollout = (phase: RolloutView["phase"], decisions: RolloutDecisionView[]) =>
  ({ key: "ro-1", id: "ro-1", phase, decisions }) as RolloutView;

describe("rollout decisions on the page", () => {
  it("appends a delta's new decisions in time order, keeps the last N, and ignores repeats", () => {
    const held = rollout("PROGRESSING", [decision("w1#1", 10), decision("w1#2", 20)]);
    const merged = mergeRollout(
      held,
      rollout("PAUSED", [decision("w1#2", 20), decision("w2#1", 15), decision("w1#3", 30)]),
      3,
    );
    expect(merged.phase).toBe("PAUSED");
    expect(merged.decisions.map((d) => d.key)).toEqual(["w2#1", "w1#2", "w1#3"]);
    // A delta with no decisions changes the rollout and keeps what is held.
    expect(mergeRollout(merged, rollout("ABORTED", []), 3).decisions).toBe(merged.decisions);
  });

  it("a snapshot replaces a rollout whole; a delta merges into it", () => {
    const stores = createEstateStores({ prices: () => 120, rolloutDecisions: () => 2 });
    stores.rollouts.replace([rollout("PROGRESSING", [decision("a", 1)])]);
    stores.rollouts.apply({ upsert: [rollout("PROGRESSING", [decision("b", 2), decision("c", 3)])] });
    expect(stores.rollouts.get("ro-1")?.decisions.map((d) => d.key)).toEqual(["b", "c"]);
    stores.rollouts.replace([rollout("PROMOTED", [decision("z", 9)])]);
    expect(stores.rollouts.get("ro-1")?.decisions.map((d) => d.key)).toEqual(["z"]);
  });
});
