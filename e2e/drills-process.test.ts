import { MigrationState } from "@sentra/proto";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  injectFailure,
  minReadyFrom,
  replicaTimeline,
  type SimulatedSatellite,
  startPricedSatellite,
  stepStates,
  sumTimelines,
} from "./support/migration-estate.js";
import { crashAtStepThenRecover, desiredStepsSince, scaleMoves, unfinishedRows } from "./support/saga-drill.js";

/**
 * Drills with nothing lost, on real processes over the real NATS, Redis and MariaDB (issue 14,
 * item 6): a coordinator SIGKILLed at every saga checkpoint; (further drills below).
 */

/** Tests that start (and restart) processes: generous, since CI machines are shared and small. */
const DRILL_TIMEOUT_MS = 90_000;

const EXPENSIVE = { m5: 0.1, c5: 0.1 };
const CHEAP = { m5: 0.02, c5: 0.03 };

describe("drill: a coordinator SIGKILLed at each saga checkpoint, then restarted", () => {
  let namespace: TestNamespace;
  let east1: SimulatedSatellite;
  let east2: SimulatedSatellite;
  const coordinatorEnv = {
    SENTRA_MIGRATION_READY_TIMEOUT_MS: "15000",
    SENTRA_MIGRATION_READY_CONFIRM_DELAY_MS: "300",
    SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
    SENTRA_MIGRATION_LOCK_TTL_MS: "1000",
    SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: "300",
  };

  beforeAll(async () => {
    namespace = await createTestNamespace("drillcrash");
    [east1, east2] = await Promise.all([
      startPricedSatellite(namespace, "us-east-1", EXPENSIVE, { SENTRA_SIM_READINESS_DELAY_MS: "200" }),
      startPricedSatellite(namespace, "us-east-2", CHEAP, { SENTRA_SIM_READINESS_DELAY_MS: "400" }),
    ]);
  }, DRILL_TIMEOUT_MS);
  afterAll(async () => {
    await namespace?.dispose();
  });

  const P = "PLANNED";
  const L = "LOCKED";
  const UP = "SCALING_UP_TARGET";
  const READY = "TARGET_READY";
  const DOWN = "SCALING_DOWN_SOURCE"; // a state passed through (its crash point is not drilled yet)
  const COMP = "COMPENSATING";

  /**
   * Every SagaCheckpoint that e2e/migration.test.ts does not crash at (it has TARGET_READY,
   * TARGET_SCALE_SENT and SOURCE_SCALE_SENT). Each row: where the doomed coordinator dies, the
   * journal's state then, the states the migration goes through (the takeover journals the state it
   * resumed once more), and the desired replicas of source and target from the drill's start.
   * Rows run in order: the last three reuse search-indexer, which compensation leaves in place.
   */
  const drills: {
    crashAt: string;
    name: string;
    states: string[];
    source: number[];
    target: number[];
    doomedEnv?: Record<string, string>;
    arrange?: () => Promise<void>;
  }[] = [
    { crashAt: P, name: "checkout-api", states: [P, P, L, UP, READY, DOWN, "DONE"], source: [3, 0], target: [3, 6] },
    { crashAt: L, name: "payments-worker", states: [P, L, L, UP, READY, DOWN, "DONE"], source: [2, 0], target: [2, 4] },
    {
      crashAt: UP,
      name: "storefront-web",
      states: [P, L, UP, UP, READY, DOWN, "DONE"],
      source: [4, 0],
      target: [4, 8],
    },
    // Terminal: the restarted coordinator must leave it alone (no takeover, nothing scaled again).
    {
      crashAt: "DONE",
      name: "ledger-db-proxy",
      states: [P, L, UP, READY, DOWN, "DONE"],
      source: [2, 0],
      target: [2, 4],
    },
    {
      crashAt: "COMPENSATED",
      name: "search-indexer",
      states: [P, L, UP, COMP, "COMPENSATED"],
      source: [2],
      target: [2, 4, 2],
      doomedEnv: { SENTRA_MIGRATION_READY_TIMEOUT_MS: "2500" },
      // The target never gets more than 3 of 4 ready; the doomed coordinator's deadline passes.
      arrange: () =>
        injectFailure(east2, { type: "failReadiness", namespace: "default", name: "search-indexer", maxReady: 3 }),
    },
  ];

  it.each(drills)(
    "killed at $crashAt ($name): one journal row, the resumed saga ends as journalled, each cluster scaled at most once per direction, capacity never drops",
    async (drill) => {
      await drill.arrange?.();
      const result = await crashAtStepThenRecover(namespace, {
        crashAt: drill.crashAt,
        name: drill.name,
        idempotencyKey: `drill-${drill.crashAt}`,
        source: east1,
        target: east2,
        env: coordinatorEnv,
        ...(drill.doomedEnv === undefined ? {} : { doomedEnv: drill.doomedEnv }),
        quietMs: 2_500,
      });
      // The crash happened right after the checkpoint was journalled.
      expect(result.atCrash.state).toBe(drill.crashAt);
      const terminal = ["DONE", "COMPENSATED", "FAILED"].includes(drill.crashAt);

      // Exactly one journal row, ended as the table says; nothing of the workload left unfinished.
      expect(result.rows).toHaveLength(1);
      expect(result.rows[0]?.state).toBe(drill.states.at(-1));
      expect(stepStates(result.end)).toEqual(drill.states);
      expect(await unfinishedRows(namespace, drill.name)).toEqual([]);
      if (terminal) {
        // A finished saga is not taken over: same fencing token, same steps, no recovery counted.
        expect(result.recoveries).toBe(0);
        expect(result.rows[0]).toEqual(result.atCrash);
      } else {
        expect(result.recoveries).toBe(1);
        expect(result.rows[0]?.fencing_token).toBeGreaterThan(result.atCrash.fencing_token);
        expect(result.end.steps[stepStates(result.end).lastIndexOf(drill.crashAt)]?.detail).toMatch(
          new RegExp(`resumed from the journal .* in state ${drill.crashAt}`),
        );
      }
      expect(MigrationState[result.end.state]).toBe(drill.states.at(-1));

      const source = await replicaTimeline(east1, drill.name);
      const target = await replicaTimeline(east2, drill.name);
      const sourceSteps = desiredStepsSince(source, result.startedAtMs);
      const targetSteps = desiredStepsSince(target, result.startedAtMs);
      expect({ source: sourceSteps, target: targetSteps }).toEqual({ source: drill.source, target: drill.target });
      for (const steps of [sourceSteps, targetSteps]) {
        const moves = scaleMoves(steps);
        expect(moves.up).toBeLessThanOrEqual(1);
        expect(moves.down).toBeLessThanOrEqual(1);
      }
      // Make-before-break held through the crash: never fewer ready over both than at the start.
      const before =
        (source.filter((p) => p.atMs <= result.startedAtMs).at(-1)?.ready ?? 0) +
        (target.filter((p) => p.atMs <= result.startedAtMs).at(-1)?.ready ?? 0);
      expect(before).toBe((drill.source[0] ?? 0) + (drill.target[0] ?? 0));
      expect(minReadyFrom(sumTimelines([source, target]), result.startedAtMs)).toBeGreaterThanOrEqual(before);
    },
    DRILL_TIMEOUT_MS,
  );
});
