import { RolloutPhase } from "@sentra/proto";

/** A rollout phase as stored in MySQL: the enum name without its prefix ("PROMOTED"). */
export type PhaseName = Exclude<keyof typeof RolloutPhase, "UNSPECIFIED">;

/** Phases after which a rollout never changes again. */
export const TERMINAL_PHASES: readonly PhaseName[] = ["PROMOTED", "ROLLED_BACK", "ABORTED", "FAILED"];

/** Terminal phases that leave traffic on the stable version (or, for FAILED, in an unknown split). */
export const FAILED_END_PHASES: readonly PhaseName[] = ["ROLLED_BACK", "ABORTED", "FAILED"];

export function isTerminalPhase(phase: PhaseName): boolean {
  return TERMINAL_PHASES.includes(phase);
}

/** The stored name of a phase; an unset phase counts as PENDING. */
export function phaseName(phase: RolloutPhase): PhaseName {
  if (phase === RolloutPhase.UNSPECIFIED) return "PENDING";
  return RolloutPhase[phase] as PhaseName;
}

/** The enum value of a stored phase name; unknown names read as UNSPECIFIED. */
export function phaseOf(name: string): RolloutPhase {
  const value = (RolloutPhase as unknown as Record<string, number | undefined>)[name];
  return typeof value === "number" ? (value as RolloutPhase) : RolloutPhase.UNSPECIFIED;
}
