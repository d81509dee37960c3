import type { PriceSeriesView, SatelliteView, WorkloadView } from "@sentra/common/dashboard-protocol";
import { formatAge, formatBytes, formatMillicores, formatPercent, formatUsd } from "../format";
import { TONE_COLORS } from "../globe/palette";
import { canAct } from "../live/dashboard-model";
import { isFresh, type RegionSummary, seriesChange, trendOf } from "../live/region-summary";
import { useDashboardModel, useLive, useNow } from "../live/use-live";
import { Sparkline } from "./sparkline";

const TONE_TEXT = {
  stale: "Stale — missed heartbeats",
  degraded: "Degraded — a cluster is unreachable",
  cheaper: "Live — prices falling",
  pricier: "Live — prices rising",
  steady: "Live — prices steady",
} as const;

/** The focused region: prices with their history, satellite and cluster health, workloads. */
export function RegionPanel() {
  const model = useDashboardModel();
  const focus = useLive(model.focus, model.focus.get);
  useLive(model.regions, model.regions.getVersion);
  const now = useNow(500);
  const operator = useLive(model.connection.state, () => canAct(model));
  const summary = focus ? model.regions.get().get(focus) : undefined;
  if (!summary) return null;
  const { clockOffsetMs, session } = model.connection.state.get();
  const serverNow = now + clockOffsetMs;
  const priceTtlMs = session?.priceTtlMs ?? 30_000;
  const prices = [...model.stores.prices.values()]
    .filter((series) => series.regionKey === summary.key)
    .sort((a, b) => a.usdPerHour / Math.max(1, a.vcpus) - b.usdPerHour / Math.max(1, b.vcpus));
  const workloads = [...model.stores.workloads.values()]
    .filter((workload) => workload.regionKey === summary.key)
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return (
    <aside className="panel" data-occludes data-testid="region-panel" aria-label={`Region ${summary.region.name}`}>
      <PanelHeader summary={summary} serverNow={serverNow} onClose={() => model.focus.set(undefined)} />
      <section className="panel-section">
        <h3>
          Spot prices{" "}
          <span className="panel-hint">cheapest zone · per instance-hour · last {historyMinutes(prices)}</span>
        </h3>
        {prices.length === 0 ? (
          <p className="panel-empty">No price has arrived from this region.</p>
        ) : (
          <ul className="price-list">
            {prices.map((series) => (
              <PriceRow key={series.key} series={series} fresh={isFresh(series, serverNow, priceTtlMs)} />
            ))}
          </ul>
        )}
      </section>
      <section className="panel-section">
        <h3>
          Satellites <span className="panel-hint">{summary.satellites.length}</span>
        </h3>
        {summary.satellites.map((satellite) => (
          <SatelliteCard key={satellite.id} satellite={satellite} serverNow={serverNow} />
        ))}
      </section>
      <section className="panel-section">
        <h3>
          Workloads{" "}
          <span className="panel-hint">
            {workloads.length} · {summary.readyReplicas}/{summary.desiredReplicas} replicas ready
          </span>
        </h3>
        <WorkloadTable
          workloads={workloads}
          copies={operator ? copyRegions([...model.stores.workloads.values()]) : undefined}
          onMove={(workload, targetRegion) =>
            void model.migrateFlow.open({
              workload: {
                satelliteId: workload.satelliteId,
                cluster: workload.cluster,
                namespace: workload.namespace,
                name: workload.name,
              },
              targetRegion,
            })
          }
        />
      </section>
    </aside>
  );
}

function historyMinutes(prices: PriceSeriesView[]): string {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const series of prices) {
    first = Math.min(first, series.points[0]?.[0] ?? first);
    last = Math.max(last, series.points.at(-1)?.[0] ?? last);
  }
  const minutes = (last - first) / 60_000;
  if (!Number.isFinite(minutes) || minutes <= 0) return "moment";
  return minutes < 1.5 ? `${Math.max(1, Math.round(minutes * 60))} s` : `${Math.round(minutes)} min`;
}

function PanelHeader({
  summary,
  serverNow,
  onClose,
}: {
  summary: RegionSummary;
  serverNow: number;
  onClose: () => void;
}) {
  const { region } = summary;
  return (
    <header className="panel-header" data-tone={summary.tone}>
      <div className="panel-title">
        <span className={`cloud-badge cloud-${region.cloud}`}>{region.cloud}</span>
        <h2>{region.name}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close region panel">
          ×
        </button>
      </div>
      <p className="panel-subtitle">
        {region.displayName}
        {region.city && region.city !== region.displayName ? ` · ${region.city}` : ""}
      </p>
      <div className="panel-status">
        <span className="status-pill" data-tone={summary.tone}>
          <span className="status-dot" />
          {TONE_TEXT[summary.tone]}
        </span>
        <span className="panel-seen">heartbeat {formatAge(serverNow - summary.lastSeenAtMs)}</span>
      </div>
      <div className="panel-headline">
        <div>
          <span className="headline-value" data-testid="panel-headline-price">
            {summary.headline ? formatUsd(summary.headline.usdPerVcpuHour) : "—"}
          </span>
          <span className="headline-unit">per vCPU·h</span>
        </div>
        <div className="headline-meta">
          {summary.headline ? (
            <>
              cheapest on <strong>{summary.headline.instanceType}</strong> at {formatUsd(summary.headline.usdPerHour)}/h
              {summary.trend !== "unknown" && (
                <span className={`trend trend-${summary.trend}`}>
                  {" "}
                  · {formatPercent(summary.trendFraction)} over history
                </span>
              )}
            </>
          ) : (
            "no fresh price"
          )}
        </div>
      </div>
    </header>
  );
}

function PriceRow({ series, fresh }: { series: PriceSeriesView; fresh: boolean }) {
  const change = seriesChange(series);
  const trend = trendOf(change, series.points.length >= 2);
  const color = !fresh
    ? "#64748b"
    : trend === "down"
      ? TONE_COLORS.cheaper
      : trend === "up"
        ? TONE_COLORS.pricier
        : TONE_COLORS.steady;
  return (
    <li className="price-row" data-fresh={fresh ? "true" : "false"} data-testid={`price-row-${series.key}`}>
      <div className="price-type">
        <span className="price-name">{series.instanceType}</span>
        <span className="price-shape">
          {series.vcpus} vCPU · {series.memoryGib} GiB{series.zone ? ` · zone ${zoneSuffix(series)}` : ""}
        </span>
      </div>
      <Sparkline points={series.points} color={color} width={112} label={`${series.instanceType} price history`} />
      <div className="price-value">
        <span className="price-usd" data-testid={`price-value-${series.key}`}>
          {formatUsd(series.usdPerHour)}
        </span>
        <span className={`price-change trend-${fresh ? trend : "stale"}`}>
          {fresh ? formatPercent(change) : "stale"}
        </span>
      </div>
    </li>
  );
}

function SatelliteCard({ satellite, serverNow }: { satellite: SatelliteView; serverNow: number }) {
  return (
    <div className="satellite-card" data-liveness={satellite.liveness} data-testid={`satellite-${satellite.id}`}>
      <div className="satellite-head">
        <span
          className="status-dot"
          data-tone={satellite.liveness === "live" ? (satellite.status === "ok" ? "steady" : "degraded") : "stale"}
        />
        <span className="satellite-id">{satellite.id}</span>
        <span className="satellite-meta">
          v{satellite.version} · {satellite.liveness === "live" ? satellite.status : "stale"} · seen{" "}
          {formatAge(serverNow - satellite.lastSeenAtMs)}
        </span>
      </div>
      <ul className="cluster-list">
        {satellite.clusters.map((cluster) => {
          const ratio = cluster.desiredReplicas === 0 ? 1 : cluster.readyReplicas / cluster.desiredReplicas;
          return (
            <li key={cluster.name} className="cluster-row" data-reachable={cluster.reachable ? "true" : "false"}>
              <span className="cluster-name" title={cluster.error || cluster.name}>
                {cluster.name}
              </span>
              <span className="cluster-reach">{cluster.reachable ? "reachable" : "unreachable"}</span>
              <span className="ratio-bar" aria-hidden="true">
                <span
                  className="ratio-fill"
                  style={{ width: `${Math.round(ratio * 100)}%` }}
                  data-full={ratio >= 1 ? "true" : "false"}
                />
              </span>
              <span className="cluster-ready">
                {cluster.readyReplicas}/{cluster.desiredReplicas}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** `namespace/name` → the regions holding a copy (a Deployment Sentra can move replicas to). */
function copyRegions(workloads: readonly WorkloadView[]): Map<string, Set<string>> {
  const copies = new Map<string, Set<string>>();
  for (const workload of workloads) {
    const id = `${workload.namespace}/${workload.name}`;
    const regions = copies.get(id) ?? new Set<string>();
    regions.add(workload.regionKey);
    copies.set(id, regions);
  }
  return copies;
}

/**
 * The region's workloads. For operators (`copies` given), each workload with a copy elsewhere has
 * a "Move to…" choice: picking a region runs the dry run for that move at once.
 */
function WorkloadTable({
  workloads,
  copies,
  onMove,
}: {
  workloads: WorkloadView[];
  copies: Map<string, Set<string>> | undefined;
  onMove: (workload: WorkloadView, targetRegion: string) => void;
}) {
  if (workloads.length === 0) return <p className="panel-empty">No workloads reported yet.</p>;
  return (
    <table className="workload-table">
      <thead>
        <tr>
          <th scope="col">Workload</th>
          <th scope="col">Ready</th>
          <th scope="col">CPU</th>
          <th scope="col">Memory</th>
          {copies && (
            <th scope="col">
              <span className="visually-hidden">Move</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {workloads.map((workload) => (
          <tr key={workload.key} data-testid={`workload-${workload.key}`}>
            <td>
              <span className="workload-name">{workload.name}</span>
              <span className="workload-image" title={workload.image}>
                {workload.namespace} · {imageTag(workload.image)}
              </span>
            </td>
            <td className={workload.readyReplicas < workload.desiredReplicas ? "num warn" : "num"}>
              {workload.readyReplicas}/{workload.desiredReplicas}
            </td>
            <td className="num">{formatMillicores(workload.cpuMillicores)}</td>
            <td className="num">{formatBytes(workload.memoryBytes)}</td>
            {copies && (
              <td className="move-cell">
                <MoveSelect
                  workload={workload}
                  targets={[...(copies.get(`${workload.namespace}/${workload.name}`) ?? [])]
                    .filter((regionKey) => regionKey !== workload.regionKey)
                    .sort()}
                  onMove={onMove}
                />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MoveSelect({
  workload,
  targets,
  onMove,
}: {
  workload: WorkloadView;
  targets: string[];
  onMove: (workload: WorkloadView, targetRegion: string) => void;
}) {
  if (targets.length === 0) return null;
  return (
    <select
      className="move-select"
      value=""
      aria-label={`Migrate ${workload.namespace}/${workload.name} to another region`}
      title="Move to another region (dry run first)"
      data-testid={`move-${workload.key}`}
      onChange={(event) => {
        if (event.target.value) onMove(workload, event.target.value);
      }}
    >
      <option value="" disabled>
        ⇄
      </option>
      {targets.map((regionKey) => (
        <option key={regionKey} value={regionKey}>
          Move to {regionKey}
        </option>
      ))}
    </select>
  );
}

function imageTag(image: string): string {
  const slash = image.lastIndexOf("/");
  return slash >= 0 ? image.slice(slash + 1) : image;
}

/** `eu-west-1a` in region `aws:eu-west-1` → `a`; other zone names stay whole. */
function zoneSuffix(series: PriceSeriesView): string {
  const region = series.regionKey.slice(series.regionKey.indexOf(":") + 1);
  return series.zone.startsWith(region) && series.zone.length > region.length
    ? series.zone.slice(region.length)
    : series.zone;
}
