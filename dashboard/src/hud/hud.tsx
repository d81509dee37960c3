import type { DashboardRole } from "@sentra/common/dashboard-protocol";
import { formatAge } from "../format";
import type { ConnectionStatus } from "../live/estate-connection";
import { useDashboardModel, useLive, useNow } from "../live/use-live";

const STATUS_TEXT: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  resyncing: "Resyncing…",
  reconnecting: "Reconnecting…",
  rejected: "Signed out",
  closed: "Signed out",
};

/** What the signed-in token's role allows (docs/security.md). */
const ROLE_HINTS: Record<DashboardRole, string> = {
  viewer: "Viewer: sees the estate",
  operator: "Operator: sees the estate and may migrate, promote and abort",
  admin: "Admin: everything, including API tokens and the audit log",
};

/** The top bar: brand, connection state, estate counts, freshness, session. */
export function Hud({ onSignOut }: { onSignOut: () => void }) {
  const model = useDashboardModel();
  const status = useLive(model.connection.state, () => model.connection.state.get().status);
  const error = useLive(model.connection.state, () => model.connection.state.get().error);
  const role = useLive(model.connection.state, () => model.connection.state.get().session?.role);
  // Read, not subscribed: the 250 ms clock below re-renders, a delta (20 a second) need not.
  const lastUpdateAtMs = model.connection.state.get().lastUpdateAtMs;
  const snapshots = useLive(model.connection.state, () => model.connection.state.get().snapshots);
  useLive(model.regions, model.regions.getVersion);
  const now = useNow(250);

  let satellites = 0;
  let live = 0;
  for (const satellite of model.stores.satellites.values()) {
    satellites += 1;
    if (satellite.liveness === "live") live += 1;
  }
  let ready = 0;
  let desired = 0;
  for (const workload of model.stores.workloads.values()) {
    ready += workload.readyReplicas;
    desired += workload.desiredReplicas;
  }
  const regions = model.regions.get();
  const staleRegions = [...regions.values()].filter((region) => !region.live).length;

  return (
    <header className="hud" data-occludes>
      <div className="brand">
        <img src="/favicon.svg" alt="" width="28" height="28" />
        <div>
          <span className="brand-name">Sentra</span>
          <span className="brand-sub">Estate</span>
        </div>
      </div>
      <div
        className="connection"
        data-testid="connection-status"
        data-status={status}
        data-snapshots={snapshots}
        title={error ?? ""}
        role="status"
      >
        <span className="connection-dot" />
        {STATUS_TEXT[status]}
      </div>
      <dl className="stats">
        <div>
          <dt>Satellites</dt>
          <dd data-testid="stat-satellites">
            <span className={live < satellites ? "warn" : undefined}>{live}</span>
            <span className="of">/{satellites} live</span>
          </dd>
        </div>
        <div>
          <dt>Regions</dt>
          <dd>
            {regions.size}
            {staleRegions > 0 && <span className="alert"> · {staleRegions} stale</span>}
          </dd>
        </div>
        <div>
          <dt>Replicas ready</dt>
          <dd>
            <span className={ready < desired ? "warn" : undefined}>{ready}</span>
            <span className="of">/{desired}</span>
          </dd>
        </div>
        <div>
          <dt>Last update</dt>
          <dd data-testid="stat-last-update">{lastUpdateAtMs ? formatAge(now - lastUpdateAtMs) : "—"}</dd>
        </div>
      </dl>
      <div className="session">
        {role && (
          <span className="role-badge" data-testid="session-role" title={ROLE_HINTS[role]}>
            {role}
          </span>
        )}
        <button type="button" className="ghost-button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
