import {
  type DashboardChanges,
  MIGRATION_END_STATES,
  type MigrationView,
  type OpportunityView,
  ROLLOUT_END_PHASES,
  type RolloutDecisionView,
  type RolloutView,
  type TopicChanges,
} from "@sentra/common";

/** How much of the operations the mirror keeps. */
export interface OperationsMirrorOptions {
  /** Decisions kept per rollout (the gate charts' history). */
  readonly decisionsPerRollout: number;
  /** Finished migrations kept besides the unfinished ones (most recently updated first). */
  readonly finishedMigrations: number;
  /** Finished rollouts kept besides the unfinished ones (most recently updated first). */
  readonly finishedRollouts: number;
}

/** The topics this mirror holds. */
export type OperationsTopics = {
  opportunities: OpportunityView[];
  migrations: MigrationView[];
  rollouts: RolloutView[];
};

type OperationsChanges = Pick<DashboardChanges, "opportunities" | "migrations" | "rollouts">;

/** Keys changed since the last take; for rollouts, the decisions recorded since then. */
interface PendingChanges {
  opportunityUpserts: Set<string>;
  opportunityRemovals: Set<string>;
  migrationUpserts: Set<string>;
  migrationRemovals: Set<string>;
  rolloutUpserts: Map<string, RolloutDecisionView[]>;
  rolloutRemovals: Set<string>;
}

/**
 * The dashboard's in-memory copy of what is being decided and done: the opportunity ranking, the
 * migrations (unfinished and recently finished, step by step) and the rollouts (with a bounded
 * ring of decisions each), and the changes since the last delta, coalesced per key. Plain code
 * (no I/O, no clock) so it can be tested alone; the feed fills it from the services' change ports.
 */
export class OperationsMirror {
  private readonly opportunities = new Map<string, OpportunityView>();
  private readonly opportunitySignatures = new Map<string, string>();
  private readonly migrations = new Map<string, MigrationView>();
  /** Each rollout with its kept decisions (oldest first). */
  private readonly rollouts = new Map<string, RolloutView>();
  private pending: PendingChanges = emptyPending();

  constructor(private readonly options: OperationsMirrorOptions) {}

  /** A new ranking: the topic becomes exactly these; unchanged entries are not news. */
  ranking(opportunities: readonly OpportunityView[]): void {
    const keys = new Set<string>();
    for (const opportunity of opportunities) {
      keys.add(opportunity.key);
      const signature = opportunitySignature(opportunity);
      this.opportunities.set(opportunity.key, opportunity);
      if (this.opportunitySignatures.get(opportunity.key) === signature) continue;
      this.opportunitySignatures.set(opportunity.key, signature);
      this.pending.opportunityRemovals.delete(opportunity.key);
      this.pending.opportunityUpserts.add(opportunity.key);
    }
    for (const key of [...this.opportunities.keys()]) {
      if (keys.has(key)) continue;
      this.opportunities.delete(key);
      this.opportunitySignatures.delete(key);
      this.pending.opportunityUpserts.delete(key);
      this.pending.opportunityRemovals.add(key);
    }
  }

  /**
   * A migration's latest state. Events may arrive twice or out of order (another replica's saga
   * through Redis): one with fewer steps than the held one is old news.
   */
  migration(view: MigrationView): void {
    const held = this.migrations.get(view.key);
    if (held && (held.steps.length > view.steps.length || sameMigration(held, view))) return;
    this.migrations.set(view.key, view);
    this.pending.migrationRemovals.delete(view.key);
    this.pending.migrationUpserts.add(view.key);
    this.trimFinished(this.migrations, isFinishedMigration, this.options.finishedMigrations, "migration");
  }

  /**
   * A rollout as just read, with its recent decisions (any that the mirror already holds are
   * ignored; the others are added to its ring and to the next delta).
   */
  rollout(view: RolloutView): void {
    const held = this.rollouts.get(view.key);
    const known = new Set(held?.decisions.map((decision) => decision.key));
    const fresh = view.decisions.filter((decision) => !known.has(decision.key));
    const decisions = keepLatest([...(held?.decisions ?? []), ...fresh], this.options.decisionsPerRollout);
    const next: RolloutView = { ...view, decisions };
    if (held && fresh.length === 0 && sameRollout(held, next)) return;
    this.rollouts.set(view.key, next);
    const pendingDecisions = this.pending.rolloutUpserts.get(view.key) ?? [];
    this.pending.rolloutRemovals.delete(view.key);
    this.pending.rolloutUpserts.set(
      view.key,
      keepLatest([...pendingDecisions, ...fresh], this.options.decisionsPerRollout),
    );
    this.trimFinished(this.rollouts, isFinishedRollout, this.options.finishedRollouts, "rollout");
  }

  /** Every topic in full (rollouts with their whole kept ring of decisions). */
  snapshot(): OperationsTopics {
    return {
      opportunities: [...this.opportunities.values()],
      migrations: [...this.migrations.values()],
      rollouts: [...this.rollouts.values()],
    };
  }

  /** The changes since the last call (rollouts carry only their new decisions), or undefined. */
  takeChanges(): OperationsChanges | undefined {
    const pending = this.pending;
    this.pending = emptyPending();
    const changes: OperationsChanges = {};
    const opportunities = topicChanges(pending.opportunityUpserts, pending.opportunityRemovals, (key) =>
      this.opportunities.get(key),
    );
    if (opportunities) changes.opportunities = opportunities;
    const migrations = topicChanges(pending.migrationUpserts, pending.migrationRemovals, (key) =>
      this.migrations.get(key),
    );
    if (migrations) changes.migrations = migrations;
    const rollouts = topicChanges(new Set(pending.rolloutUpserts.keys()), pending.rolloutRemovals, (key) => {
      const rollout = this.rollouts.get(key);
      return rollout ? { ...rollout, decisions: pending.rolloutUpserts.get(key) ?? [] } : undefined;
    });
    if (rollouts) changes.rollouts = rollouts;
    return Object.keys(changes).length > 0 ? changes : undefined;
  }

  /** Drops the oldest finished entries beyond `keep` (unfinished ones always stay). */
  private trimFinished<T extends { key: string; updatedAtMs: number }>(
    items: Map<string, T>,
    finished: (item: T) => boolean,
    keep: number,
    topic: "migration" | "rollout",
  ): void {
    const done = [...items.values()].filter(finished);
    if (done.length <= keep) return;
    done.sort((a, b) => b.updatedAtMs - a.updatedAtMs || (a.key < b.key ? -1 : 1));
    for (const item of done.slice(keep)) {
      items.delete(item.key);
      if (topic === "migration") {
        this.pending.migrationUpserts.delete(item.key);
        this.pending.migrationRemovals.add(item.key);
      } else {
        this.pending.rolloutUpserts.delete(item.key);
        this.pending.rolloutRemovals.add(item.key);
      }
    }
  }
}

function emptyPending(): PendingChanges {
  return {
    opportunityUpserts: new Set(),
    opportunityRemovals: new Set(),
    migrationUpserts: new Set(),
    migrationRemovals: new Set(),
    rolloutUpserts: new Map(),
    rolloutRemovals: new Set(),
  };
}

function topicChanges<T>(
  upserts: ReadonlySet<string>,
  removals: ReadonlySet<string>,
  read: (key: string) => T | undefined,
): TopicChanges<T> | undefined {
  if (upserts.size === 0 && removals.size === 0) return undefined;
  const changes: TopicChanges<T> = {};
  if (upserts.size > 0) changes.upsert = [...upserts].flatMap((key) => read(key) ?? []);
  if (removals.size > 0) changes.remove = [...removals];
  return changes;
}

/** Oldest first by time (then key), at most `limit`, the newest kept. */
export function keepLatest(decisions: readonly RolloutDecisionView[], limit: number): RolloutDecisionView[] {
  const sorted = [...decisions].sort((a, b) => a.atMs - b.atMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted.length > limit ? sorted.slice(sorted.length - limit) : sorted;
}

/** What makes an opportunity news: everything but when it was evaluated and when its prices were observed. */
function opportunitySignature(opportunity: OpportunityView): string {
  return JSON.stringify({
    ...opportunity,
    evaluatedAtMs: 0,
    source: { ...opportunity.source, priceObservedAtMs: 0 },
    target: { ...opportunity.target, priceObservedAtMs: 0 },
  });
}

function sameMigration(a: MigrationView, b: MigrationView): boolean {
  return a.state === b.state && a.steps.length === b.steps.length && a.updatedAtMs === b.updatedAtMs;
}

/** Same rollout apart from decisions (compared by the caller). */
function sameRollout(a: RolloutView, b: RolloutView): boolean {
  return JSON.stringify({ ...a, decisions: [] }) === JSON.stringify({ ...b, decisions: [] });
}

function isFinishedMigration(migration: MigrationView): boolean {
  return MIGRATION_END_STATES.includes(migration.state);
}

function isFinishedRollout(rollout: RolloutView): boolean {
  return ROLLOUT_END_PHASES.includes(rollout.phase);
}
