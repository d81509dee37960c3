import { RolloutWaveStatus } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import type { PhaseName } from "./rollout-phases.js";
import { type PlanTiming, planWaves, type RolloutView, type WaveView, waveStatusOf } from "./wave-plan.js";

const NOW = 1_000_000;
const timing: PlanTiming = { nowMs: NOW, dispatchTimeoutMs: 60_000, retryIntervalMs: 2_000, abortResendMs: 30_000 };

function wave(index: number, overrides: Partial<WaveView> = {}): WaveView {
  return {
    index,
    satelliteId: `sat-${index + 1}`,
    dispatch: "waiting",
    dispatchSinceMs: NOW - 1_000,
    attemptedAtMs: null,
    phase: "PENDING",
    reported: false,
    canaryWeight: 0,
    message: "",
    revert: null,
    ...overrides,
  };
}

const running = (index: number, phase: PhaseName, overrides: Partial<WaveView> = {}): WaveView =>
  wave(index, { dispatch: "started", phase, reported: true, attemptedAtMs: NOW - 5_000, ...overrides });

function rollout(waves: WaveView[], overrides: Partial<RolloutView> = {}): RolloutView {
  return {
    origin: "coordinator",
    phase: "PROGRESSING",
    rollbackCompletedWaves: true,
    abort: null,
    waves,
    ...overrides,
  };
}

describe("wave plan", () => {
  it("starts the first wave of a new rollout and stays PENDING until it runs", () => {
    const plan = planWaves(rollout([wave(0), wave(1)], { phase: "PENDING" }), timing);
    expect(plan.commands).toEqual([{ kind: "start", index: 0 }]);
    expect(plan.phase).toBe("PENDING");
    expect(plan.currentWave).toBe(0);
  });

  it("starts wave 2 only once wave 1 is PROMOTED, and mirrors a pause of the wave in flight", () => {
    const progressing = planWaves(rollout([running(0, "PROGRESSING"), wave(1)]), timing);
    expect(progressing.commands).toEqual([]);
    expect(progressing.phase).toBe("PROGRESSING");

    const paused = planWaves(rollout([running(0, "PAUSED"), wave(1)]), timing);
    expect(paused.phase).toBe("PAUSED");

    const next = planWaves(rollout([running(0, "PROMOTED"), wave(1)]), timing);
    expect(next.commands).toEqual([{ kind: "start", index: 1 }]);
    expect(next.phase).toBe("PROGRESSING");
    expect(next.currentWave).toBe(1);
  });

  it("is PROMOTED once every wave is", () => {
    const plan = planWaves(rollout([running(0, "PROMOTED"), running(1, "PROMOTED")]), timing);
    expect(plan.phase).toBe("PROMOTED");
    expect(plan.commands).toEqual([]);
    expect(plan.message).toBe("all 2 wave(s) promoted");
  });

  it("retries an unanswered start no more often than the retry interval, then fails it after the dispatch timeout", () => {
    const justTried = wave(0, { dispatch: "starting", attemptedAtMs: NOW - 500, message: "UNAVAILABLE: down" });
    expect(planWaves(rollout([justTried]), timing).commands).toEqual([]);

    const due = wave(0, { dispatch: "starting", attemptedAtMs: NOW - 2_500 });
    expect(planWaves(rollout([due]), timing).commands).toEqual([{ kind: "start", index: 0 }]);

    const expired = wave(0, {
      dispatch: "starting",
      dispatchSinceMs: NOW - 61_000,
      attemptedAtMs: NOW - 2_500,
      message: "UNAVAILABLE: down",
    });
    const plan = planWaves(rollout([expired, wave(1)]), timing);
    expect(plan.updates).toEqual([
      { index: 0, dispatch: "start_failed", message: "not accepted by sat-1 within 60 s (UNAVAILABLE: down)" },
      {
        index: 1,
        dispatch: "halted",
        message: "halted: wave 1 (sat-1) could not be started (not accepted by sat-1 within 60 s (UNAVAILABLE: down))",
      },
    ]);
    expect(plan.commands).toEqual([]);
    // Whether the start reached its satellite is unknown: a person must look.
    expect(plan.phase).toBe("FAILED");
  });

  it("treats a start confirmed only by an event (the answer was lost) as started", () => {
    const plan = planWaves(rollout([wave(0, { dispatch: "starting", reported: true, phase: "WARMING_UP" })]), timing);
    expect(plan.updates).toEqual([{ index: 0, dispatch: "started", message: "" }]);
    expect(plan.phase).toBe("PROGRESSING");
  });

  it("halts later waves and reverts promoted ones when a wave rolls back", () => {
    const view = rollout([
      running(0, "PROMOTED"),
      running(1, "ROLLED_BACK", { message: "3 consecutive breaches of error_rate" }),
      wave(2),
    ]);
    const plan = planWaves(view, timing);
    expect(plan.updates).toEqual([
      {
        index: 0,
        dispatch: "reverting",
        message: "reverting: wave 2 (sat-2) rolled back (3 consecutive breaches of error_rate)",
      },
      {
        index: 2,
        dispatch: "halted",
        message: "halted: wave 2 (sat-2) rolled back (3 consecutive breaches of error_rate)",
      },
    ]);
    expect(plan.commands).toEqual([{ kind: "revert", index: 0 }]);
    expect(plan.phase).toBe("ROLLING_BACK");
    expect(plan.currentWave).toBe(1);
  });

  it("leaves promoted waves alone when the rollout does not ask for their rollback", () => {
    const plan = planWaves(
      rollout([running(0, "PROMOTED"), running(1, "ROLLED_BACK"), wave(2)], { rollbackCompletedWaves: false }),
      timing,
    );
    expect(plan.commands).toEqual([]);
    expect(plan.phase).toBe("ROLLED_BACK");
    expect(plan.message).toBe("wave 2 (sat-2) rolled back; 1 wave(s) halted; 1 promoted wave(s) left promoted");
  });

  it("finishes a revert when the satellite aborted the promoted wave itself, or the reverse rollout reached 100 %", () => {
    const aborted = planWaves(
      rollout([
        running(0, "ABORTED", { dispatch: "reverting" }),
        running(1, "ROLLED_BACK"),
        wave(2, { dispatch: "halted" }),
      ]),
      timing,
    );
    expect(aborted.updates[0]).toMatchObject({ index: 0, dispatch: "reverted" });
    expect(aborted.phase).toBe("ROLLED_BACK");

    const reverse = planWaves(
      rollout([
        running(0, "PROMOTED", {
          dispatch: "reverting",
          revert: { dispatch: "started", attemptedAtMs: NOW - 3_000, phase: "PROGRESSING", canaryWeight: 100 },
        }),
        running(1, "ROLLED_BACK"),
      ]),
      timing,
    );
    expect(reverse.updates).toEqual([
      {
        index: 0,
        dispatch: "reverted",
        message: "reverted: a reverse rollout moved all traffic back to the stable version",
      },
    ]);
    expect(reverse.phase).toBe("ROLLED_BACK");
    expect(reverse.message).toBe("wave 2 (sat-2) rolled back; 1 promoted wave(s) reverted");
  });

  it("keeps retrying a revert until the dispatch timeout, then needs a person", () => {
    const pending = rollout([
      running(0, "PROMOTED", { dispatch: "reverting", attemptedAtMs: NOW - 3_000 }),
      running(1, "ROLLED_BACK"),
    ]);
    expect(planWaves(pending, timing).commands).toEqual([{ kind: "revert", index: 0 }]);
    expect(planWaves(pending, timing).phase).toBe("ROLLING_BACK");

    const refused = rollout([
      running(0, "PROMOTED", {
        dispatch: "reverting",
        message: "sat-1 refused the reverse rollout: no Deployment shop/api-v1",
        revert: { dispatch: "start_failed", attemptedAtMs: NOW - 3_000, phase: "PENDING", canaryWeight: 0 },
      }),
      running(1, "ROLLED_BACK"),
    ]);
    const plan = planWaves(refused, timing);
    expect(plan.updates[0]).toMatchObject({ index: 0, dispatch: "revert_failed" });
    expect(plan.phase).toBe("FAILED");

    const reverseRolledBack = planWaves(
      rollout([
        running(0, "PROMOTED", {
          dispatch: "reverting",
          revert: { dispatch: "started", attemptedAtMs: NOW, phase: "ROLLED_BACK", canaryWeight: 0 },
        }),
        running(1, "ROLLED_BACK"),
      ]),
      timing,
    );
    expect(reverseRolledBack.updates[0]).toMatchObject({ dispatch: "revert_failed" });
  });

  it("is FAILED when a wave ends FAILED (its rollback could not be confirmed)", () => {
    const plan = planWaves(rollout([running(0, "FAILED"), wave(1)]), timing);
    expect(plan.phase).toBe("FAILED");
    expect(plan.message).toContain("needs a person");
  });

  it("on a user abort aborts the wave in flight, halts the rest, and resends the abort only after a while", () => {
    const view = rollout([running(0, "PROMOTED"), running(1, "PROGRESSING"), wave(2)], {
      abort: { rollbackCompletedWaves: false },
    });
    const plan = planWaves(view, timing);
    expect(plan.updates).toEqual([
      { index: 1, dispatch: "aborting", message: "aborting: aborted" },
      { index: 2, dispatch: "halted", message: "halted: aborted" },
    ]);
    expect(plan.commands).toEqual([{ kind: "abort", index: 1 }]);
    expect(plan.phase).toBe("ROLLING_BACK");

    const sent = rollout(
      [running(0, "PROMOTED"), running(1, "ROLLING_BACK", { dispatch: "aborting", attemptedAtMs: NOW - 1_000 })],
      { abort: { rollbackCompletedWaves: false } },
    );
    expect(planWaves(sent, timing).commands).toEqual([]);
    const stale = rollout(
      [running(0, "PROMOTED"), running(1, "ROLLING_BACK", { dispatch: "aborting", attemptedAtMs: NOW - 31_000 })],
      { abort: { rollbackCompletedWaves: false } },
    );
    expect(planWaves(stale, timing).commands).toEqual([{ kind: "abort", index: 1 }]);

    const done = rollout(
      [running(0, "PROMOTED"), running(1, "ABORTED", { dispatch: "aborting" }), wave(2, { dispatch: "halted" })],
      { abort: { rollbackCompletedWaves: false } },
    );
    expect(planWaves(done, timing).phase).toBe("ABORTED");
  });

  it("aborts a wave whose start may have reached its satellite", () => {
    const plan = planWaves(
      rollout([wave(0, { dispatch: "starting", attemptedAtMs: NOW - 5_000 })], {
        abort: { rollbackCompletedWaves: true },
      }),
      timing,
    );
    expect(plan.commands).toEqual([{ kind: "abort", index: 0 }]);
    expect(plan.phase).toBe("ROLLING_BACK");
  });

  it("stays PROMOTED when an abort arrives after the last wave was promoted", () => {
    const plan = planWaves(
      rollout([running(0, "PROMOTED"), running(1, "PROMOTED")], { abort: { rollbackCompletedWaves: false } }),
      timing,
    );
    expect(plan.phase).toBe("PROMOTED");
    expect(plan.commands).toEqual([]);
  });

  it("mirrors the one wave of a rollout started on a satellite directly and never commands it", () => {
    const plan = planWaves(rollout([running(0, "ROLLED_BACK")], { origin: "satellite" }), timing);
    expect(plan).toMatchObject({ phase: "ROLLED_BACK", commands: [], updates: [] });
  });

  it("gives each dispatch state and phase one client-facing status", () => {
    expect(waveStatusOf("waiting", "PENDING")).toBe(RolloutWaveStatus.WAITING);
    expect(waveStatusOf("started", "PROGRESSING")).toBe(RolloutWaveStatus.RUNNING);
    expect(waveStatusOf("started", "PROMOTED")).toBe(RolloutWaveStatus.PROMOTED);
    expect(waveStatusOf("aborting", "ABORTED")).toBe(RolloutWaveStatus.ROLLED_BACK);
    expect(waveStatusOf("started", "FAILED")).toBe(RolloutWaveStatus.FAILED);
    expect(waveStatusOf("lost", "PROGRESSING")).toBe(RolloutWaveStatus.FAILED);
    expect(waveStatusOf("reverting", "PROMOTED")).toBe(RolloutWaveStatus.REVERTING);
    expect(waveStatusOf("halted", "PENDING")).toBe(RolloutWaveStatus.HALTED);
  });
});
