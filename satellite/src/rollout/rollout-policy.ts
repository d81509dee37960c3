import { isRecord } from "@sentra/common";
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { ROUTER_ADAPTER_DEFINITIONS } from "../traffic/adapters/adapter-registry.js";
import type { RouterAdapterDefinition } from "../traffic/adapters/router-adapter.js";
import {
  BUILT_IN_GATES,
  type BuiltInGate,
  DEFAULT_DISTRIBUTION_TOLERANCE,
  DEFAULT_GATE_NAMES,
  DEFAULT_RATE_RATIO_TOLERANCE,
  isBuiltInGateName,
  SEQUENTIAL_BY_DEFAULT,
} from "./default-gates.js";
import {
  GATE_JUDGES,
  GATE_PROVIDER_KINDS,
  type GateJudge,
  type GateProviderKind,
  type GateSpec,
  type SequentialGateSpec,
  type UnknownBehaviour,
} from "./gate-spec.js";
import { PolicyError, type PolicyProblem } from "./policy-error.js";
import { QUERY_TEMPLATE_VARIABLES, unknownTemplateVariables } from "./query-template.js";

/** `canary`: traffic moves to the new version step by step; `blueGreen`: all at once after analysis. */
export type RolloutStrategy = "canary" | "blueGreen";

/** Canary traffic increments, in percent; their running sums are the canary weights 5, 20, 40, 70, 100. */
export const DEFAULT_CANARY_STEPS: readonly number[] = [5, 15, 20, 30, 30];
/** Warm-up before evaluations count, in seconds. */
export const DEFAULT_WARMUP_SECONDS = 30;
/** Lowest allowed evaluation interval, in seconds. */
export const MIN_INTERVAL_SECONDS = 2;
/** Highest allowed evaluation interval, in seconds. */
export const MAX_INTERVAL_SECONDS = 5;
/** Evaluation interval, in seconds. */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** Sliding window each query looks back over, in seconds. */
export const DEFAULT_WINDOW_SECONDS = 30;
/** Passing evaluations needed at a step before it advances. */
export const DEFAULT_PASSES_TO_PROMOTE = 10;
/** Consecutive breaching evaluations that roll back. */
export const DEFAULT_CONSECUTIVE_BREACHES_TO_ROLLBACK = 3;
/**
 * `pause`: `breach` is the well-known source of false rollbacks at low traffic, and `ignore` could
 * promote on partial data; holding costs only time and is visible to people.
 */
export const DEFAULT_ON_UNKNOWN: UnknownBehaviour = "pause";
/** Seconds without telemetry before the rollout pauses (absorbs one failed query at 2–5 s intervals). */
export const DEFAULT_TELEMETRY_PAUSE_AFTER_SECONDS = 10;
/** Seconds without telemetry before the rollout reverts to the last healthy state (0% canary). */
export const DEFAULT_TELEMETRY_REVERT_AFTER_SECONDS = 120;
/** Failed attempts (each: primary router, then fallback) before a rollback is declared failed. */
export const DEFAULT_ROLLBACK_MAX_ATTEMPTS = 10;
/**
 * Bound on the probability that the sequential gates roll back a healthy canary, over the whole
 * rollout however long it runs; split evenly across the sequential gates (Bonferroni).
 */
export const DEFAULT_ALPHA = 0.01;
/** Availability objective the error budget is taken from, when the policy has `errorBudget`. */
export const DEFAULT_SLO = 0.999;

/** Error-budget accounting of the canary (needs a sequential error gate for its counts). */
export interface ErrorBudgetPolicy {
  /** Availability objective, e.g. 0.999: the budget is (1 − slo) of the service's requests. @default 0.999 */
  readonly slo: number;
  /**
   * Roll back once the canary's excess errors (beyond the baseline's rate) burned more than this
   * percentage of a day's budget at the service's current traffic. Absent: reported, not gated.
   */
  readonly maxBurnPercent?: number;
  /** Which gate's counts the budget is computed from (a sequential rate gate). @default the first */
  readonly gate: string;
}

/** Telemetry-loss behaviour; both bounds count from the first evaluation that found no telemetry. */
export interface TelemetryLossPolicy {
  /** Seconds of lost telemetry before the rollout pauses. @default 10 */
  readonly pauseAfterSeconds: number;
  /** Seconds of lost telemetry before it reverts to the last healthy state; > pauseAfterSeconds. @default 120 */
  readonly revertAfterSeconds: number;
}

/**
 * The policy's `router:` section: the router adapter that moves this rollout's traffic instead of
 * the Kubernetes router of its binding (`adapter`, a name of `ROUTER_ADAPTER_DEFINITIONS`) and its
 * target, as that adapter's `targetSchema` returned it. Plain JSON: it travels in snapshots and
 * events, so a restarted satellite rebuilds the adapter from it.
 */
export interface RouterTargetPolicy {
  readonly adapter: string;
  readonly [field: string]: unknown;
}

/** Options of {@link parseRolloutPolicy}. */
export interface ParseRolloutPolicyOptions {
  /** The adapters `router.adapter` may name. @default ROUTER_ADAPTER_DEFINITIONS */
  readonly routerAdapters?: readonly RouterAdapterDefinition<{ readonly adapter: string }>[];
}

/** A validated, defaulted, frozen rollout policy. Plain JSON, so it travels in snapshots. */
export interface RolloutPolicy {
  /** @default "canary" */
  readonly strategy: RolloutStrategy;
  /**
   * Traffic increments in percent, whole numbers > 0 summing to 100. Blue-green always has `[100]`
   * (the switch after analysis). @default [5, 15, 20, 30, 30] for canary
   */
  readonly steps: readonly number[];
  /** Seconds after the first traffic shift during which only severe breaches count. @default 30 */
  readonly warmupSeconds: number;
  /** Seconds between evaluations, 2–5. @default 5 */
  readonly intervalSeconds: number;
  /** Sliding window of every query, whole seconds, ≥ intervalSeconds (renders `{{window}}`). @default 30 */
  readonly windowSeconds: number;
  /** Passing evaluations needed at each step before it advances (a breach restarts the count). @default 10 */
  readonly passesToPromote: number;
  /** Consecutive breaching evaluations that roll back; a pass resets the count. @default 3 */
  readonly consecutiveBreachesToRollback: number;
  /** What an unknown gate evaluation does, unless the gate says otherwise. @default "pause" */
  readonly onUnknown: UnknownBehaviour;
  /** Pause, then revert, when every provider fails. @default { pauseAfterSeconds: 10, revertAfterSeconds: 120 } */
  readonly telemetryLoss: TelemetryLossPolicy;
  /** Failed rollback attempts (one per interval) before the rollout is `failed`. @default 10 */
  readonly rollbackMaxAttempts: number;
  /** The gates, evaluated every interval. @default error_rate, p95_latency_ms, log_error_ratio */
  readonly gates: readonly GateSpec[];
  /** False-rollback bound of the sequential gates together, split across them. @default 0.01 */
  readonly alpha: number;
  /** Error-budget accounting; absent when the policy has no sequential rate gate. */
  readonly errorBudget?: ErrorBudgetPolicy;
  /** The router adapter and its target; absent: the Kubernetes router the rollout's binding names. */
  readonly router?: RouterTargetPolicy;
}

/**
 * Canary weights, in percent, one per step: the running sums of `steps` for a canary
 * (`[5, 15, 20, 30, 30]` → `[5, 20, 40, 70, 100]`); `[0, 100]` for blue-green (analysis with no
 * live traffic, then verification after the switch).
 */
export function stepWeights(policy: Pick<RolloutPolicy, "strategy" | "steps">): number[] {
  if (policy.strategy === "blueGreen") return [0, 100];
  let total = 0;
  return policy.steps.map((step) => {
    total += step;
    return total;
  });
}

/** The policy of an empty (`{}`) policy file: every default. */
export function defaultRolloutPolicy(): RolloutPolicy {
  return parseRolloutPolicy("{}", "(defaults)");
}

const GATE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const UNKNOWN_BEHAVIOURS = ["ignore", "pause", "breach"] as const;
const gateProviderSchema = z.enum(GATE_PROVIDER_KINDS as [GateProviderKind, ...GateProviderKind[]]);

const gateSchema = z.strictObject({
  name: z.string().regex(GATE_NAME, "must be lowercase letters, digits and underscores, starting with a letter"),
  provider: gateProviderSchema.optional(),
  query: z.string().trim().min(1).optional(),
  threshold: z.number().optional(),
  comparator: z.enum(["lte", "gte"]).optional(),
  severeThreshold: z.number().optional(),
  minSampleSize: z.number().int().min(1).optional(),
  sampleQuery: z.string().trim().min(1).optional(),
  onUnknown: z.enum(UNKNOWN_BEHAVIOURS).optional(),
  judge: z.enum(GATE_JUDGES as [GateJudge, ...GateJudge[]]).optional(),
  alpha: z.number().gt(0).max(0.5).optional(),
  tolerance: z.number().min(0).max(10).optional(),
  totalQuery: z.string().trim().min(1).optional(),
  eventsQuery: z.string().trim().min(1).optional(),
  bucketsQuery: z.string().trim().min(1).optional(),
  quantile: z.number().gt(0).lt(1).optional(),
});

const errorBudgetSchema = z.strictObject({
  slo: z.number().gt(0).lt(1).optional(),
  maxBurnPercent: z.number().gt(0).max(100_000).optional(),
  gate: z.string().regex(GATE_NAME, "must be the name of a gate of this policy").optional(),
});

const telemetryLossSchema = z.strictObject({
  pauseAfterSeconds: z.number().min(0).max(3600).optional(),
  revertAfterSeconds: z.number().positive().max(86_400).optional(),
});

const policySchema = z.strictObject({
  strategy: z.enum(["canary", "blueGreen"]).optional(),
  steps: z.array(z.number().int().positive()).min(1).optional(),
  warmupSeconds: z.number().min(0).max(3600).optional(),
  intervalSeconds: z.number().min(MIN_INTERVAL_SECONDS).max(MAX_INTERVAL_SECONDS).optional(),
  windowSeconds: z.number().int().positive().max(3600).optional(),
  passesToPromote: z.number().int().min(1).max(1000).optional(),
  consecutiveBreachesToRollback: z.number().int().min(1).max(1000).optional(),
  onUnknown: z.enum(UNKNOWN_BEHAVIOURS).optional(),
  telemetryLoss: telemetryLossSchema.optional(),
  rollbackMaxAttempts: z.number().int().min(1).max(1000).optional(),
  gates: z.array(gateSchema).min(1).optional(),
  alpha: z.number().gt(0).max(0.5).optional(),
  errorBudget: errorBudgetSchema.optional(),
  // Checked against the named adapter's own schema (routerProblems), which knows its fields.
  router: z.unknown().optional(),
});

type PolicyInput = z.output<typeof policySchema>;
type GateInput = z.output<typeof gateSchema>;
type Path = readonly (string | number)[];

interface RawProblem {
  readonly path: Path;
  readonly message: string;
  /** Point at the key rather than the value (unknown fields). */
  readonly atKey?: boolean;
}

/** @default 100 — alias expansions allowed in a policy document (a policy needs none). */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses and validates a rollout policy written in YAML. Unknown fields are errors (a typo must
 * not be silently ignored), missing fields take the documented defaults, and a policy without
 * `gates` gets the built-in error_rate, p95_latency_ms and log_error_ratio gates.
 *
 * @param sourceName file name used in problem locations. @default "policy.yaml"
 * @throws PolicyError listing every problem as `file:line:col: field.path: message`.
 */
export function parseRolloutPolicy(
  yamlText: string,
  sourceName = "policy.yaml",
  options: ParseRolloutPolicyOptions = {},
): RolloutPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { source: sourceName, line, col, path: "(yaml)", message: firstLine(error.message) };
      }),
    );
  }

  const toProblem = (problem: RawProblem): PolicyProblem => ({
    source: sourceName,
    ...locate(doc, lineCounter, problem.path, problem.atKey ?? false),
    path: formatPath(problem.path),
    message: problem.message,
  });

  // Aliases are capped so a "billion laughs" document cannot exhaust memory; the library says so
  // with a ReferenceError, which is the author's problem like any other.
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? firstLine(error.message) : String(error);
    throw new PolicyError([{ source: sourceName, line: 1, col: 1, path: "(yaml)", message }]);
  }
  if (raw === null || raw === undefined || typeof raw !== "object" || Array.isArray(raw)) {
    const got = raw === null || raw === undefined ? "an empty document" : describeValue(raw);
    throw new PolicyError([
      toProblem({ path: [], message: `expected a mapping of policy fields ({} for all defaults), got ${got}` }),
    ]);
  }

  const problems: RawProblem[] = [];
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(issue, raw));
  }
  problems.push(...crossFieldProblems(raw as Record<string, unknown>));
  const router = routerTarget(
    (raw as Record<string, unknown>).router,
    options.routerAdapters ?? ROUTER_ADAPTER_DEFINITIONS,
    problems,
  );
  if (problems.length > 0 || !parsed.success) {
    const located = problems.map(toProblem).sort((a, b) => a.line - b.line || a.col - b.col);
    throw new PolicyError(located);
  }
  const policy = buildPolicy(parsed.data);
  return deepFreeze(router === undefined ? policy : { ...policy, router });
}

/**
 * Validates the `router:` section against the schema of the adapter it names; pushes its problems
 * (paths under `router`) and returns the target, or undefined when absent or invalid.
 */
function routerTarget(
  value: unknown,
  definitions: readonly RouterAdapterDefinition<{ readonly adapter: string }>[],
  problems: RawProblem[],
): RouterTargetPolicy | undefined {
  if (value === undefined) return undefined;
  const names = definitions.map((definition) => definition.name);
  const known = names.length === 0 ? "none are installed" : `known: ${names.join(", ")}`;
  if (!isRecord(value)) {
    problems.push({
      path: ["router"],
      message: `expected a mapping such as { adapter: <name>, ...target } (${known}), got ${describeValue(value)}`,
    });
    return undefined;
  }
  if (value.adapter === undefined) {
    problems.push({ path: ["router", "adapter"], message: `is required: the router adapter's name (${known})` });
    return undefined;
  }
  const definition = definitions.find((candidate) => candidate.name === value.adapter);
  if (definition === undefined) {
    const suggestion = typeof value.adapter === "string" ? closest(value.adapter, names) : undefined;
    const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
    problems.push({
      path: ["router", "adapter"],
      message: `unknown router adapter ${describeValue(value.adapter)}${hint}; ${known}`,
    });
    return undefined;
  }
  const parsed = definition.targetSchema.safeParse(value);
  if (!parsed.success) {
    const fields = schemaKeys(definition.targetSchema);
    for (const issue of parsed.error.issues) {
      for (const problem of describeIssue(issue, value, fields)) {
        problems.push({ ...problem, path: ["router", ...problem.path] });
      }
    }
    return undefined;
  }
  // A plain-JSON copy: the target travels in snapshots and events, and must come back the same.
  return JSON.parse(JSON.stringify(parsed.data)) as RouterTargetPolicy;
}

/** The field names of an object schema (for "did you mean"); none for other schemas. */
function schemaKeys(schema: unknown): readonly string[] {
  const shape = isRecord(schema) ? schema.shape : undefined;
  return isRecord(shape) ? Object.keys(shape) : [];
}

/** What {@link fitPolicyToProviders} made of a policy. */
export interface FittedPolicy {
  readonly policy: RolloutPolicy;
  /** Default gates left out because their provider is not configured. */
  readonly omitted: readonly GateSpec[];
}

/**
 * Fits a parsed policy to the telemetry providers a satellite has. A gate whose provider is missing
 * would be unknown at every evaluation and, with `onUnknown: pause`, hold the rollout forever. So:
 * - a policy **without** `gates` (the defaults) loses the default gates whose provider is missing,
 *   which are returned as `omitted` for the caller to log;
 * - a policy that **lists** its gates gets them all or is refused: each listed gate whose provider
 *   is missing is a problem at that gate (a `PolicyError`, INVALID_ARGUMENT).
 * `hints` completes the message per provider (e.g. `set SENTRA_LOKI_URL`).
 * @throws PolicyError also when no gate is left
 */
export function fitPolicyToProviders(
  yamlText: string,
  sourceName: string,
  policy: RolloutPolicy,
  available: ReadonlySet<GateProviderKind>,
  hints: Readonly<Partial<Record<GateProviderKind, string>>> = {},
): FittedPolicy {
  const missing = policy.gates.filter((gate) => !available.has(gate.provider));
  if (missing.length === 0) return { policy, omitted: [] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const listsGates = isMap(doc.contents) && doc.contents.has("gates");
  const unavailable = (gate: GateSpec) =>
    `provider ${gate.provider} is not configured on this satellite${hints[gate.provider] ? ` (${hints[gate.provider]})` : ""}`;
  if (listsGates) {
    throw new PolicyError(
      policy.gates.flatMap((gate, index) => {
        if (available.has(gate.provider)) return [];
        const hasProvider = isMap(doc.getIn(["gates", index])) && doc.hasIn(["gates", index, "provider"]);
        const path: Path = hasProvider ? ["gates", index, "provider"] : ["gates", index];
        return [
          {
            source: sourceName,
            ...locate(doc, lineCounter, path, false),
            path: formatPath(path),
            message: `gate "${gate.name}": ${unavailable(gate)}; configure it or remove the gate`,
          },
        ];
      }),
    );
  }
  const gates = policy.gates.filter((gate) => available.has(gate.provider));
  if (gates.length === 0) {
    throw new PolicyError([
      {
        source: sourceName,
        ...locate(doc, lineCounter, [], false),
        path: "gates",
        message: `no default gate can run: ${[...new Set(missing.map(unavailable))].join("; ")}`,
      },
    ]);
  }
  return { policy: deepFreeze({ ...policy, gates: structuredClone(gates) }), omitted: missing };
}

function buildPolicy(input: PolicyInput): RolloutPolicy {
  const strategy = input.strategy ?? "canary";
  const onUnknown = input.onUnknown ?? DEFAULT_ON_UNKNOWN;
  const gates = input.gates ?? DEFAULT_GATE_NAMES.map((name) => ({ name }));
  const alpha = input.alpha ?? DEFAULT_ALPHA;
  const judges = gates.map((gate) => judgeOf(gate, strategy));
  const sequentialCount = judges.filter((judge) => judge === "sequential").length;
  const built = gates.map((gate, index) =>
    buildGate(gate, onUnknown, judges[index] ?? "threshold", alpha / Math.max(1, sequentialCount)),
  );
  const budgetGate =
    input.errorBudget?.gate ?? built.find((gate) => gate.sequential?.kind === "rateRatio")?.name ?? undefined;
  const errorBudget: ErrorBudgetPolicy | undefined =
    budgetGate === undefined || (input.errorBudget === undefined && sequentialCount === 0)
      ? undefined
      : {
          slo: input.errorBudget?.slo ?? DEFAULT_SLO,
          ...(input.errorBudget?.maxBurnPercent === undefined
            ? {}
            : { maxBurnPercent: input.errorBudget.maxBurnPercent }),
          gate: budgetGate,
        };
  return {
    strategy,
    steps: strategy === "blueGreen" ? [100] : [...(input.steps ?? DEFAULT_CANARY_STEPS)],
    warmupSeconds: input.warmupSeconds ?? DEFAULT_WARMUP_SECONDS,
    intervalSeconds: input.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    windowSeconds: input.windowSeconds ?? DEFAULT_WINDOW_SECONDS,
    passesToPromote: input.passesToPromote ?? DEFAULT_PASSES_TO_PROMOTE,
    consecutiveBreachesToRollback: input.consecutiveBreachesToRollback ?? DEFAULT_CONSECUTIVE_BREACHES_TO_ROLLBACK,
    onUnknown,
    telemetryLoss: {
      pauseAfterSeconds: input.telemetryLoss?.pauseAfterSeconds ?? DEFAULT_TELEMETRY_PAUSE_AFTER_SECONDS,
      revertAfterSeconds: input.telemetryLoss?.revertAfterSeconds ?? DEFAULT_TELEMETRY_REVERT_AFTER_SECONDS,
    },
    rollbackMaxAttempts: input.rollbackMaxAttempts ?? DEFAULT_ROLLBACK_MAX_ATTEMPTS,
    gates: built,
    alpha,
    ...(errorBudget === undefined ? {} : { errorBudget }),
  };
}

/** The judge a gate gets: its own, else sequential for the built-ins that have a baseline to compare with. */
function judgeOf(gate: { name?: unknown; provider?: unknown; judge?: unknown }, strategy: RolloutStrategy): GateJudge {
  if (gate.judge === "threshold" || gate.judge === "sequential") return gate.judge;
  const builtIn = inheritedGate(gate);
  const sameProvider = builtIn !== undefined && (gate.provider ?? builtIn.provider) === builtIn.provider;
  const byDefault = typeof gate.name === "string" && (SEQUENTIAL_BY_DEFAULT as readonly string[]).includes(gate.name);
  return strategy === "canary" && sameProvider && byDefault ? "sequential" : "threshold";
}

function buildSequential(
  gate: GateInput,
  builtIn: BuiltInGate | undefined,
  sameProvider: boolean,
  alpha: number,
): SequentialGateSpec {
  const inherited = sameProvider ? builtIn?.sequential : undefined;
  const bucketsQuery = gate.bucketsQuery ?? (inherited?.kind === "distribution" ? inherited.bucketsQuery : undefined);
  if (bucketsQuery !== undefined && gate.eventsQuery === undefined) {
    return {
      kind: "distribution",
      bucketsQuery,
      quantile: gate.quantile ?? (inherited?.kind === "distribution" ? inherited.quantile : 0.95),
      alpha,
      tolerance: gate.tolerance ?? inherited?.tolerance ?? DEFAULT_DISTRIBUTION_TOLERANCE,
    };
  }
  const rate = inherited?.kind === "rateRatio" ? inherited : undefined;
  const totalQuery = gate.totalQuery ?? rate?.totalQuery;
  const eventsQuery = gate.eventsQuery ?? rate?.eventsQuery;
  if (totalQuery === undefined || eventsQuery === undefined) {
    // Unreachable: crossFieldProblems reports these before building.
    throw new Error(`gate ${gate.name} has no sequential queries`);
  }
  return {
    kind: "rateRatio",
    totalQuery,
    eventsQuery,
    alpha,
    tolerance: gate.tolerance ?? rate?.tolerance ?? DEFAULT_RATE_RATIO_TOLERANCE,
  };
}

/** The built-in gate a policy gate inherits from, if any; none when it moved to another provider. */
function inheritedGate(gate: { name?: unknown; provider?: unknown }): BuiltInGate | undefined {
  if (typeof gate.name !== "string" || !isBuiltInGateName(gate.name)) return undefined;
  return BUILT_IN_GATES[gate.name];
}

function buildGate(gate: GateInput, policyOnUnknown: UnknownBehaviour, judge: GateJudge, splitAlpha: number): GateSpec {
  const builtIn = inheritedGate(gate);
  // Queries are provider-specific, so they are inherited only while the provider is the built-in one.
  const sameProvider = builtIn !== undefined && (gate.provider ?? builtIn.provider) === builtIn.provider;
  const provider = gate.provider ?? builtIn?.provider;
  const query = gate.query ?? (sameProvider ? builtIn?.query : undefined);
  const threshold = gate.threshold ?? builtIn?.threshold;
  if (provider === undefined || query === undefined || threshold === undefined) {
    // Unreachable: crossFieldProblems reports these before building.
    throw new Error(`gate ${gate.name} is incomplete`);
  }
  const severeThreshold = gate.severeThreshold ?? builtIn?.severeThreshold;
  const minSampleSize = gate.minSampleSize ?? builtIn?.minSampleSize;
  const sampleQuery = gate.sampleQuery ?? (sameProvider ? builtIn?.sampleQuery : undefined);
  return {
    name: gate.name,
    provider,
    query,
    threshold,
    comparator: gate.comparator ?? builtIn?.comparator ?? "lte",
    ...(severeThreshold === undefined ? {} : { severeThreshold }),
    ...(minSampleSize === undefined ? {} : { minSampleSize }),
    ...(sampleQuery === undefined ? {} : { sampleQuery }),
    onUnknown: gate.onUnknown ?? policyOnUnknown,
    judge,
    ...(judge === "sequential"
      ? { sequential: buildSequential(gate, builtIn, sameProvider, gate.alpha ?? splitAlpha) }
      : {}),
  };
}

/** Rules that span fields; written against the raw document so they run even when other fields are wrong. */
function crossFieldProblems(raw: Record<string, unknown>): RawProblem[] {
  const problems: RawProblem[] = [];
  const strategy = raw.strategy === "blueGreen" ? "blueGreen" : "canary";

  const steps = raw.steps;
  if (Array.isArray(steps) && steps.length > 0 && steps.every(isFiniteNumber)) {
    const sum = steps.reduce((total, step) => total + step, 0);
    if (strategy === "canary" && sum !== 100) {
      problems.push({ path: ["steps"], message: `increments must sum to 100, got ${sum}` });
    }
    if (strategy === "blueGreen" && !(steps.length === 1 && steps[0] === 100)) {
      problems.push({
        path: ["steps"],
        message: "blue-green switches all traffic at once after analysis; omit steps or write [100]",
      });
    }
  }

  // Compare with the interval only when it is itself valid; a bad interval is reported on its own.
  const interval = raw.intervalSeconds === undefined ? DEFAULT_INTERVAL_SECONDS : raw.intervalSeconds;
  const intervalValid =
    isFiniteNumber(interval) && interval >= MIN_INTERVAL_SECONDS && interval <= MAX_INTERVAL_SECONDS;
  const window = raw.windowSeconds;
  if (intervalValid && isFiniteNumber(window) && window > 0 && window < interval) {
    problems.push({
      path: ["windowSeconds"],
      message: `must be >= intervalSeconds (${interval}) so consecutive windows leave no traffic unseen`,
    });
  }

  const loss = raw.telemetryLoss;
  if (isRecord(loss)) {
    const pause = finiteOr(loss.pauseAfterSeconds, DEFAULT_TELEMETRY_PAUSE_AFTER_SECONDS);
    if (isFiniteNumber(loss.revertAfterSeconds)) {
      if (loss.revertAfterSeconds <= pause) {
        problems.push({
          path: ["telemetryLoss", "revertAfterSeconds"],
          message: `must be > pauseAfterSeconds (${pause}): the rollout pauses first, then reverts`,
        });
      }
    } else if (loss.revertAfterSeconds === undefined && pause >= DEFAULT_TELEMETRY_REVERT_AFTER_SECONDS) {
      problems.push({
        path: ["telemetryLoss", "pauseAfterSeconds"],
        message: `must be < revertAfterSeconds (default ${DEFAULT_TELEMETRY_REVERT_AFTER_SECONDS}); set both`,
      });
    }
  }

  const gates = raw.gates;
  if (Array.isArray(gates)) {
    const seen = new Set<string>();
    gates.forEach((gate, index) => {
      if (isRecord(gate)) problems.push(...gateProblems(gate, index, seen), ...judgeProblems(gate, index, strategy));
    });
  }

  const budget = raw.errorBudget;
  const listed: unknown[] = Array.isArray(gates) ? gates : DEFAULT_GATE_NAMES.map((name) => ({ name }));
  if (isRecord(budget) && typeof budget.gate === "string") {
    const named = listed.find((gate) => isRecord(gate) && gate.name === budget.gate);
    if (named === undefined) {
      problems.push({ path: ["errorBudget", "gate"], message: `no gate named "${budget.gate}" in this policy` });
    } else if (
      !isRecord(named) ||
      judgeOf(named, strategy) !== "sequential" ||
      named.bucketsQuery !== undefined ||
      (inheritedGate(named)?.sequential?.kind === "distribution" && named.eventsQuery === undefined)
    ) {
      problems.push({
        path: ["errorBudget", "gate"],
        message: `gate "${budget.gate}" must be a sequential error gate (judge: sequential with totalQuery and eventsQuery): the budget is counted from its requests and errors`,
      });
    }
  } else if (isRecord(budget)) {
    const hasRateGate = listed.some(
      (gate) =>
        isRecord(gate) &&
        judgeOf(gate, strategy) === "sequential" &&
        gate.bucketsQuery === undefined &&
        (gate.eventsQuery !== undefined || inheritedGate(gate)?.sequential?.kind === "rateRatio"),
    );
    if (!hasRateGate) {
      problems.push({
        path: ["errorBudget"],
        message: "needs a sequential error gate (e.g. error_rate with judge: sequential) to count requests and errors",
      });
    }
  }
  return problems;
}

const SEQUENTIAL_FIELDS = ["alpha", "tolerance", "totalQuery", "eventsQuery", "bucketsQuery", "quantile"] as const;

/** Rules of the `judge` field and the sequential judge's own fields. */
function judgeProblems(gate: Record<string, unknown>, index: number, strategy: RolloutStrategy): RawProblem[] {
  const at = (field: string): Path => ["gates", index, field];
  const judge = judgeOf(gate, strategy);
  if (judge === "threshold") {
    return SEQUENTIAL_FIELDS.filter((field) => gate[field] !== undefined).map((field) => ({
      path: at(field),
      atKey: true,
      message: `is used only by the sequential judge; set judge: sequential or remove it`,
    }));
  }
  const problems: RawProblem[] = [];
  const judgeAt = gate.judge === undefined ? ["gates", index] : at("judge");
  if (strategy === "blueGreen") {
    problems.push({
      path: judgeAt,
      message:
        "the sequential judge compares the canary with the stable version serving at the same time; blue-green has no such baseline, use judge: threshold",
    });
  }
  const builtIn = inheritedGate(gate);
  const provider = isProviderKind(gate.provider) ? gate.provider : builtIn?.provider;
  if (provider !== undefined && provider !== "prometheus") {
    problems.push({
      path: judgeAt,
      message: `the sequential judge reads cumulative counters, which only the prometheus provider has (this gate's is ${provider})`,
    });
    return problems;
  }
  const inherited = builtIn !== undefined && provider === builtIn.provider ? builtIn.sequential : undefined;
  const hasRate = gate.totalQuery !== undefined || gate.eventsQuery !== undefined;
  if (gate.bucketsQuery !== undefined && hasRate) {
    problems.push({
      path: at("bucketsQuery"),
      message: "give either totalQuery and eventsQuery (a rate of events) or bucketsQuery (a histogram), not both",
    });
  } else if (gate.bucketsQuery === undefined) {
    const kind = hasRate ? "rateRatio" : inherited?.kind;
    if (kind === undefined) {
      problems.push({
        path: judgeAt,
        message:
          "the sequential judge needs totalQuery and eventsQuery (cumulative requests and errors) or bucketsQuery (a cumulative histogram by le)",
      });
    } else if (kind === "rateRatio") {
      const rate = inherited?.kind === "rateRatio" ? inherited : undefined;
      for (const field of ["totalQuery", "eventsQuery"] as const) {
        if (gate[field] === undefined && rate === undefined) {
          problems.push({ path: at(field), message: "is required with the other of totalQuery and eventsQuery" });
        }
      }
      if (gate.quantile !== undefined) {
        problems.push({ path: at("quantile"), atKey: true, message: "applies to bucketsQuery (a histogram) only" });
      }
    }
  }
  return problems;
}

function gateProblems(gate: Record<string, unknown>, index: number, seen: Set<string>): RawProblem[] {
  const problems: RawProblem[] = [];
  const at = (field: string): Path => ["gates", index, field];
  const name = typeof gate.name === "string" ? gate.name : undefined;
  if (name !== undefined) {
    if (seen.has(name)) problems.push({ path: at("name"), message: `duplicate gate name "${name}"` });
    seen.add(name);
  }

  const builtIn = inheritedGate(gate);
  if (builtIn === undefined && name !== undefined) {
    for (const field of ["provider", "query", "threshold"]) {
      if (gate[field] === undefined) {
        problems.push({
          path: at(field),
          message: `is required for custom gate "${name}" (built-in gates: ${Object.keys(BUILT_IN_GATES).join(", ")})`,
        });
      }
    }
  }

  const provider = isProviderKind(gate.provider) ? gate.provider : builtIn?.provider;
  const movedProvider = builtIn !== undefined && provider !== builtIn.provider;
  if (movedProvider && gate.query === undefined) {
    problems.push({
      path: at("query"),
      message: `is required when provider differs from the built-in ${name} gate's (${builtIn?.provider})`,
    });
  }

  for (const field of ["query", "sampleQuery", "totalQuery", "eventsQuery", "bucketsQuery"]) {
    const template = gate[field];
    if (typeof template !== "string") continue;
    const unknown = unknownTemplateVariables(template);
    if (unknown.length > 0) {
      problems.push({
        path: at(field),
        message: `unknown template variable ${unknown.map((v) => `{{${v}}}`).join(", ")}; known: ${QUERY_TEMPLATE_VARIABLES.join(", ")}`,
      });
    }
  }

  const comparator = gate.comparator === "gte" || gate.comparator === "lte" ? gate.comparator : builtIn?.comparator;
  const threshold = isFiniteNumber(gate.threshold) ? gate.threshold : builtIn?.threshold;
  const ownSevere = gate.severeThreshold !== undefined;
  const severe = ownSevere ? gate.severeThreshold : builtIn?.severeThreshold;
  if (comparator !== undefined && threshold !== undefined && isFiniteNumber(severe)) {
    const ordered = comparator === "lte" ? severe > threshold : severe < threshold;
    if (!ordered) {
      const side = comparator === "lte" ? "above" : "below";
      problems.push(
        ownSevere
          ? {
              path: at("severeThreshold"),
              message: `must be ${side} threshold (${threshold}) for comparator ${comparator}`,
            }
          : {
              path: at("threshold"),
              message: `${threshold} is not ${comparator === "lte" ? "below" : "above"} the built-in severeThreshold (${severe}); set severeThreshold too`,
            },
      );
    }
  }

  const minSampleSize = gate.minSampleSize ?? builtIn?.minSampleSize;
  const sampleQuery = gate.sampleQuery ?? (movedProvider ? undefined : builtIn?.sampleQuery);
  if (minSampleSize !== undefined && sampleQuery === undefined && provider !== undefined && provider !== "tempo") {
    problems.push({
      path: at(gate.minSampleSize === undefined ? "sampleQuery" : "minSampleSize"),
      message: `minSampleSize needs a sampleQuery: the ${provider} provider cannot count samples by itself`,
    });
  }
  return problems;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  policy: Object.keys(policySchema.shape),
  telemetryLoss: Object.keys(telemetryLossSchema.shape),
  errorBudget: Object.keys(errorBudgetSchema.shape),
  gate: Object.keys(gateSchema.shape),
};

function knownKeysAt(path: Path): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.policy ?? [];
  if (path[0] === "telemetryLoss") return KNOWN_KEYS.telemetryLoss ?? [];
  if (path[0] === "errorBudget") return KNOWN_KEYS.errorBudget ?? [];
  if (path[0] === "gates") return KNOWN_KEYS.gate ?? [];
  return [];
}

/** `knownKeys`: the field names to suggest from for an unknown key. @default those of the policy at `path` */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown, knownKeys?: readonly string[]): RawProblem[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  const actual = valueAt(raw, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const suggestion = closest(key, knownKeys ?? knownKeysAt(path));
        const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
        return { path: [...path, key], atKey: true, message: `unknown field "${key}"${hint}` };
      });
    case "invalid_type": {
      if (actual === undefined) return [{ path, message: "is required" }];
      return [{ path, message: `expected ${describeExpected(issue.expected)}, got ${describeValue(actual)}` }];
    }
    case "invalid_value":
      return [
        {
          path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(actual)}`,
        },
      ];
    case "too_small": {
      const bound = Number(issue.minimum);
      if (issue.origin === "array") return [{ path, message: `must have at least ${bound} item(s)` }];
      if (issue.origin === "string") return [{ path, message: "must not be empty" }];
      return [{ path, message: `must be ${issue.inclusive ? ">=" : ">"} ${bound}, got ${describeValue(actual)}` }];
    }
    case "too_big": {
      const bound = Number(issue.maximum);
      if (issue.origin === "array") return [{ path, message: `must have at most ${bound} item(s)` }];
      return [{ path, message: `must be ${issue.inclusive ? "<=" : "<"} ${bound}, got ${describeValue(actual)}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "int":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "array":
      return "a list";
    case "object":
      return "a mapping";
    default:
      return expected;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isRecord(node) && typeof segment === "string") node = node[segment];
    else return undefined;
  }
  return node;
}

/** Line and column of the deepest node of `path` present in the document (a missing field points at its parent). */
function locate(doc: Document, lineCounter: LineCounter, path: Path, atKey: boolean): { line: number; col: number } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === segment);
      if (pair === undefined) break;
      const keyOffset = rangeStart(pair.key);
      if (last && atKey) {
        offset = keyOffset ?? offset;
        break;
      }
      offset = rangeStart(pair.value) ?? keyOffset ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset);
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}

function formatPath(path: Path): string {
  if (path.length === 0) return "(policy)";
  return path
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join("");
}

/** The known key nearest to a typo (edit distance ≤ 3), to suggest in the message. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0] ?? message;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isProviderKind(value: unknown): value is GateProviderKind {
  return typeof value === "string" && (GATE_PROVIDER_KINDS as readonly string[]).includes(value);
}

function finiteOr(value: unknown, fallback: number): number {
  return isFiniteNumber(value) ? value : fallback;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
