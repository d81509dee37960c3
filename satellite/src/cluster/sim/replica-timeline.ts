import { DEPLOYMENT_RESOURCE, desiredReplicas, readyReplicas } from "./deployment-kind.js";
import type { ObjectStore } from "./object-store.js";
import { resourceKey } from "./resource-kind.js";

/** One sample of a workload's replica counts. */
export interface ReplicaPoint {
  /** Monotonic milliseconds (see `monotonicNowMs`). */
  atMs: number;
  /** `spec.replicas`. */
  desired: number;
  /** `status.readyReplicas`. */
  ready: number;
}

/**
 * Monotonic milliseconds on the Unix epoch scale: `performance.timeOrigin + performance.now()`.
 * Never goes backwards within a process, and stays comparable (to clock skew) across the
 * processes of one machine, so timelines of several simulated clusters can be merged.
 */
export function monotonicNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Records every change of a Deployment's desired or ready replicas, so a test can assert an
 * invariant over time ("ready never fell below N during the migration"). A deleted Deployment
 * gets a final `{ desired: 0, ready: 0 }` point: its capacity is gone. Timelines outlive deletion.
 */
export class ReplicaTimeline {
  readonly #points = new Map<string, ReplicaPoint[]>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? monotonicNowMs;
  }

  /** Follows the Deployments of a store; returns the function that stops following. */
  follow(store: ObjectStore): () => void {
    const deployments = resourceKey(DEPLOYMENT_RESOURCE);
    return store.subscribe((event) => {
      if (event.resource !== deployments) return;
      const { namespace = "", name = "" } = event.object.metadata;
      if (event.type === "DELETED") this.record(namespace, name, 0, 0);
      else this.record(namespace, name, desiredReplicas(event.object), readyReplicas(event.object));
    });
  }

  /** Appends a point unless the counts equal the last point's. */
  record(namespace: string, name: string, desired: number, ready: number): void {
    const key = `${namespace}/${name}`;
    const points = this.#points.get(key) ?? [];
    const last = points.at(-1);
    if (last && last.desired === desired && last.ready === ready) return;
    points.push({ atMs: this.#now(), desired, ready });
    this.#points.set(key, points);
  }

  /** A copy of one workload's points, oldest first (empty when never seen). */
  points(namespace: string, name: string): ReplicaPoint[] {
    return (this.#points.get(`${namespace}/${name}`) ?? []).map((point) => ({ ...point }));
  }

  /** Workloads with a timeline. */
  workloads(): { namespace: string; name: string }[] {
    return [...this.#points.keys()].map((key) => {
      const slash = key.indexOf("/");
      return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    });
  }
}

/**
 * Adds step-function timelines (e.g. the same workload in a source and a target cluster): at
 * every instant any of them changes, the result holds the sum of each one's latest point.
 * Before its first point a timeline counts as 0.
 */
export function sumReplicaTimelines(timelines: readonly (readonly ReplicaPoint[])[]): ReplicaPoint[] {
  const tagged = timelines.flatMap((points, index) => points.map((point) => ({ index, point })));
  tagged.sort((a, b) => a.point.atMs - b.point.atMs);
  const latest = timelines.map(() => ({ desired: 0, ready: 0 }));
  const result: ReplicaPoint[] = [];
  for (const { index, point } of tagged) {
    latest[index] = { desired: point.desired, ready: point.ready };
    const sum = {
      atMs: point.atMs,
      desired: latest.reduce((total, p) => total + p.desired, 0),
      ready: latest.reduce((total, p) => total + p.ready, 0),
    };
    // Simultaneous changes collapse into the last sample at that instant.
    if (result.at(-1)?.atMs === sum.atMs) result[result.length - 1] = sum;
    else result.push(sum);
  }
  return result;
}

/**
 * The lowest ready count held in a window of a timeline, counting the point in force when the
 * window opens. `undefined` when no point falls in or before the window.
 */
export function minReadyReplicas(points: readonly ReplicaPoint[], window: { fromMs?: number; toMs?: number } = {}) {
  const fromMs = window.fromMs ?? Number.NEGATIVE_INFINITY;
  const toMs = window.toMs ?? Number.POSITIVE_INFINITY;
  let min: number | undefined;
  let inForce: ReplicaPoint | undefined;
  for (const point of points) {
    if (point.atMs <= fromMs) inForce = point;
    else if (point.atMs <= toMs) min = Math.min(min ?? point.ready, point.ready);
  }
  if (inForce) min = Math.min(min ?? inForce.ready, inForce.ready);
  return min;
}
