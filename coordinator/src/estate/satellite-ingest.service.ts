import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { parseSatelliteSubject, satelliteWildcard } from "@sentra/proto";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, NATS_CONNECTION } from "../config/coordinator-config.js";
import { LogThrottle } from "../infrastructure/log-throttle.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { LivenessMonitor } from "./liveness-monitor.service.js";
import { checkPriceJumps, type JumpedPrice } from "./price-jump-check.js";
import { type DecodeFailure, decodeHealth, decodePrices, type RejectedPrice } from "./satellite-message-decoder.js";

/**
 * Consumes the satellites' health and price subjects. A bad message is counted by reason and
 * dropped whole; a bad price inside a good snapshot is counted and left out, and the last accepted
 * price stays. Every message lands in exactly one counter: accepted (`nats_messages_total`) or
 * dropped (`nats_messages_dropped_total{reason}`). Nothing a satellite sends can stop ingestion.
 */
@Injectable()
export class SatelliteIngestService implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriptions: Subscription[] = [];
  private readonly logThrottle = new LogThrottle();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly store: EstateStore,
    private readonly metrics: CoordinatorMetrics,
    private readonly liveness: LivenessMonitor,
    private readonly events: EstateEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.subscribe("health", (payload, satelliteId, receivedAtMs) => this.onHealth(payload, satelliteId, receivedAtMs));
    this.subscribe("price", (payload, satelliteId, receivedAtMs) => this.onPrice(payload, satelliteId, receivedAtMs));
  }

  async onModuleDestroy(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  private subscribe(
    kind: "health" | "price",
    handle: (payload: Uint8Array, satelliteId: string, receivedAtMs: number) => Promise<void>,
  ): void {
    const subject = satelliteWildcard(kind, this.config.subjectPrefix);
    const subscription = this.nats.subscribe(subject);
    this.subscriptions.push(subscription);
    void (async () => {
      for await (const message of subscription) {
        const parsed = parseSatelliteSubject(message.subject, this.config.subjectPrefix);
        if (!parsed) {
          this.metrics.natsDropped.inc({ kind, reason: "bad_subject" });
          continue;
        }
        try {
          await handle(message.data, parsed.satelliteId, Date.now());
        } catch (error) {
          // Store errors (Redis or MySQL down) lose one sample, not the subscription.
          this.metrics.natsDropped.inc({ kind, reason: "store_error" });
          this.logger.error(
            { kind, satelliteId: parsed.satelliteId, err: String(error) },
            "could not record satellite message",
          );
        }
      }
    })();
    this.logger.info({ subject }, "subscribed");
  }

  private async onHealth(payload: Uint8Array, satelliteId: string, receivedAtMs: number): Promise<void> {
    const result = decodeHealth(payload, satelliteId, this.config.maxPayloadBytes.health);
    if (!result.ok) {
      this.drop("health", satelliteId, result);
      return;
    }
    const { firstSeen } = await this.store.recordHeartbeat(result.message, receivedAtMs);
    await this.liveness.onHeartbeat(result.message.satelliteId, firstSeen);
    this.metrics.natsMessages.inc({ kind: "health" });
    this.events.publish("satelliteChanged", { health: result.message, receivedAtMs });
  }

  private async onPrice(payload: Uint8Array, satelliteId: string, receivedAtMs: number): Promise<void> {
    const result = decodePrices(payload, satelliteId, this.config.maxPayloadBytes.price);
    if (!result.ok) {
      this.drop("price", satelliteId, result);
      return;
    }
    const references = await this.store.priceReferences(satelliteId, receivedAtMs, this.config.priceTtlMs);
    const { accepted, jumped } = checkPriceJumps(
      result.message.prices,
      references,
      receivedAtMs,
      this.config.priceTtlMs,
    );
    await this.store.recordPrices(satelliteId, accepted, this.config.priceTtlMs, receivedAtMs);
    this.metrics.natsMessages.inc({ kind: "price" });
    for (const { reason } of result.rejectedPrices) this.metrics.pricesRejected.inc({ reason });
    if (jumped.length > 0) this.metrics.pricesRejected.inc({ reason: "jump" }, jumped.length);
    this.logRejectedPrices(satelliteId, result.rejectedPrices, jumped);
    result.message.prices = accepted;
    this.events.publish("priceChanged", { snapshot: result.message, receivedAtMs });
  }

  private drop(kind: "health" | "price", subjectSatelliteId: string, failure: DecodeFailure): void {
    this.metrics.natsDropped.inc({ kind, reason: failure.reason });
    if (failure.reason !== "subject_mismatch") return;
    // A satellite speaking for another: a bug in its configuration, or an attack. Never the payload.
    const { log, suppressed } = this.logThrottle.admit(`${kind}:${subjectSatelliteId}`);
    if (log) {
      this.logger.warn(
        { kind, subjectSatelliteId, bodySatelliteId: failure.bodySatelliteId, suppressed },
        "message names another satellite than its subject; dropped",
      );
    }
  }

  private logRejectedPrices(
    satelliteId: string,
    rejected: readonly RejectedPrice[],
    jumped: readonly JumpedPrice[],
  ): void {
    if (rejected.length === 0 && jumped.length === 0) return;
    const { log, suppressed } = this.logThrottle.admit(`price-rejected:${satelliteId}`);
    if (!log) return;
    const first = jumped[0];
    this.logger.warn(
      {
        satelliteId,
        reasons: [...new Set([...rejected.map((entry) => entry.reason), ...(first ? ["jump"] : [])])],
        rejected: rejected.length + jumped.length,
        ...(first
          ? {
              jump: {
                instanceType: first.price.instanceType,
                zone: first.price.zone,
                previousUsdPerHour: first.previousUsdPerHour,
                usdPerHour: first.price.usdPerHour,
              },
            }
          : {}),
        suppressed,
      },
      "implausible prices dropped; the last accepted ones stay",
    );
  }
}
