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
  switch (source) {
    case PriceSource.MODEL:
      return "model";
    case PriceSource.REPLAY:
      return "replay";
    case PriceSource.LIVE:
      return "live";
    case PriceSource.UNSPECIFIED:
      return "unknown";
    default:
      return "unknown";
  }
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
