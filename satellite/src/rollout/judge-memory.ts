import { isRecord } from "@sentra/common";
import type {
  DistributionMemory,
  JudgeMemory,
  RateCounters,
  RateRatioMemory,
  SequentialMemory,
} from "./sequential-judge.js";
import { RATE_RATIO_GRID } from "./sequential-tests.js";

/**
 * Reads what the sequential judge remembered from JSON that travelled (a rollout record on the
 * event stream, an engine snapshot). Entries that are not well-formed are left out, so that gate's
 * test starts afresh — slower to conclude, never wrong — rather than feeding a corrupt state into
 * the statistics. JSON turns an infinite e-value into null; it is read back as Infinity.
 * @returns the well-formed entries and the names of the gates left out
 */
export function readJudgeMemory(value: unknown): { memory: JudgeMemory; rejected: string[] } {
  const memory: Record<string, SequentialMemory> = {};
  const rejected: string[] = [];
  if (!isRecord(value)) return { memory, rejected };
  for (const [gate, entry] of Object.entries(value)) {
    const read = readRateRatioMemory(entry) ?? readDistributionMemory(entry);
    if (read === undefined) rejected.push(gate);
    else memory[gate] = read;
  }
  return { memory, rejected };
}

function readRateRatioMemory(value: unknown): RateRatioMemory | undefined {
  if (!isRecord(value) || value.kind !== "rateRatio" || !isRecord(value.test)) return undefined;
  const test = value.test;
  const logs = test.logLikelihoodRatios;
  if (!Array.isArray(logs) || logs.length !== RATE_RATIO_GRID.length || !logs.every(isFiniteNumber)) return undefined;
  const last = value.last === null ? null : readCounters(value.last);
  const totals = readCounters(test);
  const eValue = test.eValue === null ? Number.POSITIVE_INFINITY : test.eValue;
  if (last === undefined || totals === undefined || typeof eValue !== "number" || Number.isNaN(eValue))
    return undefined;
  if (typeof test.rejected !== "boolean" || !isSince(value.since) || !isCount(value.skippedIntervals)) return undefined;
  return {
    kind: "rateRatio",
    last,
    test: { ...totals, logLikelihoodRatios: logs, eValue, rejected: test.rejected },
    since: value.since,
    skippedIntervals: value.skippedIntervals,
  };
}

function readDistributionMemory(value: unknown): DistributionMemory | undefined {
  if (!isRecord(value) || value.kind !== "distribution") return undefined;
  const { bounds, canary, baseline } = value;
  if (!isNumbers(bounds) || bounds.length === 0 || !isNumbers(canary) || !isNumbers(baseline)) return undefined;
  if (canary.length !== bounds.length || baseline.length !== bounds.length) return undefined;
  let last: DistributionMemory["last"] = null;
  if (value.last !== null) {
    if (!isRecord(value.last) || !isNumbers(value.last.canary) || !isNumbers(value.last.baseline)) return undefined;
    if (value.last.canary.length !== bounds.length || value.last.baseline.length !== bounds.length) return undefined;
    last = { canary: value.last.canary, baseline: value.last.baseline };
  }
  if (!isCount(value.looks) || typeof value.rejected !== "boolean" || !isSince(value.since)) return undefined;
  if (!isCount(value.skippedIntervals)) return undefined;
  return {
    kind: "distribution",
    bounds,
    last,
    canary,
    baseline,
    looks: value.looks,
    rejected: value.rejected,
    since: value.since,
    skippedIntervals: value.skippedIntervals,
  };
}

function readCounters(value: unknown): RateCounters | undefined {
  if (!isRecord(value)) return undefined;
  const { canaryTotal, canaryEvents, baselineTotal, baselineEvents } = value;
  if (![canaryTotal, canaryEvents, baselineTotal, baselineEvents].every(isFiniteNumber)) return undefined;
  return {
    canaryTotal: canaryTotal as number,
    canaryEvents: canaryEvents as number,
    baselineTotal: baselineTotal as number,
    baselineEvents: baselineEvents as number,
  };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isNumbers(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isFiniteNumber);
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

function isSince(value: unknown): value is string | null {
  return value === null || (typeof value === "string" && !Number.isNaN(Date.parse(value)));
}
