import { SentraError } from "@sentra/common";

/** One problem in a policy file, located at the line and column of the offending field. */
export interface PolicyProblem {
  /** File name the policy came from, e.g. `policy.yaml`. */
  readonly source: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  /** Field path such as `gates[1].threshold`; `(policy)` for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** Formats a problem as `file:line:col: field.path: message`, the shape editors and CI jump to. */
export function formatPolicyProblem(problem: PolicyProblem): string {
  return `${problem.source}:${problem.line}:${problem.col}: ${problem.path}: ${problem.message}`;
}

/**
 * A rollout policy that failed validation. Lists every problem at once (not just the first) so a
 * user fixes the file in one go; each line is `file:line:col: field.path: message`.
 */
export class PolicyError extends SentraError {
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super("INVALID_ARGUMENT", `invalid rollout policy (${count}):\n${problems.map(formatPolicyProblem).join("\n")}`, {
      ...(problems[0] === undefined ? {} : { field: problems[0].path }),
      details: { problems: problems.map((problem) => ({ ...problem })) },
    });
    this.problems = problems;
  }
}
