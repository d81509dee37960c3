import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The dashboard gateway's metrics, registered once on the coordinator's registry. */
export class DashboardMetrics {
  readonly clients: Gauge;
  readonly authFailures: Counter<"reason">;
  readonly signOuts: Counter<"reason">;
  readonly refusedEvents: Counter<"code">;
  readonly deltas: Counter;
  readonly deltaChanges: Histogram;
  readonly deltaInterval: Gauge;
  readonly emitDuration: Histogram<"event">;
  readonly actions: Counter<"action" | "result">;

  constructor(registry: Registry) {
    this.clients = new Gauge({
      name: "sentra_coordinator_dashboard_clients",
      help: "Signed-in dashboard sockets connected to this coordinator",
      registers: [registry],
    });
    this.authFailures = new Counter({
      name: "sentra_coordinator_dashboard_auth_failures_total",
      help: "Dashboard socket handshakes refused, by reason (missing, or invalid: unknown or revoked token)",
      labelNames: ["reason"],
      registers: [registry],
    });
    this.signOuts = new Counter({
      name: "sentra_coordinator_dashboard_sign_outs_total",
      help: "Dashboard sockets the gateway disconnected, by reason (revoked: their token was revoked)",
      labelNames: ["reason"],
      registers: [registry],
    });
    this.refusedEvents = new Counter({
      name: "sentra_coordinator_dashboard_refused_events_total",
      help: "Socket events refused by the gateway, by code (PERMISSION_DENIED, UNIMPLEMENTED, RESOURCE_EXHAUSTED)",
      labelNames: ["code"],
      registers: [registry],
    });
    this.deltas = new Counter({
      name: "sentra_coordinator_dashboard_deltas_total",
      help: "Delta batches broadcast to dashboard sockets",
      registers: [registry],
    });
    this.deltaChanges = new Histogram({
      name: "sentra_coordinator_dashboard_delta_changes",
      help: "Changed entities (upserts and removals) per delta batch",
      buckets: [1, 5, 20, 100, 500, 2_000, 10_000],
      registers: [registry],
    });
    this.deltaInterval = new Gauge({
      name: "sentra_coordinator_dashboard_delta_interval_seconds",
      help: "Current shortest time between two delta batches: SENTRA_DASHBOARD_DELTA_INTERVAL_MS, or longer while the event loop is busier than SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION",
      registers: [registry],
    });
    this.emitDuration = new Histogram({
      name: "sentra_coordinator_dashboard_emit_duration_seconds",
      help: "Event-loop time spent emitting a snapshot or a delta to dashboard sockets",
      labelNames: ["event"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [registry],
    });
    this.actions = new Counter({
      name: "sentra_coordinator_dashboard_actions_total",
      help: "Actions asked for over dashboard sockets, by action and result (ok, or the error code: PERMISSION_DENIED for a role that may not act)",
      labelNames: ["action", "result"],
      registers: [registry],
    });
  }
}
