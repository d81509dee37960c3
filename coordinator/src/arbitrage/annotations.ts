import { SentraError } from "@sentra/common";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** The Deployment annotations arbitrage reads. */
export const ARBITRAGE_ANNOTATIONS = {
  /** GB of state a move transfers, a non-negative decimal, e.g. `"40"` or `"2.5"`. */
  stateGb: "sentra.io/state-gb",
  /** `"true"` never moves the workload; `"false"` (or absent) allows moves. */
  pinned: "sentra.io/pinned",
  /** Comma-separated target regions, `region` or `cloud:region`, e.g. `"eu-west-1,eu-central-1"`. */
  allowedRegions: "sentra.io/allowed-regions",
  /** Comma-separated target clouds, e.g. `"aws,gcp"`. */
  allowedClouds: "sentra.io/allowed-clouds",
  /** `"true"` opts the workload into automatic mode; `"false"` keeps it out; absent = its namespace decides. */
  autoMigrate: "sentra.io/auto-migrate",
} as const;

/** Clouds `sentra.io/allowed-clouds` may name. */
export const KNOWN_CLOUDS: readonly string[] = ["aws", "gcp", "azure"];

/** What the annotations say; absent keys stay undefined (the defaults apply). */
export type ArbitrageAnnotations = Pick<
  WorkloadCostInput,
  "stateGb" | "pinned" | "allowedRegions" | "allowedClouds" | "autoMigrate"
>;

/** One bad annotation. */
export interface AnnotationProblem {
  readonly annotation: string;
  readonly value: string;
  readonly problem: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function parseBoolean(key: string, value: string | undefined, problems: AnnotationProblem[]): boolean | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  problems.push({ annotation: key, value, problem: 'expected "true" or "false"' });
  return undefined;
}

function parseList(
  key: string,
  value: string,
  check: (item: string) => string | null,
  problems: AnnotationProblem[],
): string[] | undefined {
  const items = value.split(",").map((item) => item.trim());
  if (items.every((item) => item === "")) {
    problems.push({ annotation: key, value, problem: "empty list; remove the annotation to allow every target" });
    return undefined;
  }
  const result: string[] = [];
  for (const item of items) {
    if (item === "") {
      problems.push({ annotation: key, value, problem: "empty entry between commas" });
      continue;
    }
    const problem = check(item);
    if (problem !== null) problems.push({ annotation: key, value, problem });
    else if (!result.includes(item)) result.push(item);
  }
  return result;
}

/**
 * Reads the `sentra.io/*` arbitrage annotations of a Deployment. Collects every problem, then
 * throws one INVALID_ARGUMENT naming the first bad annotation as `field` and all of them in
 * `details.problems`. Other annotations are ignored.
 */
export function parseArbitrageAnnotations(
  annotations: Readonly<Record<string, string | undefined>>,
): ArbitrageAnnotations {
  const problems: AnnotationProblem[] = [];
  const result: { -readonly [K in keyof ArbitrageAnnotations]: ArbitrageAnnotations[K] } = {};

  const stateGb = annotations[ARBITRAGE_ANNOTATIONS.stateGb];
  if (stateGb !== undefined) {
    const text = stateGb.trim();
    const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isFinite(value)) result.stateGb = value;
    else {
      problems.push({
        annotation: ARBITRAGE_ANNOTATIONS.stateGb,
        value: stateGb,
        problem: 'expected a non-negative number of GB without unit, e.g. "40" or "2.5"',
      });
    }
  }

  const pinned = parseBoolean(ARBITRAGE_ANNOTATIONS.pinned, annotations[ARBITRAGE_ANNOTATIONS.pinned], problems);
  if (pinned !== undefined) result.pinned = pinned;
  const autoMigrate = parseBoolean(
    ARBITRAGE_ANNOTATIONS.autoMigrate,
    annotations[ARBITRAGE_ANNOTATIONS.autoMigrate],
    problems,
  );
  if (autoMigrate !== undefined) result.autoMigrate = autoMigrate;

  const regions = annotations[ARBITRAGE_ANNOTATIONS.allowedRegions];
  if (regions !== undefined) {
    const list = parseList(
      ARBITRAGE_ANNOTATIONS.allowedRegions,
      regions,
      (item) => {
        const parts = item.split(":");
        const ok = parts.length <= 2 && parts.every((part) => NAME.test(part));
        return ok ? null : `"${item}" is not a region; write e.g. "eu-west-1" or "gcp:europe-west1" (lower case)`;
      },
      problems,
    );
    if (list !== undefined) result.allowedRegions = list;
  }

  const clouds = annotations[ARBITRAGE_ANNOTATIONS.allowedClouds];
  if (clouds !== undefined) {
    const list = parseList(
      ARBITRAGE_ANNOTATIONS.allowedClouds,
      clouds,
      (item) =>
        KNOWN_CLOUDS.includes(item) ? null : `unknown cloud "${item}"; expected one of ${KNOWN_CLOUDS.join(", ")}`,
      problems,
    );
    if (list !== undefined) result.allowedClouds = list;
  }

  const first = problems[0];
  if (first !== undefined) {
    const text = problems.map((p) => `${p.annotation}: "${p.value}": ${p.problem}`).join("; ");
    throw new SentraError("INVALID_ARGUMENT", `Bad arbitrage annotation(s): ${text}`, {
      field: first.annotation,
      details: { problems },
    });
  }
  return result;
}
