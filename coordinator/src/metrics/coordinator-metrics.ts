import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The coordinator's own metrics, registered once on its registry. */
export class CoordinatorMetrics {
  readonly natsMessages: Counter<"kind">;
  readonly natsDropped: Counter<"kind" | "reason">;
  readonly pricesRejected: Counter<"reason">;
  readonly satellites: Gauge<"liveness">;
  readonly grpcCalls: Histogram<"method" | "code">;
  readonly inventorySyncErrors: Counter<"satellite_id">;
  readonly inventoryPulls: Counter<"outcome">;
  readonly ingestPending: Gauge<"kind">;
  readonly ingestBatchSize: Histogram<"kind">;
  readonly ingestApplySeconds: Histogram<"kind">;
  readonly ingestLagSeconds: Histogram<"kind">;
  readonly ingestCoalesced: Counter<"kind">;
  readonly natsSlowConsumer: Counter<"kind">;
  readonly natsPending: Gauge<"kind">;
  readonly natsDisconnects: Counter;
  readonly recordBacklog: Gauge;
  readonly recordErrors: Counter;
  readonly replicaChanges: Counter<"direction" | "kind">;
  readonly satellitesForgotten: Counter;
  readonly recordsPruned: Counter<"table">;
  readonly recordPruneErrors: Counter;
  readonly admissionWaiting: Gauge;
  readonly bindingErrors: Counter;
  readonly inventoryRejected: Counter<"reason">;

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
    this.inventoryPulls = new Counter({
      name: "sentra_coordinator_inventory_pulls_total",
      help: "Timed workload inventory checks, by outcome: pulled over gRPC (revision changed, none sent, or refresh due), or unchanged (the heartbeat's inventory revision is the one last pulled; no call)",
      labelNames: ["outcome"],
      registers: [registry],
    });
    this.inventorySyncErrors = new Counter({
      name: "sentra_coordinator_inventory_sync_errors_total",
      help: "Failed workload inventory pulls from satellites",
      labelNames: ["satellite_id"],
      registers: [registry],
    });
    this.ingestPending = new Gauge({
      name: "sentra_coordinator_ingest_pending",
      help: "Satellite messages accepted and waiting for their batch (at most one per satellite and kind), by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.ingestBatchSize = new Histogram({
      name: "sentra_coordinator_ingest_batch_size",
      help: "Satellites per applied ingest batch, by kind",
      labelNames: ["kind"],
      buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_000, 5_000],
      registers: [registry],
    });
    this.ingestApplySeconds = new Histogram({
      name: "sentra_coordinator_ingest_apply_duration_seconds",
      help: "Time to apply one ingest batch to Redis, by kind",
      labelNames: ["kind"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.ingestLagSeconds = new Histogram({
      name: "sentra_coordinator_ingest_lag_seconds",
      help: "From receipt of a batch's oldest message to the batch applied in Redis, by kind",
      labelNames: ["kind"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.ingestCoalesced = new Counter({
      name: "sentra_coordinator_ingest_coalesced_total",
      help: "Accepted messages superseded by a newer one of the same satellite before their batch was applied (counted as accepted too), by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.natsSlowConsumer = new Counter({
      name: "sentra_coordinator_nats_slow_consumer_total",
      help: "Times a satellite subscription had more messages pending in the client than the slow-consumer threshold, by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.natsPending = new Gauge({
      name: "sentra_coordinator_nats_pending_messages",
      help: "Messages received from NATS and not yet handled by the subscription, by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.natsDisconnects = new Counter({
      name: "sentra_coordinator_nats_disconnects_total",
      help: "Times the NATS connection was lost (a server that drops a slow consumer disconnects it)",
      registers: [registry],
    });
    this.admissionWaiting = new Gauge({
      name: "sentra_coordinator_satellite_admission_waiting",
      help: "Satellites whose first messages wait for their binding to be read or written in MySQL",
      registers: [registry],
    });
    this.bindingErrors = new Counter({
      name: "sentra_coordinator_satellite_binding_errors_total",
      help: "Failed MySQL reads or writes of satellite bindings (retried; bound satellites are not held up)",
      registers: [registry],
    });
    this.inventoryRejected = new Counter({
      name: "sentra_coordinator_inventory_workloads_rejected_total",
      help: "Workloads a satellite reported outside its binding (another cluster, cloud or region), left out",
      labelNames: ["reason"],
      registers: [registry],
    });
    this.recordBacklog = new Gauge({
      name: "sentra_coordinator_satellite_record_backlog",
      help: "Satellites whose MySQL record (first sight, identity, liveness) is still to be written",
      registers: [registry],
    });
    this.recordErrors = new Counter({
      name: "sentra_coordinator_satellite_record_errors_total",
      help: "Failed MySQL writes of satellite records (retried until they land)",
      registers: [registry],
    });
    this.replicaChanges = new Counter({
      name: "sentra_coordinator_replica_changes_total",
      help: "Applied satellite messages announced to other coordinator replicas (direction=sent) or learnt from them (received; dropped when undecodable), by kind",
      labelNames: ["direction", "kind"],
      registers: [registry],
    });
    this.satellitesForgotten = new Counter({
      name: "sentra_coordinator_satellites_forgotten_total",
      help: "Satellites forgotten from Redis after not being seen for the retention time",
      registers: [registry],
    });
    this.recordsPruned = new Counter({
      name: "sentra_coordinator_records_pruned_total",
      help: "MySQL record rows deleted after their retention time, by table",
      labelNames: ["table"],
      registers: [registry],
    });
    this.recordPruneErrors = new Counter({
      name: "sentra_coordinator_record_prune_errors_total",
      help: "Retention runs that failed (MySQL unreachable or refused); the next run tries again",
      registers: [registry],
    });
  }
}
