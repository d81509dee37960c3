import { create, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@sentra/common";
import {
  type ClusterHealth,
  HealthSummarySchema,
  PriceSnapshotSchema,
  PriceSource,
  SatelliteStatus,
  satelliteSubject,
  timestampFromDate,
} from "@sentra/proto";
import type { Counter, Gauge } from "prom-client";
import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import type { SpotPriceQuote, SpotPriceSource } from "../price/index.js";
import type { SatelliteIdentity } from "../satellite-identity.js";
import { inventoryRevision } from "./inventory-revision.js";

const PRICE_SOURCE_ON_WIRE: Readonly<Record<SpotPriceQuote["source"], PriceSource>> = {
  model: PriceSource.MODEL,
  replay: PriceSource.REPLAY,
  live: PriceSource.LIVE,
};

export interface SatellitePublisherMetrics {
  published: Counter<"kind">;
  publishErrors: Counter<"kind">;
  clusterReachable: Gauge<"cluster">;
  spotPrice: Gauge<"instance_type" | "zone">;
}

export interface SatellitePublisherOptions {
  heartbeatIntervalMs: number;
  priceIntervalMs: number;
  subjectPrefix: string;
  grpcEndpoint: string;
  startedAt: Date;
}

/**
 * Publishes the satellite's heartbeat (health summary) and spot price snapshots over core NATS as
 * protobuf. Core NATS, not JetStream: a missed heartbeat is meaningful (it is how staleness is
 * judged), and a price is only worth its latest value.
 */
export class SatellitePublisher {
  private sequence = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly nats: NatsConnection,
    private readonly identity: SatelliteIdentity,
    private readonly clusters: ClusterRegistry,
    private readonly prices: SpotPriceSource,
    private readonly options: SatellitePublisherOptions,
    private readonly metrics: SatellitePublisherMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.publishHealth();
    this.publishPrices();
    this.timers.push(setInterval(() => this.publishHealth(), this.options.heartbeatIntervalMs));
    this.timers.push(setInterval(() => this.publishPrices(), this.options.priceIntervalMs));
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  publishHealth(now = new Date()): void {
    const clusters: ClusterHealth[] = this.clusters.all().map((cluster) => {
      const state = cluster.health();
      const deployments = cluster.deployments();
      this.metrics.clusterReachable.set({ cluster: cluster.name }, state.reachable ? 1 : 0);
      return {
        $typeName: "sentra.v1.ClusterHealth",
        cluster: cluster.name,
        reachable: state.reachable,
        workloads: deployments.length,
        desiredReplicas: deployments.reduce((sum, d) => sum + (d.spec?.replicas ?? 0), 0),
        readyReplicas: deployments.reduce((sum, d) => sum + (d.status?.readyReplicas ?? 0), 0),
        error: state.error ?? "",
      };
    });
    const reachable = clusters.filter((cluster) => cluster.reachable).length;
    const status =
      reachable === clusters.length
        ? SatelliteStatus.OK
        : reachable === 0
          ? SatelliteStatus.DOWN
          : SatelliteStatus.DEGRADED;
    this.sequence += 1;
    const summary = create(HealthSummarySchema, {
      satelliteId: this.identity.satelliteId,
      region: this.identity.region,
      sequence: this.sequence,
      sentAt: timestampFromDate(now),
      status,
      clusters,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      version: this.identity.version,
      grpcEndpoint: this.options.grpcEndpoint,
      startedAt: timestampFromDate(this.options.startedAt),
      inventoryRevision: inventoryRevision(this.clusters.all()),
    });
    this.publish("health", toBinary(HealthSummarySchema, summary));
  }

  publishPrices(now = new Date()): void {
    let quotes: SpotPriceQuote[];
    try {
      quotes = this.prices.quotes(now);
    } catch (error) {
      this.metrics.publishErrors.inc({ kind: "price" });
      this.logger.error({ err: String(error) }, "price source failed");
      return;
    }
    for (const quote of quotes) {
      this.metrics.spotPrice.set({ instance_type: quote.instanceType, zone: quote.zone }, quote.usdPerHour);
    }
    const snapshot = create(PriceSnapshotSchema, {
      satelliteId: this.identity.satelliteId,
      region: this.identity.region,
      publishedAt: timestampFromDate(now),
      prices: quotes.map((quote) => ({
        cloud: quote.cloud,
        region: quote.region,
        zone: quote.zone,
        instanceType: quote.instanceType,
        usdPerHour: quote.usdPerHour,
        observedAt: timestampFromDate(quote.observedAt),
        ...(quote.confirmedAt !== undefined ? { confirmedAt: timestampFromDate(quote.confirmedAt) } : {}),
        source: PRICE_SOURCE_ON_WIRE[quote.source],
        vcpus: quote.vcpus,
        memoryGib: quote.memoryGib,
      })),
    });
    this.publish("price", toBinary(PriceSnapshotSchema, snapshot));
  }

  private publish(kind: "health" | "price", payload: Uint8Array): void {
    try {
      this.nats.publish(satelliteSubject(this.identity.satelliteId, kind, this.options.subjectPrefix), payload);
      this.metrics.published.inc({ kind });
    } catch (error) {
      // Publishing fails only when the connection is closed; the next tick tries again.
      this.metrics.publishErrors.inc({ kind });
      this.logger.warn({ kind, err: String(error) }, "publish failed");
    }
  }
}
