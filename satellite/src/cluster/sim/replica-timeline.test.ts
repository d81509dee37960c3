import { describe, expect, it } from "vitest";
import { minReadyReplicas, ReplicaTimeline, sumReplicaTimelines } from "./replica-timeline.js";

describe("ReplicaTimeline", () => {
  it("records only changes, per workload", () => {
    let now = 0;
    const timeline = new ReplicaTimeline({ now: () => now });
    timeline.record("ns", "a", 3, 3);
    now = 10;
    timeline.record("ns", "a", 3, 3);
    timeline.record("ns", "a", 5, 3);
    now = 20;
    timeline.record("ns", "a", 5, 5);
    expect(timeline.points("ns", "a")).toEqual([
      { atMs: 0, desired: 3, ready: 3 },
      { atMs: 10, desired: 5, ready: 3 },
      { atMs: 20, desired: 5, ready: 5 },
    ]);
    expect(timeline.points("ns", "missing")).toEqual([]);
    expect(timeline.workloads()).toEqual([{ namespace: "ns", name: "a" }]);
  });

  it("sums timelines of two clusters to check a make-before-break migration", () => {
    const source = [
      { atMs: 0, desired: 3, ready: 3 },
      { atMs: 40, desired: 0, ready: 0 },
    ];
    const target = [
      { atMs: 10, desired: 3, ready: 0 },
      { atMs: 30, desired: 3, ready: 3 },
    ];
    const total = sumReplicaTimelines([source, target]);
    expect(total).toEqual([
      { atMs: 0, desired: 3, ready: 3 },
      { atMs: 10, desired: 6, ready: 3 },
      { atMs: 30, desired: 6, ready: 6 },
      { atMs: 40, desired: 3, ready: 3 },
    ]);
    expect(minReadyReplicas(total)).toBe(3);
    expect(minReadyReplicas(total, { fromMs: 15, toMs: 35 })).toBe(3);
    expect(minReadyReplicas(total, { fromMs: 30 })).toBe(3);
    expect(minReadyReplicas([], {})).toBeUndefined();
  });
});
