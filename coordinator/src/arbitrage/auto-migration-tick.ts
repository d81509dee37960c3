import { SentraError } from "@sentra/common";
import type { AutoMigrationStateStore, Clock, EstateReader, MigrationStarter } from "./arbitrage-ports.js";
import { type AutoMigrationDecision, type AutoMigrationPolicy, autoMigrationOptedIn } from "./auto-migration-policy.js";
import type { OpportunityFinder } from "./opportunity-finder.js";

/** What one automatic-mode tick needs; each dependency is a small port. */
export interface AutoMigrationTickDeps {
  readonly clock: Clock;
  readonly estate: EstateReader;
  readonly store: AutoMigrationStateStore;
  readonly starter: MigrationStarter;
  readonly finder: OpportunityFinder;
  readonly policy: AutoMigrationPolicy;
}

/** The decision of a tick plus the starts the saga refused. */
export interface AutoMigrationTickResult extends AutoMigrationDecision {
  readonly failedStarts: readonly { readonly workloadId: string; readonly error: SentraError }[];
}

/**
 * One tick of the automatic mode: read the estate, rank opportunities, let the policy decide,
 * start the chosen migrations, save the state. Run it on the leader only, every decision period.
 *
 * Starts happen before the save: if the process dies in between, the next tick may pick the same
 * workload again and the saga's workload lock refuses the duplicate; saving first could instead
 * leave a slot taken by a migration that never started. A refused start ends at once (its
 * cool-down begins), so a failing workload is not retried every tick.
 *
 * Only workloads whose every copy opted in (`autoMigrationOptedIn`) reach the finder and the
 * policy: one that did not never starts a sustain clock, let alone a migration.
 */
export async function runAutoMigrationTick(deps: AutoMigrationTickDeps): Promise<AutoMigrationTickResult> {
  const nowMs = deps.clock.nowMs();
  const [workloads, markets, stored] = await Promise.all([
    deps.estate.listWorkloads(),
    deps.estate.listMarkets(),
    deps.store.load(),
  ]);
  // By workload id (namespace/name, shared by its copies): it moves on its own only when every
  // copy opted in, so one copy saying "false" (or being protected) keeps them all where they are.
  const optedIn = new Set<string>();
  const optedOut = new Set<string>();
  for (const workload of workloads) {
    (autoMigrationOptedIn(workload, deps.policy.options.optInNamespaces) ? optedIn : optedOut).add(workload.id);
  }
  const candidates = deps.finder
    .find(
      workloads.filter((workload) => !optedOut.has(workload.id)),
      markets,
      nowMs,
    )
    .filter((opportunity) => optedIn.has(opportunity.workloadId) && !optedOut.has(opportunity.workloadId));
  const decision = deps.policy.decide(stored, candidates, nowMs);
  let state = decision.state;
  const failedStarts: { workloadId: string; error: SentraError }[] = [];
  for (const plan of decision.migrationsToStart) {
    try {
      await deps.starter.start(plan, "auto");
    } catch (error) {
      failedStarts.push({ workloadId: plan.workloadId, error: SentraError.from(error) });
      state = deps.policy.migrationEnded(state, plan.workloadId, nowMs);
    }
  }
  await deps.store.save(state);
  return { ...decision, state, failedStarts };
}
