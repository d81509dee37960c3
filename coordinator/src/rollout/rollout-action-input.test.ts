import { SentraError } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { parseInput } from "../migration/migration-input.js";
import { abortRolloutInputSchema, promoteRolloutInputSchema } from "./rollout-action-input.js";

const refusal = (run: () => unknown): { field?: string; message: string } => {
  try {
    run();
  } catch (error) {
    const sentra = SentraError.from(error);
    expect(sentra.code).toBe("INVALID_ARGUMENT");
    return { field: sentra.field, message: sentra.message };
  }
  throw new Error("accepted");
};

describe("rollout action requests, one schema for gRPC, REST and the dashboard", () => {
  it("reads promote and abort with their defaults", () => {
    expect(parseInput(promoteRolloutInputSchema, { rolloutId: "ro-1" }, "json")).toEqual({
      rolloutId: "ro-1",
      full: false,
    });
    // proto3: empty strings are absent, so an unset actor falls back to the caller.
    expect(
      parseInput(
        abortRolloutInputSchema,
        { rolloutId: "ro-1", actor: "", reason: "", rollbackCompletedWaves: false },
        "proto",
      ),
    ).toEqual({
      rolloutId: "ro-1",
      reason: "",
      rollbackCompletedWaves: false,
    });
  });

  it("names the bad field in each edge's style, with the same limits everywhere", () => {
    expect(refusal(() => parseInput(promoteRolloutInputSchema, { rolloutId: "" }, "proto"))).toEqual({
      field: "rollout_id",
      message: "rollout_id: is required",
    });
    expect(
      refusal(() => parseInput(promoteRolloutInputSchema, { rolloutId: "ro-1", full: "yes" }, "json")).message,
    ).toBe("full: must be true or false");
    expect(
      refusal(() => parseInput(abortRolloutInputSchema, { rolloutId: "ro-1", reason: "x".repeat(1_025) }, "json")),
    ).toEqual({
      field: "reason",
      message: "reason: is longer than 1024 characters",
    });
    expect(
      refusal(() => parseInput(abortRolloutInputSchema, { rolloutId: "ro-1", actor: "a".repeat(129) }, "proto")).field,
    ).toBe("actor");
    expect(refusal(() => parseInput(abortRolloutInputSchema, { rolloutId: "r".repeat(65) }, "json")).field).toBe(
      "rolloutId",
    );
    expect(refusal(() => parseInput(abortRolloutInputSchema, { rolloutId: 7 }, "json")).message).toBe(
      "rolloutId: must be a string",
    );
  });
});
