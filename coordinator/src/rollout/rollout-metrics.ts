import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { PhaseName } from "./rollout-phases.js";

/** The rollout record's and the wave orchestrator's metrics. */
export class RolloutMetrics {
  /** Events applied (`persisted`) or recognised as already applied (`duplicate`), by event kind. */
  readonly events: Counter<"kind" | "outcome">;
  /** Seconds from the event's time on the satellite to its commit in MySQL (outages show here). */
  readonly eventLag: Histogram<"kind">;
  /** Store failures while applying an event: `data` (the event's values refused) or `store` (MySQL failing). */
  readonly storeErrors: Counter<"kind">;
  readonly rollouts: Gauge<"phase">;
  /** Waves entering a dispatch state. */
  readonly waveTransitions: Counter<"to">;
  /** Failed satellite calls of the orchestrator, by command and error code. */
  readonly dispatchErrors: Counter<"command" | "code">;

  constructor(registry: Registry, countByPhase: () => Promise<Map<PhaseName, number>>) {
    this.events = new Counter({
      name: "sentra_coordinator_rollout_events_total",
      help: "Satellite events from the JetStream stream, by kind and outcome (persisted, duplicate)",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    });
    this.eventLag = new Histogram({
      name: "sentra_coordinator_rollout_event_lag_seconds",
      help: "Time from a satellite event to its commit in MySQL",
      labelNames: ["kind"],
      buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3_600, 86_400],
      registers: [registry],
    });
    this.storeErrors = new Counter({
      name: "sentra_coordinator_rollout_event_store_errors_total",
      help: "Failed attempts to write an event to MySQL (it is redelivered), by kind: data or store",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.rollouts = new Gauge({
      name: "sentra_coordinator_rollouts",
      help: "Recorded rollouts by phase",
      labelNames: ["phase"],
      registers: [registry],
      // Read at scrape time, so every replica reports the shared record, not what it happened to see.
      async collect() {
        try {
          const counts = await countByPhase();
          this.reset();
          for (const [phase, count] of counts) this.set({ phase }, count);
        } catch {
          // MySQL unreachable: keep the last values; /healthz reports the outage.
        }
      },
    });
    this.waveTransitions = new Counter({
      name: "sentra_coordinator_rollout_wave_transitions_total",
      help: "Multi-cluster rollout waves entering a dispatch state",
      labelNames: ["to"],
      registers: [registry],
    });
    this.dispatchErrors = new Counter({
      name: "sentra_coordinator_rollout_dispatch_errors_total",
      help: "Failed rollout calls to satellites, by command and error code",
      labelNames: ["command", "code"],
      registers: [registry],
    });
  }
}
