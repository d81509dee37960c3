import { Inject, Injectable } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { HealthSummary, Liveness, PriceSnapshot, Workload } from "@sentra/proto";
import { LOGGER } from "../config/coordinator-config.js";

/** What each estate event carries. Every event is published after the change reached Redis. */
export interface EstateEventMap {
  /** A heartbeat was recorded (`receivedAtMs`: coordinator clock). */
  satelliteChanged: { health: HealthSummary; receivedAtMs: number };
  /** A price snapshot was recorded (implausible prices already dropped). */
  priceChanged: { snapshot: PriceSnapshot; receivedAtMs: number };
  /** A satellite's workload inventory was pulled and recorded (the whole list). */
  workloadsChanged: { satelliteId: string; workloads: readonly Workload[]; receivedAtMs: number };
  /** The liveness monitor judged a satellite live or stale (transitions only). */
  livenessChanged: { satelliteId: string; liveness: Liveness };
  /** A satellite not seen for the retention time was forgotten from the estate. */
  satelliteForgotten: { satelliteId: string };
}

export type EstateEventName = keyof EstateEventMap;
type Listener<E extends EstateEventName> = (event: EstateEventMap[E]) => void;

/**
 * In-process port through which ingest, liveness and inventory announce estate changes to whoever
 * renders them live (the dashboard gateway). Listeners run synchronously and must be cheap; a
 * listener that throws is logged and never disturbs the publisher or the other listeners.
 * Replicas share ingest, so heartbeats and prices applied by another replica arrive here too
 * (`EstateChangeRelay`); liveness events come from each replica's own judgement of Redis.
 */
@Injectable()
export class EstateEvents {
  private readonly listeners: { [E in EstateEventName]: Set<Listener<E>> } = {
    satelliteChanged: new Set(),
    priceChanged: new Set(),
    workloadsChanged: new Set(),
    livenessChanged: new Set(),
    satelliteForgotten: new Set(),
  };

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  /** Adds a listener; the returned function removes it. */
  on<E extends EstateEventName>(name: E, listener: Listener<E>): () => void {
    const listeners = this.listeners[name] as Set<Listener<E>>;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  publish<E extends EstateEventName>(name: E, event: EstateEventMap[E]): void {
    for (const listener of this.listeners[name] as Set<Listener<E>>) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ event: name, err: String(error) }, "estate event listener failed");
      }
    }
  }
}
