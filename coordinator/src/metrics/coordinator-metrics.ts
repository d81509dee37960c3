import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The coordinator's own metrics, registered once on its registry. */
export class CoordinatorMetrics {
  readonly natsMessages: Counter<"kind">;
  readonly natsDropped: Counter<"kind" | "reason">;
  readonly pricesRejected: Counter<"reason">;
  readonly satellites: Gauge<"liveness">;
  readonly grpcCalls: Histogram<"method" | "code">;
  readonly inventorySyncErrors: Counter<"satellite_id">;

  constructor(registry: Registry) {
    this.natsMessages = new Counter({
      name: "sentra_coordinator_nats_messages_total",
      help: "Satellite messages accepted, by subject kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.natsDropped = new Counter({
      name: "sentra_coordinator_nats_messages_dropped_total",
      help: "Satellite messages dropped (malformed, oversized, inconsistent), by subject kind and reason",
      labelNames: ["kind", "reason"],
      registers: [registry],
    });
    this.pricesRejected = new Counter({
      name: "sentra_coordinator_prices_rejected_total",
      help: "Single prices left out of accepted snapshots (not finite, not positive, above the maximum, a 1000x jump, another region, a bad instance type), by reason",
      labelNames: ["reason"],
      registers: [registry],
    });
    this.satellites = new Gauge({
      name: "sentra_coordinator_satellites",
      help: "Known satellites by liveness",
      labelNames: ["liveness"],
      registers: [registry],
    });
    this.grpcCalls = new Histogram({
      name: "sentra_coordinator_grpc_call_duration_seconds",
      help: "CoordinatorService call duration by method and status code",
      labelNames: ["method", "code"],
      registers: [registry],
    });
    this.inventorySyncErrors = new Counter({
      name: "sentra_coordinator_inventory_sync_errors_total",
      help: "Failed workload inventory pulls from satellites",
      labelNames: ["satellite_id"],
      registers: [registry],
    });
  }
}
