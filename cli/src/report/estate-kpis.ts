import {
  Liveness,
  type Migration,
  type MigrationPlan,
  MigrationState,
  type MultiClusterRollout,
  RolloutPhase,
  type Satellite,
} from "@sentra/proto";
import { type Kpi, percentile } from "./kpi.js";
import type { RolloutKpiThresholds } from "./rollout-kpis.js";

/** What an estate report is computed from (one read of each). */
export interface EstateFacts {
  readonly satellites: readonly Satellite[];
  readonly migrations: readonly Migration[];
  readonly opportunities: readonly MigrationPlan[];
  readonly rollouts: readonly MultiClusterRollout[];
  /** Seconds from rollback decision to traffic on stable, per rolled-back wave of `rollouts`. */
  readonly rollbackSeconds: readonly number[];
}

const ENDED_ROLLOUT = new Set([
  RolloutPhase.PROMOTED,
  RolloutPhase.ROLLED_BACK,
  RolloutPhase.ABORTED,
  RolloutPhase.FAILED,
]);

/** The estate's KPIs: liveness, migrations and their savings, open opportunities, release health. */
export function estateKpis(facts: EstateFacts, thresholds: RolloutKpiThresholds): Kpi[] {
  const live = facts.satellites.filter((satellite) => satellite.liveness === Liveness.LIVE).length;
  const stale = facts.satellites.length - live;
  const done = facts.migrations.filter((migration) => migration.state === MigrationState.DONE);
  const failed = facts.migrations.filter((migration) => migration.state === MigrationState.FAILED);
  const compensated = facts.migrations.filter((migration) => migration.state === MigrationState.COMPENSATED);
  const saving = done.reduce((sum, migration) => sum + (migration.plan?.marginUsd ?? 0), 0);
  const openMargin = facts.opportunities.reduce((sum, plan) => sum + plan.marginUsd, 0);
  const ended = facts.rollouts.filter((rollout) => ENDED_ROLLOUT.has(rollout.phase));
  const promoted = ended.filter((rollout) => rollout.phase === RolloutPhase.PROMOTED).length;
  const failedRollouts = ended.filter((rollout) => rollout.phase === RolloutPhase.FAILED).length;
  const kpis: Kpi[] = [
    {
      name: "Satellites live",
      value: `${live}/${facts.satellites.length}`,
      unit: "",
      threshold: "no stale satellite",
      pass: facts.satellites.length === 0 ? null : stale === 0,
      detail:
        stale > 0
          ? `stale: ${facts.satellites
              .filter((s) => s.liveness !== Liveness.LIVE)
              .map((s) => s.id)
              .join(", ")}`
          : "",
    },
    {
      name: "Migrations failed",
      value: failed.length,
      unit: "",
      threshold: "= 0",
      pass: failed.length === 0,
      detail: `${facts.migrations.length} migrations: ${done.length} done, ${compensated.length} compensated (safely undone), ${failed.length} failed (need a person)`,
    },
    {
      name: "Net saving of completed migrations",
      value: Number(saving.toFixed(4)),
      unit: "USD",
      threshold: done.length === 0 ? "" : "> 0",
      pass: done.length === 0 ? null : saving > 0,
      detail: "sum of each done migration's margin: saving over its horizon − egress − overlap, as its dry run proved",
    },
    {
      name: "Open opportunities",
      value: facts.opportunities.length,
      unit: "",
      threshold: "",
      pass: null,
      detail: `total margin ${openMargin.toFixed(4)} USD if all were taken`,
    },
    {
      name: "Rollouts promoted",
      value: `${promoted}/${ended.length}`,
      unit: "",
      threshold: "",
      pass: null,
      detail: `of the ${facts.rollouts.length} most recent rollouts, ${ended.length} have ended; a rollback is the guard doing its job`,
    },
    {
      name: "Rollouts failed",
      value: failedRollouts,
      unit: "",
      threshold: "= 0",
      pass: failedRollouts === 0,
      detail: "a failed rollout could not confirm its rollback: traffic may still reach the canary",
    },
  ];
  if (facts.rollbackSeconds.length > 0) {
    const p95 = percentile(facts.rollbackSeconds, 95);
    kpis.push({
      name: "Rollback time p95",
      value: p95,
      unit: "s",
      threshold: `≤ ${thresholds.maxRollbackSeconds} s`,
      pass: p95 <= thresholds.maxRollbackSeconds,
      detail: `over ${facts.rollbackSeconds.length} rolled-back waves; max ${Math.max(...facts.rollbackSeconds)} s`,
    });
  }
  return kpis;
}
