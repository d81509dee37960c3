import type { MigrationView, OpportunityView, RolloutDecisionView, RolloutView } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { keepLatest, OperationsMirror } from "./operations-mirror.js";

const mirror = () => new OperationsMirror({ decisionsPerRollout: 3, finishedMigrations: 1, finishedRollouts: 1 });

function opportunity(name: string, marginUsd: number, evaluatedAtMs = 1): OpportunityView {
  return {
    key: `default/${name}`,
    workloadId: `default/${name}`,
    marginUsd,
    evaluatedAtMs,
    source: { regionKey: "aws:us-east-1", priceObservedAtMs: evaluatedAtMs },
    target: { regionKey: "aws:us-east-2", priceObservedAtMs: evaluatedAtMs },
  } as OpportunityView;
}

function migration(id: string, states: MigrationView["state"][], updatedAtMs = states.length): MigrationView {
  return {
    key: id,
    id,
    state: states.at(-1) ?? "PLANNED",
    steps: states.map((state, index) => ({ sequence: index + 1, state, atMs: index, detail: "" })),
    updatedAtMs,
  } as MigrationView;
}

function decision(wave: string, sequence: number, atMs: number): RolloutDecisionView {
  return {
    key: `${wave}#${sequence}`,
    waveRolloutId: wave,
    sequence,
    atMs,
    gates: [],
  } as unknown as RolloutDecisionView;
}

function rollout(
  id: string,
  phase: RolloutView["phase"],
  decisions: RolloutDecisionView[],
  updatedAtMs = 1,
): RolloutView {
  return { key: id, id, phase, decisions, updatedAtMs, waves: [], incidents: [] } as unknown as RolloutView;
}

describe("OperationsMirror", () => {
  it("replaces the ranking, sending only entries that changed and the ones that left", () => {
    const ops = mirror();
    ops.ranking([opportunity("a", 2), opportunity("b", 1)]);
    expect(ops.takeChanges()?.opportunities?.upsert?.map((o) => o.key)).toEqual(["default/a", "default/b"]);
    // Re-evaluated later with fresher price observations only: not news.
    ops.ranking([opportunity("a", 2, 99), opportunity("b", 1, 99)]);
    expect(ops.takeChanges()).toBeUndefined();
    ops.ranking([opportunity("b", 1.5)]);
    expect(ops.takeChanges()).toEqual({
      opportunities: { upsert: [expect.objectContaining({ key: "default/b", marginUsd: 1.5 })], remove: ["default/a"] },
    });
    expect(ops.snapshot().opportunities.map((o) => o.key)).toEqual(["default/b"]);
  });

  it("keeps a migration's newest state, ignoring events that arrive late or twice", () => {
    const ops = mirror();
    ops.migration(migration("m1", ["PLANNED", "LOCKED", "SCALING_UP_TARGET"]));
    ops.migration(migration("m1", ["PLANNED", "LOCKED"]));
    ops.migration(migration("m1", ["PLANNED", "LOCKED", "SCALING_UP_TARGET"]));
    const changes = ops.takeChanges();
    expect(changes?.migrations?.upsert).toHaveLength(1);
    expect(changes?.migrations?.upsert?.[0]?.state).toBe("SCALING_UP_TARGET");
    ops.migration(migration("m1", ["PLANNED", "LOCKED"]));
    expect(ops.takeChanges()).toBeUndefined();
  });

  it("keeps every unfinished migration and only the most recent finished ones", () => {
    const ops = mirror();
    ops.migration(migration("old", ["PLANNED", "DONE"], 10));
    ops.migration(migration("running", ["PLANNED", "LOCKED"], 5));
    ops.takeChanges();
    ops.migration(migration("new", ["PLANNED", "FAILED"], 20));
    expect(ops.takeChanges()).toEqual({
      migrations: { upsert: [expect.objectContaining({ key: "new" })], remove: ["old"] },
    });
    expect(
      ops
        .snapshot()
        .migrations.map((m) => m.key)
        .sort(),
    ).toEqual(["new", "running"]);
  });

  it("keeps a ring of decisions per rollout and sends only the new ones in a delta", () => {
    const ops = mirror();
    ops.rollout(rollout("r1", "PROGRESSING", [decision("w1", 1, 10), decision("w1", 2, 20)]));
    expect(ops.takeChanges()?.rollouts?.upsert?.[0]?.decisions.map((d) => d.key)).toEqual(["w1#1", "w1#2"]);

    // Read again after two more decisions: the read returns the recent ones, old ones included.
    ops.rollout(rollout("r1", "PROGRESSING", [decision("w1", 2, 20), decision("w1", 3, 30), decision("w1", 4, 40)]));
    expect(ops.takeChanges()?.rollouts?.upsert?.[0]?.decisions.map((d) => d.key)).toEqual(["w1#3", "w1#4"]);
    // The snapshot holds the last three (the ring's length).
    expect(ops.snapshot().rollouts[0]?.decisions.map((d) => d.key)).toEqual(["w1#2", "w1#3", "w1#4"]);

    // Nothing new and nothing changed: not news. A phase change alone is, with no decisions.
    ops.rollout(rollout("r1", "PROGRESSING", [decision("w1", 4, 40)]));
    expect(ops.takeChanges()).toBeUndefined();
    ops.rollout(rollout("r1", "PAUSED", [decision("w1", 4, 40)], 2));
    expect(ops.takeChanges()).toEqual({
      rollouts: { upsert: [expect.objectContaining({ phase: "PAUSED", decisions: [] })] },
    });
  });

  it("drops the oldest finished rollouts beyond the kept number", () => {
    const ops = mirror();
    ops.rollout(rollout("done-1", "PROMOTED", [], 1));
    ops.rollout(rollout("live", "PROGRESSING", [], 1));
    ops.rollout(rollout("done-2", "ABORTED", [], 2));
    expect(ops.takeChanges()?.rollouts).toEqual({
      upsert: [expect.objectContaining({ key: "live" }), expect.objectContaining({ key: "done-2" })],
      remove: ["done-1"],
    });
  });

  it("orders decisions of several waves by time and keeps the newest", () => {
    const kept = keepLatest(
      [decision("w2", 1, 30), decision("w1", 1, 10), decision("w1", 2, 20), decision("w2", 2, 40)],
      3,
    );
    expect(kept.map((d) => d.key)).toEqual(["w1#2", "w2#1", "w2#2"]);
  });
});
