import {
  DASHBOARD_TOPICS,
  type DashboardChanges,
  type DashboardTopic,
  type DashboardTopics,
  type PriceSeriesView,
  type SatelliteView,
  type WorkloadView,
} from "@sentra/common/dashboard-protocol";
import { TopicStore } from "./topic-store";

/** One store per protocol topic; a new topic (opportunities, migrations, rollouts) is one more line. */
export type EstateStores = { [K in DashboardTopic]: TopicStore<DashboardTopics[K]> };

/** @param historyLength points kept per price series (the session says how many) */
export function createEstateStores(historyLength: () => number): EstateStores {
  return {
    satellites: new TopicStore<SatelliteView>((satellite) => satellite.id),
    prices: new TopicStore<PriceSeriesView>(
      (series) => series.key,
      (previous, next) => mergePriceSeries(previous, next, historyLength()),
    ),
    workloads: new TopicStore<WorkloadView>((workload) => workload.key),
  };
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
