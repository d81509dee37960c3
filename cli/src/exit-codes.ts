import type { ErrorCodeName, SentraError } from "@sentra/common";

/**
 * What `sentra` exits with, so a pipeline can tell a refused call from an unreachable coordinator
 * from a release that rolled back (docs/cli.md, "Exit codes").
 */
export const ExitCode = {
  OK: 0,
  /** Anything not listed below (an internal error, a call that failed on the coordinator). */
  FAILED: 1,
  /** Bad flags or arguments, from the CLI's own parsing or the coordinator's INVALID_ARGUMENT. */
  USAGE: 2,
  /** UNAUTHENTICATED or PERMISSION_DENIED: no token, a revoked one, or one without the role. */
  NOT_AUTHORIZED: 3,
  /** NOT_FOUND: no such rollout, migration, satellite or workload. */
  NOT_FOUND: 4,
  /** The coordinator is unreachable or did not answer in time (UNAVAILABLE, DEADLINE_EXCEEDED). */
  UNAVAILABLE: 5,
  /** The coordinator refused on the estate's state (FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED): e.g. a plan whose margin does not pay. */
  REFUSED: 6,
  /** `--wait` / `watch` gave up at `--timeout` (the operation goes on on the coordinator). */
  TIMED_OUT: 7,
  /** `--wait` / `watch`: the rollout ended ROLLED_BACK, ABORTED or FAILED. */
  ROLLOUT_NOT_PROMOTED: 10,
  /** `--wait` / `watch`: the migration ended COMPENSATED or FAILED. */
  MIGRATION_NOT_DONE: 11,
  /** `report`: at least one KPI missed its threshold (the report is written all the same). */
  KPI_NOT_MET: 12,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_ERROR_CODE: Partial<Record<ErrorCodeName, ExitCode>> = {
  INVALID_ARGUMENT: ExitCode.USAGE,
  UNAUTHENTICATED: ExitCode.NOT_AUTHORIZED,
  PERMISSION_DENIED: ExitCode.NOT_AUTHORIZED,
  NOT_FOUND: ExitCode.NOT_FOUND,
  UNAVAILABLE: ExitCode.UNAVAILABLE,
  DEADLINE_EXCEEDED: ExitCode.UNAVAILABLE,
  FAILED_PRECONDITION: ExitCode.REFUSED,
  ALREADY_EXISTS: ExitCode.REFUSED,
  ABORTED: ExitCode.REFUSED,
  RESOURCE_EXHAUSTED: ExitCode.REFUSED,
};

export function exitCodeOf(error: SentraError): ExitCode {
  return BY_ERROR_CODE[error.code] ?? ExitCode.FAILED;
}

/** Ends a command with a code that is not a failure of the command itself (e.g. a rollout that rolled back). */
export class CommandOutcome extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "CommandOutcome";
  }
}
