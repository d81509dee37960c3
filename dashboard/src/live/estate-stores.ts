import {
  DASHBOARD_TOPICS,
  type DashboardChanges,
  type DashboardTopic,
  type DashboardTopics,
  type MigrationView,
  type OpportunityView,
  type PriceSeriesView,
  type RolloutDecisionView,
  type RolloutView,
  type SatelliteView,
  type WorkloadView,
} from "@sentra/common/dashboard-protocol";
import { TopicStore } from "./topic-store";

/** One store per protocol topic; a new topic is one more line. */
export type EstateStores = { [K in DashboardTopic]: TopicStore<DashboardTopics[K]> };

/** How much history the session says to keep. */
export interface HistoryLengths {
  /** Points per price series. */
  prices(): number;
  /** Decisions per rollout. */
  rolloutDecisions(): number;
}

export function createEstateStores(lengths: HistoryLengths): EstateStores {
  return {
    satellites: new TopicStore<SatelliteView>((satellite) => satellite.id),
    prices: new TopicStore<PriceSeriesView>(
      (series) => series.key,
      (previous, next) => mergePriceSeries(previous, next, lengths.prices()),
    ),
    workloads: new TopicStore<WorkloadView>((workload) => workload.key),
    opportunities: new TopicStore<OpportunityView>((opportunity) => opportunity.key),
    migrations: new TopicStore<MigrationView>((migration) => migration.key),
    rollouts: new TopicStore<RolloutView>(
      (rollout) => rollout.key,
      (previous, next) => mergeRollout(previous, next, lengths.rolloutDecisions()),
    ),
  };
}

/**
 * A delta's rollout carries only the decisions recorded since the previous delta: add the ones
 * not held yet (by key), in time order, and keep the last N.
 */
export function mergeRollout(previous: RolloutView | undefined, next: RolloutView, keep: number): RolloutView {
  if (!previous) return next;
  const held = new Set(previous.decisions.map((decision) => decision.key));
  const fresh = next.decisions.filter((decision) => !held.has(decision.key));
  if (fresh.length === 0) return { ...next, decisions: previous.decisions };
  const decisions: RolloutDecisionView[] = [...previous.decisions, ...fresh].sort(
    (a, b) => a.atMs - b.atMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  return { ...next, decisions: decisions.slice(-keep) };
}

/**
 * A delta's price series carries only the points observed since the previous delta: append the
 * ones newer than what is held (a delta may repeat what the snapshot had) and keep the last N.
 */
export function mergePriceSeries(
  previous: PriceSeriesView | undefined,
  next: PriceSeriesView,
  historyLength: number,
): PriceSeriesView {
  if (!previous) return next;
  const lastAtMs = previous.points.at(-1)?.[0] ?? Number.NEGATIVE_INFINITY;
  const fresh = next.points.filter(([atMs]) => atMs > lastAtMs);
  const points = fresh.length > 0 ? [...previous.points, ...fresh].slice(-historyLength) : previous.points;
  return { ...next, points };
}

/** Applies a snapshot: every topic replaced. */
export function replaceAll(stores: EstateStores, topics: { [K in DashboardTopic]: DashboardTopics[K][] }): void {
  for (const topic of DASHBOARD_TOPICS) replaceTopic(stores, topic, topics[topic]);
}

/** Applies a delta's changes, topic by topic. */
export function applyChanges(stores: EstateStores, changes: DashboardChanges): void {
  for (const topic of DASHBOARD_TOPICS) applyTopic(stores, topic, changes[topic]);
}

function replaceTopic<K extends DashboardTopic>(stores: EstateStores, topic: K, items: DashboardTopics[K][]): void {
  (stores[topic] as TopicStore<DashboardTopics[K]>).replace(items ?? []);
}

function applyTopic<K extends DashboardTopic>(stores: EstateStores, topic: K, changes: DashboardChanges[K]): void {
  if (changes) (stores[topic] as TopicStore<DashboardTopics[K]>).apply(changes);
}
