import { z } from "zod";
import { MAX_ACTOR_LENGTH } from "./start-rollout-request.js";

/** @default 64 — longest rollout id accepted (ids are `ro-` and 12 hex digits; satellites' `rp-…` are longer, ≤ 63). */
export const MAX_ROLLOUT_ID_LENGTH = 64;
/** @default 1024 — longest abort reason (it is journalled and shown on the dashboard). */
export const MAX_ABORT_REASON_LENGTH = 1_024;

const text = (what: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .max(max, `is longer than ${max} characters`)
    .describe(what);
const flag = z.boolean({ error: () => "must be true or false" });

const rolloutId = text("the rollout", MAX_ROLLOUT_ID_LENGTH).min(1, "is required");
const actor = text("who acts, for the record", MAX_ACTOR_LENGTH).optional();

/**
 * PromoteRollout, `POST /api/v1/rollouts/:id/promote` and the dashboard's promote: one schema for
 * the three edges, so a request one of them accepts is not refused by another (`parseInput` names
 * the field in each edge's style).
 */
export const promoteRolloutInputSchema = z.object({ rolloutId, full: flag.default(false), actor });

/** AbortRollout, `POST /api/v1/rollouts/:id/abort` and the dashboard's abort. */
export const abortRolloutInputSchema = z.object({
  rolloutId,
  reason: text("why, for the record", MAX_ABORT_REASON_LENGTH).default(""),
  actor,
  rollbackCompletedWaves: flag.optional(),
});

export type PromoteRolloutInput = z.output<typeof promoteRolloutInputSchema>;
export type AbortRolloutInput = z.output<typeof abortRolloutInputSchema>;
