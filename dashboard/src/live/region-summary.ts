import type {
  PriceSeriesView,
  RegionView,
  SatelliteStatusView,
  SatelliteView,
  WorkloadView,
} from "@sentra/common/dashboard-protocol";

/** Relative price move over the kept history below which a region's prices count as flat. */
export const FLAT_TREND_FRACTION = 0.005;

export type PriceTrend = "down" | "up" | "flat" | "unknown";

/**
 * What a region's marker shows, most urgent first: `stale` (no live satellite), `degraded` (a
 * cluster unreachable), then the price trend (`cheaper`, `pricier`, `steady`).
 */
export type RegionTone = "stale" | "degraded" | "cheaper" | "pricier" | "steady";

export interface HeadlinePrice {
  /** The cheapest fresh price per vCPU-hour across the region's instance types (comparable across regions). */
  usdPerVcpuHour: number;
  instanceType: string;
  usdPerHour: number;
}

export interface RegionSummary {
  key: string;
  region: RegionView;
  satellites: SatelliteView[];
  live: boolean;
  status: SatelliteStatusView;
  headline: HeadlinePrice | undefined;
  trend: PriceTrend;
  /** Mean relative change of the region's fresh series over their history (0.012 = +1.2 %). */
  trendFraction: number;
  tone: RegionTone;
  /** Latest heartbeat of any of its satellites (coordinator clock). */
  lastSeenAtMs: number;
  workloads: number;
  desiredReplicas: number;
  readyReplicas: number;
}

/** A price is fresh while younger than the TTL (coordinator clock): stale prices are shown, never used. */
export function isFresh(series: PriceSeriesView, nowMs: number, priceTtlMs: number): boolean {
  return nowMs - series.receivedAtMs <= priceTtlMs;
}

/** Relative change from the first to the last point of a series' history (0 with fewer than two). */
export function seriesChange(series: PriceSeriesView): number {
  const first = series.points[0]?.[1];
  const last = series.points.at(-1)?.[1];
  if (first === undefined || last === undefined || first <= 0) return 0;
  return (last - first) / first;
}

export function trendOf(fraction: number, known: boolean): PriceTrend {
  if (!known) return "unknown";
  if (fraction <= -FLAT_TREND_FRACTION) return "down";
  if (fraction >= FLAT_TREND_FRACTION) return "up";
  return "flat";
}

const STATUS_RANK: Record<SatelliteStatusView, number> = { ok: 0, unknown: 1, degraded: 2, down: 3 };

/**
 * Groups the estate by region: satellites, workloads and prices → one summary per region that has
 * a satellite. `nowMs` is the coordinator clock (page clock + offset).
 */
export function summarizeRegions(
  satellites: Iterable<SatelliteView>,
  prices: Iterable<PriceSeriesView>,
  workloads: Iterable<WorkloadView>,
  nowMs: number,
  priceTtlMs: number,
): Map<string, RegionSummary> {
  const regions = new Map<string, RegionSummary>();
  for (const satellite of satellites) {
    let summary = regions.get(satellite.region.key);
    if (!summary) {
      summary = {
        key: satellite.region.key,
        region: satellite.region,
        satellites: [],
        live: false,
        status: "ok",
        headline: undefined,
        trend: "unknown",
        trendFraction: 0,
        tone: "steady",
        lastSeenAtMs: 0,
        workloads: 0,
        desiredReplicas: 0,
        readyReplicas: 0,
      };
      regions.set(satellite.region.key, summary);
    }
    summary.satellites.push(satellite);
    if (satellite.liveness === "live") {
      summary.live = true;
      if (STATUS_RANK[satellite.status] > STATUS_RANK[summary.status]) summary.status = satellite.status;
      if (satellite.clusters.some((cluster) => !cluster.reachable) && summary.status === "ok") {
        summary.status = "degraded";
      }
    }
    summary.lastSeenAtMs = Math.max(summary.lastSeenAtMs, satellite.lastSeenAtMs);
  }

  const changes = new Map<string, number[]>();
  for (const series of prices) {
    const summary = regions.get(series.regionKey);
    if (!summary?.live || !isFresh(series, nowMs, priceTtlMs)) continue;
    const perVcpu = series.usdPerHour / Math.max(1, series.vcpus);
    if (!summary.headline || perVcpu < summary.headline.usdPerVcpuHour) {
      summary.headline = { usdPerVcpuHour: perVcpu, instanceType: series.instanceType, usdPerHour: series.usdPerHour };
    }
    if (series.points.length >= 2)
      changes.set(series.regionKey, [...(changes.get(series.regionKey) ?? []), seriesChange(series)]);
  }

  for (const workload of workloads) {
    const summary = regions.get(workload.regionKey);
    if (!summary) continue;
    summary.workloads += 1;
    summary.desiredReplicas += workload.desiredReplicas;
    summary.readyReplicas += workload.readyReplicas;
  }

  for (const summary of regions.values()) {
    const regionChanges = changes.get(summary.key) ?? [];
    summary.trendFraction =
      regionChanges.length > 0 ? regionChanges.reduce((sum, value) => sum + value, 0) / regionChanges.length : 0;
    summary.trend = trendOf(summary.trendFraction, regionChanges.length > 0);
    summary.tone = toneOf(summary);
  }
  return regions;
}

function toneOf(summary: RegionSummary): RegionTone {
  if (!summary.live) return "stale";
  if (summary.status !== "ok" && summary.status !== "unknown") return "degraded";
  if (summary.trend === "down") return "cheaper";
  if (summary.trend === "up") return "pricier";
  return "steady";
}
