import type {
  ClusterView,
  LivenessView,
  PriceSourceView,
  RegionView,
  SatelliteStatusView,
  SatelliteView,
  WorkloadView,
} from "@sentra/common";
import {
  type ClusterHealth,
  type HealthSummary,
  Liveness,
  msOf,
  PriceSource,
  priceSourceName,
  type Region,
  type Satellite,
  SatelliteStatus,
  type Workload,
} from "@sentra/proto";

/** Protobuf messages → the plain JSON views of the dashboard protocol (common/src/dashboard-protocol.ts). */

export function regionKey(cloud: string, name: string): string {
  return `${cloud}:${name}`;
}

export function priceSeriesKey(cloud: string, region: string, instanceType: string): string {
  return `${cloud}:${region}:${instanceType}`;
}

export function workloadKey(satelliteId: string, cluster: string, namespace: string, name: string): string {
  return `${satelliteId}/${cluster}/${namespace}/${name}`;
}

export function toRegionView(region: Region | undefined): RegionView {
  const cloud = region?.cloud ?? "";
  const name = region?.name ?? "";
  return {
    key: regionKey(cloud, name),
    cloud,
    name,
    displayName: region?.displayName ?? "",
    city: region?.city ?? "",
    latitude: region?.latitude ?? 0,
    longitude: region?.longitude ?? 0,
  };
}

export function toLivenessView(liveness: Liveness): LivenessView {
  return liveness === Liveness.STALE ? "stale" : "live";
}

export function toStatusView(status: SatelliteStatus): SatelliteStatusView {
  switch (status) {
    case SatelliteStatus.OK:
      return "ok";
    case SatelliteStatus.DEGRADED:
      return "degraded";
    case SatelliteStatus.DOWN:
      return "down";
    case SatelliteStatus.UNSPECIFIED:
      return "unknown";
    default:
      return "unknown";
  }
}

export function toPriceSourceView(source: PriceSource): PriceSourceView {
  return priceSourceName(source);
}

function toClusterView(cluster: ClusterHealth): ClusterView {
  return {
    name: cluster.cluster,
    reachable: cluster.reachable,
    workloads: cluster.workloads,
    desiredReplicas: cluster.desiredReplicas,
    readyReplicas: cluster.readyReplicas,
    error: cluster.error,
  };
}

/** A satellite as its heartbeat describes it; a heartbeat that just arrived means live. */
export function satelliteViewFromHeartbeat(health: HealthSummary, receivedAtMs: number): SatelliteView {
  return {
    id: health.satelliteId,
    region: toRegionView(health.region),
    liveness: "live",
    status: toStatusView(health.status),
    lastSeenAtMs: receivedAtMs,
    heartbeatIntervalMs: health.heartbeatIntervalMs,
    heartbeatSequence: health.sequence,
    version: health.version,
    clusters: health.clusters.map(toClusterView),
  };
}

/**
 * Brings a satellite's view up to date with its next heartbeat in place, when the heartbeat keeps
 * its region and its list of clusters (nearly every one does); false, leaving the view untouched,
 * when it does not. Why: a mirror of 10,000 satellites replaced every view every 2 s, and each
 * replaced view had lived long enough to be promoted, so it died in V8's old space — the
 * coordinator's largest source of old-space garbage, of major GCs and of heap slack (RSS).
 * Strings are swapped only when they differ, so the long-lived view keeps pointing at old strings.
 */
export function refreshSatelliteView(view: SatelliteView, health: HealthSummary, receivedAtMs: number): boolean {
  if (!sameRegion(view.region, health.region) || view.clusters.length !== health.clusters.length) return false;
  for (let i = 0; i < health.clusters.length; i++) {
    if ((view.clusters[i] as ClusterView).name !== (health.clusters[i] as ClusterHealth).cluster) return false;
  }
  view.liveness = "live";
  view.status = toStatusView(health.status);
  view.lastSeenAtMs = receivedAtMs;
  view.heartbeatIntervalMs = health.heartbeatIntervalMs;
  view.heartbeatSequence = health.sequence;
  if (view.version !== health.version) view.version = health.version;
  for (let i = 0; i < health.clusters.length; i++) {
    const cluster = health.clusters[i] as ClusterHealth;
    const clusterView = view.clusters[i] as ClusterView;
    clusterView.reachable = cluster.reachable;
    clusterView.workloads = cluster.workloads;
    clusterView.desiredReplicas = cluster.desiredReplicas;
    clusterView.readyReplicas = cluster.readyReplicas;
    if (clusterView.error !== cluster.error) clusterView.error = cluster.error;
  }
  return true;
}

function sameRegion(view: RegionView, region: Region | undefined): boolean {
  return (
    view.cloud === (region?.cloud ?? "") &&
    view.name === (region?.name ?? "") &&
    view.displayName === (region?.displayName ?? "") &&
    view.city === (region?.city ?? "") &&
    view.latitude === (region?.latitude ?? 0) &&
    view.longitude === (region?.longitude ?? 0)
  );
}

/** A satellite as the estate store keeps it (no heartbeat sequence there). */
export function satelliteViewFromRecord(satellite: Satellite): SatelliteView {
  return {
    id: satellite.id,
    region: toRegionView(satellite.region),
    liveness: toLivenessView(satellite.liveness),
    status: toStatusView(satellite.status),
    lastSeenAtMs: msOf(satellite.lastSeenAt),
    heartbeatIntervalMs: satellite.heartbeatIntervalMs,
    heartbeatSequence: 0,
    version: satellite.version,
    clusters: satellite.clusters.map(toClusterView),
  };
}

export function toWorkloadView(workload: Workload, fallbackSatelliteId: string): WorkloadView {
  const satelliteId = workload.ref?.satelliteId || fallbackSatelliteId;
  const cluster = workload.ref?.cluster ?? "";
  const namespace = workload.ref?.namespace ?? "";
  const name = workload.ref?.name ?? "";
  return {
    key: workloadKey(satelliteId, cluster, namespace, name),
    satelliteId,
    regionKey: regionKey(workload.cloud, workload.region),
    cluster,
    namespace,
    name,
    desiredReplicas: workload.desiredReplicas,
    readyReplicas: workload.readyReplicas,
    cpuMillicores: workload.cpuMillicores,
    memoryBytes: Number(workload.memoryBytes),
    image: workload.image,
    observedAtMs: msOf(workload.observedAt),
  };
}

/** True when two views of a workload differ only in when they were observed. */
export function sameWorkload(a: WorkloadView, b: WorkloadView): boolean {
  return (
    a.desiredReplicas === b.desiredReplicas &&
    a.readyReplicas === b.readyReplicas &&
    a.cpuMillicores === b.cpuMillicores &&
    a.memoryBytes === b.memoryBytes &&
    a.image === b.image &&
    a.regionKey === b.regionKey
  );
}
