import { MigrationState } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import {
  allowedEvents,
  isTerminal,
  MIGRATION_STATES,
  type MigrationEvent,
  type MigrationStateName,
  toMigrationStateEnum,
  transition,
} from "./migration-state-machine.js";

const run = (events: MigrationEvent[], from: MigrationStateName = "PLANNED"): MigrationStateName[] => {
  const states: MigrationStateName[] = [from];
  for (const event of events) states.push(transition(states.at(-1) as MigrationStateName, event));
  return states;
};

describe("migration state machine", () => {
  it("walks the make-before-break happy path", () => {
    expect(
      run([
        { type: "lock-confirmed" },
        { type: "scale-up-requested" },
        { type: "target-ready" },
        { type: "scale-down-requested" },
        { type: "source-scaled-down" },
      ]),
    ).toEqual(["PLANNED", "LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE", "DONE"]);
  });

  it("compensates any failure before the target is ready", () => {
    for (const state of ["PLANNED", "LOCKED", "SCALING_UP_TARGET"] as const) {
      expect(transition(state, { type: "failed", reason: "x" })).toBe("COMPENSATING");
    }
    expect(run([{ type: "failed", reason: "deadline" }, { type: "compensated" }], "SCALING_UP_TARGET")).toEqual([
      "SCALING_UP_TARGET",
      "COMPENSATING",
      "COMPENSATED",
    ]);
    expect(transition("COMPENSATING", { type: "compensation-failed", reason: "unreachable" })).toBe("FAILED");
  });

  it("never compensates once the target is ready, except when the source refused without changing", () => {
    expect(() => transition("TARGET_READY", { type: "failed", reason: "x" })).toThrow(/cannot take event failed/);
    expect(() => transition("SCALING_DOWN_SOURCE", { type: "failed", reason: "x" })).toThrow();
    expect(transition("SCALING_DOWN_SOURCE", { type: "source-refused", reason: "changed" })).toBe("COMPENSATING");
    expect(transition("SCALING_DOWN_SOURCE", { type: "gave-up", reason: "unreachable" })).toBe("FAILED");
    expect(transition("TARGET_READY", { type: "gave-up", reason: "unreachable" })).toBe("FAILED");
  });

  it("refuses to skip steps or leave a terminal state, with FAILED_PRECONDITION", () => {
    expect(() => transition("LOCKED", { type: "target-ready" })).toThrow(
      expect.objectContaining({ code: "FAILED_PRECONDITION" }),
    );
    expect(() => transition("PLANNED", { type: "source-scaled-down" })).toThrow();
    for (const state of ["DONE", "COMPENSATED", "FAILED"] as const) {
      expect(isTerminal(state)).toBe(true);
      expect(allowedEvents(state)).toEqual([]);
    }
    expect(MIGRATION_STATES.filter((state) => !isTerminal(state))).toHaveLength(6);
  });

  it("accepts no other (state, event) pair than the documented ones", () => {
    const events: MigrationEvent["type"][] = [
      "lock-confirmed",
      "scale-up-requested",
      "target-ready",
      "scale-down-requested",
      "source-scaled-down",
      "failed",
      "source-refused",
      "gave-up",
      "compensated",
      "compensation-failed",
    ];
    let allowed = 0;
    for (const state of MIGRATION_STATES) {
      for (const type of events) {
        try {
          transition(state, { type, reason: "r" } as MigrationEvent);
          allowed++;
        } catch {
          // refused
        }
      }
    }
    expect(allowed).toBe(13);
  });

  it("names states exactly as the wire enum", () => {
    for (const state of MIGRATION_STATES) {
      expect(MigrationState[toMigrationStateEnum(state)]).toBe(state);
    }
    expect(Object.keys(MigrationState).filter((key) => Number.isNaN(Number(key)))).toEqual([
      "UNSPECIFIED",
      ...MIGRATION_STATES,
    ]);
  });
});
