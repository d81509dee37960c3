import { createHash } from "node:crypto";
import { isRecord } from "@sentra/common";
import type { Decision, ErrorBudgetEvidence, JudgeMemory, RolloutSpec, RolloutState } from "../rollout/index.js";
import { TRAFFIC_ROUTER_NAMES, type TrafficBinding } from "../traffic/index.js";

/** Format version of {@link RolloutRecord}; {@link parseRolloutRecord} accepts this one. */
export const ROLLOUT_RECORD_FORMAT = 1;

/**
 * Everything a satellite holds about one rollout, as plain JSON. Every event of the rollout carries
 * the record as it stands after the event (`SatelliteEvent.rollout_state_json`), so the newest
 * event of a rollout is enough to resume it after a restart — or for the coordinator to show it.
 */
export interface RolloutRecord {
  readonly format: typeof ROLLOUT_RECORD_FORMAT;
  /** Target and parsed policy, as the engine runs it. */
  readonly spec: RolloutSpec;
  /** The engine's state of the rollout. */
  readonly state: RolloutState;
  readonly binding: TrafficBinding;
  /** The multi-cluster rollout this one is a wave of; "" when none. */
  readonly parentId: string;
  /** SHA-256 of the policy YAML the rollout was started with: a replayed start must match it. */
  readonly policyDigest: string;
  /** Sequence number of the event carrying this record (1, 2, …), per rollout. */
  readonly sequence: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** The router that applied the current weight: "fallback" after the primary failed; null before any. */
  readonly appliedVia: "primary" | "fallback" | null;
  readonly lastDecision: Decision | null;
  /** Sequence of the event that carried `lastDecision` (0 before any). */
  readonly lastDecisionSequence: number;
  /** The error budget the canary burned, from the latest evidence that reported one. */
  readonly errorBudget?: ErrorBudgetEvidence;
  /**
   * What the sequential gates have counted, so a restarted satellite resumes their tests instead of
   * starting afresh (absent in records older than the judge; read back with readJudgeMemory).
   */
  readonly judgeMemory?: JudgeMemory;
}

/** SHA-256 (hex) of a policy's YAML text. */
export function policyDigest(policyYaml: string): string {
  return createHash("sha256").update(policyYaml).digest("hex");
}

/**
 * Reads a record from `rollout_state_json`. Returns undefined for anything that is not a record of
 * a known format (an event from a newer satellite is skipped, not misread).
 */
export function parseRolloutRecord(json: string): RolloutRecord | undefined {
  if (json === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.format !== ROLLOUT_RECORD_FORMAT) return undefined;
  const { spec, state, binding } = value;
  if (!isRecord(spec) || typeof spec.id !== "string" || !isRecord(spec.policy)) return undefined;
  if (!isRecord(state) || typeof state.phase !== "string") return undefined;
  if (!isRecord(binding) || typeof binding.cluster !== "string" || typeof binding.routeName !== "string")
    return undefined;
  if (!(TRAFFIC_ROUTER_NAMES as readonly unknown[]).includes(binding.router)) return undefined;
  if (binding.adapter !== undefined && typeof binding.adapter !== "string") return undefined;
  if (typeof value.sequence !== "number" || !Number.isInteger(value.sequence)) return undefined;
  return value as unknown as RolloutRecord;
}
