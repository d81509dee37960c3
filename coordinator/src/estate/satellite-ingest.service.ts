import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { parseSatelliteSubject, satelliteWildcard } from "@sentra/proto";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, NATS_CONNECTION } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { LivenessMonitor } from "./liveness-monitor.service.js";
import { decodeHealth, decodePrices } from "./satellite-message-decoder.js";

/**
 * Consumes the satellites' health and price subjects. A bad message is counted by reason and
 * dropped; nothing a satellite sends can stop ingestion.
 */
@Injectable()
export class SatelliteIngestService implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriptions: Subscription[] = [];

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
          // Store errors (Redis down) lose one sample, not the subscription.
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
    const result = decodeHealth(payload, satelliteId, this.config.maxMessageBytes);
    if (!result.ok) {
      this.metrics.natsDropped.inc({ kind: "health", reason: result.reason });
      return;
    }
    this.metrics.natsMessages.inc({ kind: "health" });
    const { firstSeen } = await this.store.recordHeartbeat(result.message, receivedAtMs);
    this.events.publish("satelliteChanged", { health: result.message, receivedAtMs });
    await this.liveness.onHeartbeat(result.message.satelliteId, firstSeen);
  }

  private async onPrice(payload: Uint8Array, satelliteId: string, receivedAtMs: number): Promise<void> {
    const result = decodePrices(payload, satelliteId, this.config.maxMessageBytes);
    if (!result.ok) {
      this.metrics.natsDropped.inc({ kind: "price", reason: result.reason });
      return;
    }
    if (result.rejectedPrices)
      this.metrics.natsDropped.inc({ kind: "price", reason: "implausible_price" }, result.rejectedPrices);
    this.metrics.natsMessages.inc({ kind: "price" });
    await this.store.recordPrices(result.message.prices, this.config.priceTtlMs);
    this.events.publish("priceChanged", { snapshot: result.message, receivedAtMs });
  }
}
