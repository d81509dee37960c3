import { create } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import { MigrationPlanSchema } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import type { MigrationRecord } from "./migration-record.js";
import { runMigrationSaga, type SagaCheckpoint, type SagaJournal, type SagaPorts } from "./migration-saga.js";
import type { MigrationStateName } from "./migration-state-machine.js";
import type { GatewayCallOptions, SatelliteGateway, WorkloadLocation } from "./satellite-gateway.js";

/** A Deployment as the fake satellite holds it, with the same idempotency rules as the real one. */
interface FakeDeployment {
  desired: number;
  ready: number;
  lastCommand?: string;
  lastPrevious?: number;
  /** Ready never exceeds this (failReadiness). */
  maxReady?: number;
}

/** Simulated clusters behind a fake SatelliteGateway, on a fake clock. */
class FakeEstate implements SatelliteGateway {
  readonly deployments = new Map<string, FakeDeployment>();
  readonly commands: { key: string; replicas: number; expected: number; outcome: string }[] = [];
  /** The fencing token each scale command carried. */
  readonly fencingTokens: (number | undefined)[] = [];
  readonly timeouts: number[] = [];
  readonly unreachable = new Set<string>();
  /** Satellites the estate holds as not live (missed heartbeats). */
  readonly notLive = new Set<string>();
  /** Per satellite, ready counts the next reads return instead of the real one (a flapping target). */
  readonly scriptedReady = new Map<string, number[]>();
  readinessDelayMs = 100;
  private readonly pending: { atMs: number; apply: () => void }[] = [];
  nowMs = 1_000_000;

  add(satelliteId: string, desired: number, extra: Partial<FakeDeployment> = {}): void {
    this.deployments.set(satelliteId, { desired, ready: desired, ...extra });
  }

  get(satelliteId: string): FakeDeployment {
    const deployment = this.deployments.get(satelliteId);
    if (deployment === undefined) throw new Error(`no deployment on ${satelliteId}`);
    return deployment;
  }

  advance(ms: number): void {
    this.nowMs += ms;
    for (const item of this.pending.filter((p) => p.atMs <= this.nowMs)) {
      item.apply();
      this.pending.splice(this.pending.indexOf(item), 1);
    }
  }

  async getWorkload(location: WorkloadLocation, options: GatewayCallOptions) {
    this.check(location, options);
    const d = this.get(location.satelliteId);
    const scripted = this.scriptedReady.get(location.satelliteId)?.shift();
    return { desired: d.desired, ready: scripted ?? d.ready };
  }

  async isLive(satelliteId: string) {
    return !this.notLive.has(satelliteId);
  }

  async scaleWorkload(
    location: WorkloadLocation,
    replicas: number,
    key: string,
    expected: number,
    options: GatewayCallOptions,
  ) {
    this.check(location, options);
    this.fencingTokens.push(options.fencingToken);
    const d = this.get(location.satelliteId);
    if (d.lastCommand === key) {
      this.commands.push({ key, replicas, expected, outcome: "replayed" });
      return { desired: d.desired, ready: d.ready, previous: d.lastPrevious ?? d.desired, replayed: true };
    }
    if (d.desired !== expected) {
      this.commands.push({ key, replicas, expected, outcome: "refused" });
      throw new SentraError("FAILED_PRECONDITION", `has ${d.desired}, expected ${expected}`, {
        details: { actual: d.desired, expected },
      });
    }
    this.commands.push({ key, replicas, expected, outcome: "applied" });
    const previous = d.desired;
    d.desired = replicas;
    d.lastCommand = key;
    d.lastPrevious = previous;
    if (replicas <= d.ready) d.ready = replicas;
    else {
      this.pending.push({
        atMs: this.nowMs + this.readinessDelayMs,
        apply: () => {
          d.ready = Math.min(d.desired, d.maxReady ?? Number.POSITIVE_INFINITY);
        },
      });
    }
    return { desired: d.desired, ready: d.ready, previous, replayed: false };
  }

  private check(location: WorkloadLocation, options: GatewayCallOptions): void {
    this.timeouts.push(options.timeoutMs);
    if (this.unreachable.has(location.satelliteId)) {
      // An unreachable satellite costs the whole call deadline, as a real one would.
      this.advance(options.timeoutMs);
      throw new SentraError("DEADLINE_EXCEEDED", `${location.satelliteId}: deadline exceeded`);
    }
  }
}

class MemoryJournal implements SagaJournal {
  readonly states: MigrationStateName[] = [];
  constructor(private readonly estate: FakeEstate) {}
  async advance(record: MigrationRecord, to: MigrationStateName, change: Parameters<SagaJournal["advance"]>[2]) {
    this.states.push(to);
    const sequence = record.stepCount + 1;
    return {
      ...record,
      ...change.patch,
      state: to,
      stepCount: sequence,
      updatedAtMs: this.estate.nowMs,
      steps: [...record.steps, { sequence, state: to, atMs: this.estate.nowMs, detail: change.detail }],
    };
  }
}

const SOURCE = "aws-us-east-1";
const TARGET = "aws-us-east-2";

function record(overrides: Partial<MigrationRecord> = {}): MigrationRecord {
  return {
    id: "m-1",
    idempotencyKey: "k-1",
    workloadKey: "shop/checkout",
    source: { satelliteId: SOURCE, cluster: "c1", namespace: "shop", name: "checkout" },
    target: { satelliteId: TARGET, cluster: "c2", cloud: "aws", region: "us-east-2" },
    requestedTarget: "",
    state: "PLANNED",
    plan: create(MigrationPlanSchema, {}),
    requestedBy: "test",
    fencingToken: 7,
    stepCount: 1,
    sourceReplicas: null,
    targetReplicasBefore: null,
    targetReplicasGoal: null,
    readyDeadlineMs: null,
    error: null,
    createdAtMs: 0,
    updatedAtMs: 0,
    finishedAtMs: null,
    steps: [],
    ...overrides,
  };
}

function harness(options: { crashAt?: SagaCheckpoint } = {}) {
  const estate = new FakeEstate();
  const journal = new MemoryJournal(estate);
  const checkpoints: SagaCheckpoint[] = [];
  const ports: SagaPorts = {
    journal,
    satellites: estate,
    clock: { nowMs: () => estate.nowMs },
    options: {
      readyTimeoutMs: 5_000,
      stepTimeoutMs: 3_000,
      callTimeoutMs: 500,
      pollIntervalMs: 200,
      readyConfirmDelayMs: 300,
    },
    sleep: async (ms) => estate.advance(ms),
    checkpoint: (point) => {
      checkpoints.push(point);
      if (point === options.crashAt) throw new Error(`crash at ${point}`);
    },
  };
  return { estate, journal, ports, checkpoints };
}

const run = (m: MigrationRecord, ports: SagaPorts) => runMigrationSaga(m, ports, new AbortController().signal);

describe("migration saga (fake satellites, fake clock)", () => {
  it("scales the target up to its own replicas plus the source's, waits for ready, then scales the source down", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 2);
    const done = await run(record(), ports);
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE", "DONE"]);
    expect(estate.commands).toEqual([
      { key: "m-1/scale-up-target", replicas: 5, expected: 2, outcome: "applied" },
      { key: "m-1/scale-down-source", replicas: 0, expected: 3, outcome: "applied" },
    ]);
    expect(estate.get(TARGET)).toMatchObject({ desired: 5, ready: 5 });
    expect(estate.get(SOURCE).desired).toBe(0);
    expect(done).toMatchObject({ sourceReplicas: 3, targetReplicasBefore: 2, targetReplicasGoal: 5 });
    expect(done.readyDeadlineMs).toBe(1_000_000 + 5_000);
    // Every satellite call had a deadline no longer than the per-call limit.
    expect(Math.max(...estate.timeouts)).toBeLessThanOrEqual(500);
  });

  it("sends its fencing token with every scale command, compensation included, so satellites can refuse a deposed owner", async () => {
    const moved = harness();
    moved.estate.add(SOURCE, 3);
    moved.estate.add(TARGET, 2);
    await run(record({ fencingToken: 41 }), moved.ports);
    expect(moved.estate.fencingTokens).toEqual([41, 41]);

    const compensated = harness();
    compensated.estate.add(SOURCE, 3);
    compensated.estate.add(TARGET, 0, { maxReady: 1 });
    await run(record({ fencingToken: 42 }), compensated.ports);
    expect(compensated.journal.states.at(-1)).toBe("COMPENSATED");
    expect(compensated.estate.fencingTokens).toEqual([42, 42]);
  });

  it("compensates when the target never becomes ready, and never touches the source", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0, { maxReady: 2 });
    const end = await run(record(), ports);
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET", "COMPENSATING", "COMPENSATED"]);
    expect(end.error).toMatch(/not ready by the deadline: 2 of 3 replicas ready/);
    expect(estate.get(TARGET).desired).toBe(0);
    expect(estate.get(SOURCE)).toMatchObject({ desired: 3, ready: 3 });
    expect(estate.commands.map((c) => c.key)).toEqual(["m-1/scale-up-target", "m-1/compensate-target"]);
    expect(estate.nowMs - 1_000_000).toBeGreaterThanOrEqual(5_000);
    expect(estate.nowMs - 1_000_000).toBeLessThan(5_700);
  });

  it("confirms a ready target with a second read after the delay: a target that flaps back to unready keeps the source", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0);
    estate.readinessDelayMs = 0;
    // After the saga's first look at the target (0 ready), every poll says ready and the read after
    // it (the confirmation) says 1 of 3: flapping, always.
    estate.scriptedReady.set(TARGET, [0, ...Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? 3 : 1))]);
    const end = await run(record(), ports);
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET", "COMPENSATING", "COMPENSATED"]);
    expect(end.error).toMatch(/not ready by the deadline: 3 of 3 replicas ready; not confirmed/);
    expect(end.steps.some((step) => step.state === "TARGET_READY")).toBe(false);
    expect(estate.get(SOURCE)).toMatchObject({ desired: 3, ready: 3 });
    expect(estate.commands.map((c) => c.key)).toEqual(["m-1/scale-up-target", "m-1/compensate-target"]);
  });

  it("moves once a flapping target holds ready across the second read", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0);
    estate.readinessDelayMs = 0;
    // The saga's first look (0 ready); a poll says ready, the confirmation 1 of 3; then ready twice in a row.
    estate.scriptedReady.set(TARGET, [0, 3, 1]);
    const started = estate.nowMs;
    const done = await run(record(), ports);
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE", "DONE"]);
    expect(done.steps.find((step) => step.state === "TARGET_READY")?.detail).toMatch(/confirmed by a second read/);
    // Two confirmations of 300 ms each were waited for.
    expect(estate.nowMs - started).toBeGreaterThanOrEqual(600);
  });

  it("does not scale the source down while the target's satellite is not live in the estate", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0);
    estate.notLive.add(TARGET);
    const end = await run(record(), ports);
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET", "COMPENSATING", "COMPENSATED"]);
    expect(end.error).toMatch(/not confirmed: satellite aws-us-east-2 is not live in the estate/);
    expect(estate.get(SOURCE).desired).toBe(3);
  });

  it("resumes a saga killed after the scale-up was sent: the command replays, the target is scaled once", async () => {
    const first = harness({ crashAt: "TARGET_SCALE_SENT" });
    first.estate.add(SOURCE, 3);
    first.estate.add(TARGET, 1);
    let crashedAt: MigrationRecord | undefined;
    const journal: SagaJournal = {
      advance: async (...args) => {
        crashedAt = await first.journal.advance(...args);
        return crashedAt;
      },
    };
    await expect(run(record(), { ...first.ports, journal })).rejects.toThrow(/crash at TARGET_SCALE_SENT/);
    expect(crashedAt?.state).toBe("SCALING_UP_TARGET");

    const resumed = await run(crashedAt as MigrationRecord, { ...first.ports, checkpoint: () => {} });
    expect(resumed.state).toBe("DONE");
    expect(first.estate.commands.map((c) => `${c.key}:${c.outcome}`)).toEqual([
      "m-1/scale-up-target:applied",
      "m-1/scale-up-target:replayed",
      "m-1/scale-down-source:applied",
    ]);
    expect(first.estate.get(TARGET).desired).toBe(4);
  });

  it("resumes a saga killed after the scale-down was sent: DONE, the source scaled exactly once", async () => {
    const { estate, journal, ports } = harness({ crashAt: "SOURCE_SCALE_SENT" });
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0);
    let last: MigrationRecord | undefined;
    const spy: SagaJournal = {
      advance: async (...args) => {
        last = await journal.advance(...args);
        return last;
      },
    };
    await expect(run(record(), { ...ports, journal: spy })).rejects.toThrow(/SOURCE_SCALE_SENT/);
    expect(last?.state).toBe("SCALING_DOWN_SOURCE");
    const resumed = await run(last as MigrationRecord, { ...ports, checkpoint: () => {} });
    expect(resumed.state).toBe("DONE");
    expect(resumed.steps.at(-1)?.detail).toMatch(/replayed/);
    expect(estate.commands.filter((c) => c.key === "m-1/scale-down-source").map((c) => c.outcome)).toEqual([
      "applied",
      "replayed",
    ]);
    expect(estate.get(SOURCE).desired).toBe(0);
  });

  it("compensates when the source refuses its scale-down (someone changed it), leaving the source as they set it", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0);
    const once = ports.journal;
    const journalThatRescales: SagaJournal = {
      advance: async (m, to, change) => {
        if (to === "SCALING_DOWN_SOURCE") estate.get(SOURCE).desired = 4; // an operator scaled it meanwhile
        return once.advance(m, to, change);
      },
    };
    const end = await run(record(), { ...ports, journal: journalThatRescales });
    expect(journal.states.slice(-3)).toEqual(["SCALING_DOWN_SOURCE", "COMPENSATING", "COMPENSATED"]);
    expect(end.error).toMatch(/source refused its scale-down/);
    expect(estate.get(SOURCE).desired).toBe(4);
    expect(estate.get(TARGET).desired).toBe(0);
  });

  it("gives up (FAILED, both copies up) when the source's satellite stays unreachable after the target is ready", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 2);
    estate.add(TARGET, 0);
    const once = ports.journal;
    const cut: SagaJournal = {
      advance: async (m, to, change) => {
        if (to === "TARGET_READY") estate.unreachable.add(SOURCE);
        return once.advance(m, to, change);
      },
    };
    const end = await run(record(), { ...ports, journal: cut });
    expect(journal.states.slice(-2)).toEqual(["SCALING_DOWN_SOURCE", "FAILED"]);
    expect(end.error).toMatch(/could not be scaled down.*Both copies run \(target 2, source 2/);
    expect(estate.get(SOURCE).desired).toBe(2);
    expect(estate.get(TARGET)).toMatchObject({ desired: 2, ready: 2 });
  });

  it("does not hang on an unreachable target satellite: compensates by the ready deadline with nothing to undo", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 1);
    estate.unreachable.add(TARGET);
    const end = await run(record(), ports);
    expect(journal.states).toEqual(["LOCKED", "COMPENSATING", "COMPENSATED"]);
    expect(end.steps.at(-1)?.detail).toMatch(/nothing to undo/);
    expect(end.error).toMatch(/no answer before the deadline.*deadline exceeded/);
    expect(estate.nowMs - 1_000_000).toBeLessThanOrEqual(5_000 + 500);
    expect(estate.get(SOURCE).desired).toBe(3);
  });

  it("treats a refused scale-up (target changed under it) as nothing to undo", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 1);
    const once = ports.journal;
    const racing: SagaJournal = {
      advance: async (m, to, change) => {
        if (to === "SCALING_UP_TARGET") estate.get(TARGET).desired = 2;
        return once.advance(m, to, change);
      },
    };
    const end = await run(record(), { ...ports, journal: racing });
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET", "COMPENSATING", "COMPENSATED"]);
    expect(end.error).toMatch(/refused the scale-up from 1 to 4 and was not changed/);
    expect(estate.get(TARGET).desired).toBe(2);
    expect(estate.commands.map((c) => c.outcome)).toEqual(["refused"]);
  });

  it("compensation restores nothing when the scale-up never landed, and fails loudly when someone else changed the target", async () => {
    const quiet = harness();
    quiet.estate.add(SOURCE, 3);
    quiet.estate.add(TARGET, 1);
    const atCompensation = record({
      state: "COMPENSATING",
      sourceReplicas: 3,
      targetReplicasBefore: 1,
      targetReplicasGoal: 4,
      error: "deadline",
    });
    const compensated = await run(atCompensation, quiet.ports);
    expect(compensated.state).toBe("COMPENSATED");
    expect(compensated.steps.at(-1)?.detail).toMatch(/scale-up never took effect/);

    const meddled = harness();
    meddled.estate.add(SOURCE, 3);
    meddled.estate.add(TARGET, 7);
    const failed = await run(atCompensation, meddled.ports);
    expect(failed.state).toBe("FAILED");
    expect(failed.error).toMatch(/has 7 desired replicas, not the 4 this migration set: someone else changed it/);
    expect(meddled.estate.get(TARGET).desired).toBe(7);
  });

  it("stops without journalling when aborted (shutdown, lost lock), leaving the state for recovery", async () => {
    const { estate, journal, ports } = harness();
    estate.add(SOURCE, 3);
    estate.add(TARGET, 0);
    estate.readinessDelayMs = 60_000;
    const controller = new AbortController();
    const sleeping: SagaPorts = {
      ...ports,
      sleep: async (ms) => {
        estate.advance(ms);
        if (estate.nowMs - 1_000_000 > 1_000) controller.abort(new SentraError("ABORTED", "lost the lock"));
      },
    };
    await expect(runMigrationSaga(record(), sleeping, controller.signal)).rejects.toThrow(/lost the lock/);
    expect(journal.states).toEqual(["LOCKED", "SCALING_UP_TARGET"]);
  });
});
