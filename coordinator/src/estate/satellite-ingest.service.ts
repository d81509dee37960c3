import { toBinary } from "@bufbuild/protobuf";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import {
  type HealthSummary,
  Liveness,
  msOf,
  type PriceSnapshot,
  PriceSnapshotSchema,
  satelliteIdOfSubject,
  satelliteWildcard,
} from "@sentra/proto";
import {
  COORDINATOR_CONFIG,
  type CoordinatorConfig,
  LOGGER,
  MISSED_HEARTBEATS_BEFORE_STALE,
  NATS_CONNECTION,
} from "../config/coordinator-config.js";
import { KeyedTokenBuckets } from "../infrastructure/keyed-token-buckets.js";
import { LogThrottle } from "../infrastructure/log-throttle.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { type AppliedPayload, EstateChangeRelay } from "./estate-change-relay.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore, type HeartbeatWrite, satelliteOf } from "./estate-store.js";
import { type Batched, KeyedBatcher } from "./keyed-batcher.js";
import { PayloadSlab } from "./payload-slab.js";
import { checkPriceJumps, type JumpedPrice, type PriceReference, priceReferenceKey } from "./price-jump-check.js";
import { SatelliteAdmission } from "./satellite-admission.js";
import {
  type ClaimVerdict,
  claimOfHealth,
  claimOfRegion,
  describeMismatch,
  judgeHealth,
  judgeRegion,
  type SatelliteBinding,
  type SatelliteClaim,
} from "./satellite-binding.js";
import { type DecodeFailure, decodeHealth, decodePrices, type RejectedPrice } from "./satellite-message-decoder.js";
import { SatelliteRecorder } from "./satellite-recorder.js";

type Kind = "health" | "price";

/** A decoded heartbeat waiting for its batch, with the bytes it came in. */
interface PendingHeartbeat {
  readonly health: HealthSummary;
  readonly payload: Uint8Array;
  readonly receivedAtMs: number;
}

/** A decoded price snapshot waiting for its batch (implausible prices already left out). */
interface PendingPrices {
  readonly snapshot: PriceSnapshot;
  readonly rejected: readonly RejectedPrice[];
  /** The bytes it came in, and how many prices they held (to tell whether they still say it). */
  readonly payload: Uint8Array;
  readonly priceCount: number;
  readonly receivedAtMs: number;
}

/** @default 1000 — a subscription holding more unhandled messages than this is a slow consumer. */
const SLOW_CONSUMER_PENDING = 1_000;
/** @default 256 — price snapshots of one satellite waiting for one batch before the oldest gives way. */
const PRICE_SNAPSHOTS_PER_SATELLITE = 256;
/** @default 1000 — how often the pending gauges are refreshed. */
const GAUGE_INTERVAL_MS = 1_000;

/**
 * Consumes the satellites' health and price subjects. Replicas share them through a NATS queue
 * group. Each message is rate-limited per satellite (before decoding), decoded and checked in the
 * NATS callback, then waits in a {@link KeyedBatcher} (one pending message per satellite; a newer
 * one replaces it) and is applied in batches: one Lua script per heartbeat batch, one round trip
 * of reads and one transaction per price batch — so the cost of a message does not depend on the
 * size of the estate. MySQL only hears of first sight, a changed identity or a return, off the
 * ingest path ({@link SatelliteRecorder}). Applied batches are announced to the other replicas.
 *
 * Every message lands in exactly one counter: accepted (`nats_messages_total`, once its batch
 * reached Redis; superseded messages too, also counted in `ingest_coalesced_total`) or dropped
 * (`nats_messages_dropped_total{reason}`). Nothing a satellite sends can stop ingestion.
 */
@Injectable()
export class SatelliteIngestService implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriptions: Subscription[] = [];
  private readonly logThrottle = new LogThrottle();
  /** One per subject kind, keyed by satellite id (no per-message key string). */
  private readonly limiters: Readonly<Record<Kind, KeyedTokenBuckets>>;
  private readonly heartbeats: KeyedBatcher<PendingHeartbeat>;
  private readonly prices: KeyedBatcher<PendingPrices>;
  private readonly recorder: SatelliteRecorder;
  private readonly slab = new PayloadSlab();
  /** Identity (region, endpoint, version) last written to MySQL per satellite, by this replica. */
  private readonly recordedIdentity = new Map<string, RecordedIdentity>();
  private gaugeTimer: NodeJS.Timeout | undefined;
  private readonly subscriptionsByKind = new Map<Kind, Subscription>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly store: EstateStore,
    private readonly metrics: CoordinatorMetrics,
    private readonly events: EstateEvents,
    private readonly relay: EstateChangeRelay,
    recorder: SatelliteRecorder,
    private readonly admission: SatelliteAdmission,
  ) {
    const { ingest } = config;
    const limiter = () => new KeyedTokenBuckets(ingest.satelliteRatePerSecond, 2 * ingest.satelliteRatePerSecond);
    this.limiters = { health: limiter(), price: limiter() };
    const options = { lanes: ingest.lanes, maxBatch: ingest.maxBatch, windowMs: ingest.batchWindowMs };
    this.heartbeats = new KeyedBatcher(options, (batch) => this.applyHeartbeats(batch));
    // Price snapshots are rare and each may carry a rejected price to count: kept in order, not replaced.
    this.prices = new KeyedBatcher({ ...options, itemsPerKey: PRICE_SNAPSHOTS_PER_SATELLITE }, (batch) =>
      this.applyPrices(batch),
    );
    this.recorder = recorder;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Bindings first: no message is judged before this replica knows who is bound to what.
    await this.admission.start();
    this.relay.start();
    this.subscribe("health");
    this.subscribe("price");
    this.gaugeTimer = setInterval(() => this.refreshGauges(), GAUGE_INTERVAL_MS);
    this.gaugeTimer.unref();
    void this.watchStatus();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.gaugeTimer);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    this.admission.stop();
    await Promise.all([this.heartbeats.drain(), this.prices.drain()]);
    this.relay.stop();
    await this.recorder.flush();
  }

  private subscribe(kind: Kind): void {
    const subject = satelliteWildcard(kind, this.config.subjectPrefix);
    const queue = this.config.ingest.queueGroup || undefined;
    const subscription = this.nats.subscribe(subject, {
      ...(queue ? { queue } : {}),
      slow: SLOW_CONSUMER_PENDING,
      callback: (error, message) => {
        if (error) {
          this.logger.warn({ kind, err: String(error) }, "satellite subscription error");
          return;
        }
        this.receive(kind, message);
      },
    });
    this.subscriptions.push(subscription);
    this.subscriptionsByKind.set(kind, subscription);
    this.logger.info({ subject, queue: queue ?? null }, "subscribed");
  }

  /** Synchronous per message: nothing here waits, so one satellite's messages cannot hold others. */
  private receive(kind: Kind, message: Msg): void {
    const receivedAtMs = Date.now();
    // A satellite publishes its heartbeats and prices itself, plainly. A message that JetStream
    // delivered (a push consumer whose deliver subject is a health/price subject: its reply is
    // `$JS.ACK.…`, its subject the stored one) is a satellite routing stored bytes around its
    // publish permissions; it is never used (docs/security.md, "NATS").
    if (isJetStreamDelivery(message)) {
      this.metrics.natsDropped.inc({ kind, reason: "jetstream_delivery" });
      const { log, suppressed } = this.logThrottle.admit(`jetstream:${kind}`, receivedAtMs);
      if (log) {
        this.logger.warn(
          { kind, subject: message.subject.slice(0, 200), suppressed },
          "message delivered by JetStream onto a satellite subject dropped: a push consumer is routing stored messages there",
        );
      }
      return;
    }
    const satelliteId = satelliteIdOfSubject(message.subject, this.config.subjectPrefix, kind);
    if (satelliteId === undefined) {
      this.metrics.natsDropped.inc({ kind, reason: "bad_subject" });
      return;
    }
    if (!this.limiters[kind].admit(satelliteId, receivedAtMs)) {
      this.metrics.natsDropped.inc({ kind, reason: "rate_limited" });
      const { log, suppressed } = this.logThrottle.admit(`rate:${kind}:${satelliteId}`, receivedAtMs);
      if (log) {
        this.logger.warn(
          { kind, satelliteId, suppressed, ratePerSecond: this.config.ingest.satelliteRatePerSecond },
          "satellite sends faster than its rate limit; messages dropped",
        );
      }
      return;
    }
    if (kind === "health") {
      const result = decodeHealth(message.data, satelliteId, this.config.maxPayloadBytes.health);
      if (!result.ok) {
        this.drop(kind, satelliteId, result);
        return;
      }
      // A copy: the subscription's buffer is not ours to keep until the batch runs.
      const payload = this.slab.copy(message.data);
      this.admitHeartbeat(satelliteId, { health: result.message, payload, receivedAtMs }, false);
      return;
    }
    const result = decodePrices(message.data, satelliteId, this.config.maxPayloadBytes.price);
    if (!result.ok) {
      this.drop(kind, satelliteId, result);
      return;
    }
    // Implausible values are counted per message, as they come: a snapshot that gives way later still counted.
    for (const { reason } of result.rejectedPrices) this.metrics.pricesRejected.inc({ reason });
    const pending: PendingPrices = {
      snapshot: result.message,
      rejected: result.rejectedPrices,
      payload: this.slab.copy(message.data),
      priceCount: result.message.prices.length + result.rejectedPrices.length,
      receivedAtMs,
    };
    this.admitPrices(satelliteId, pending, false);
  }

  /** Judges a heartbeat by the satellite's binding, waiting for it when this replica has none. */
  private admitHeartbeat(satelliteId: string, pending: PendingHeartbeat, afterClaim: boolean): void {
    const binding = this.admission.bindingOf(satelliteId);
    if (!binding) {
      this.awaitBinding("health", satelliteId, claimOfHealth(pending.health), afterClaim, () =>
        this.admitHeartbeat(satelliteId, pending, true),
      );
      return;
    }
    const verdict = judgeHealth(binding, pending.health);
    if (verdict !== "admit") {
      this.refuseClaim("health", binding, verdict, claimOfHealth(pending.health));
      return;
    }
    if (this.heartbeats.add(satelliteId, pending)) this.metrics.ingestCoalesced.inc({ kind: "health" });
  }

  private admitPrices(satelliteId: string, pending: PendingPrices, afterClaim: boolean): void {
    const binding = this.admission.bindingOf(satelliteId);
    const region = pending.snapshot.region;
    if (!binding) {
      this.awaitBinding("price", satelliteId, undefined, afterClaim, () =>
        this.admitPrices(satelliteId, pending, true),
      );
      return;
    }
    const verdict = judgeRegion(binding, region);
    if (verdict !== "admit") {
      this.refuseClaim("price", binding, verdict, claimOfRegion(region));
      return;
    }
    if (this.prices.add(satelliteId, pending)) this.metrics.ingestCoalesced.inc({ kind: "price" });
  }

  /**
   * A satellite this replica has no binding for: its message waits while its claim is recorded.
   * Price snapshots bring no claim (they name no clusters): they wait for a heartbeat's.
   */
  private awaitBinding(
    kind: Kind,
    satelliteId: string,
    claim: SatelliteClaim | undefined,
    afterClaim: boolean,
    continuation: () => void,
  ): void {
    // After a recorded claim the binding is known; if not (the replica is stopping), the message goes.
    if (afterClaim || !this.admission.wait(satelliteId, claim, continuation)) {
      this.metrics.natsDropped.inc({ kind, reason: afterClaim ? "unbound" : "admission_backlog" });
    }
  }

  /** A message outside its satellite's binding, or of a satellite awaiting approval: dropped and said. */
  private refuseClaim(
    kind: Kind,
    binding: SatelliteBinding,
    verdict: Exclude<ClaimVerdict, "admit">,
    claim: SatelliteClaim,
  ): void {
    this.metrics.natsDropped.inc({ kind, reason: verdict });
    const satelliteId = binding.satelliteId;
    const { log, suppressed } = this.logThrottle.admit(`${verdict}:${satelliteId}`);
    if (!log) return;
    if (verdict === "unapproved") {
      this.logger.info(
        { kind, satelliteId, suppressed },
        "satellite awaits approval (sentra approve-satellite <id>); message ignored",
      );
      return;
    }
    this.logger.warn(
      { kind, satelliteId, ...describeMismatch(binding, claim), suppressed },
      "satellite claims another cloud, region or cluster than it is bound to; dropped (if it really moved: sentra rebind-satellite <id>)",
    );
  }

  private async applyHeartbeats(batch: ReadonlyMap<string, Batched<PendingHeartbeat>>): Promise<void> {
    const startedAt = performance.now();
    const entries = [...batch.values()];
    const messages = entries.reduce((sum, entry) => sum + entry.count, 0);
    const writes: HeartbeatWrite[] = entries.map(({ item }) => ({
      satelliteId: item.health.satelliteId,
      payload: item.payload,
      order: orderOf(item.health),
      receivedAtMs: item.receivedAtMs,
      staleAtMs: item.receivedAtMs + MISSED_HEARTBEATS_BEFORE_STALE * item.health.heartbeatIntervalMs,
    }));
    let outcomes: Awaited<ReturnType<EstateStore["applyHeartbeats"]>>;
    try {
      outcomes = await this.store.applyHeartbeats(writes, Date.now());
    } catch (error) {
      this.storeError("health", messages, error);
      return;
    }
    const appliedAtMs = Date.now();
    const announced: AppliedPayload[] = [];
    let accepted = 0;
    let outOfOrder = 0;
    entries.forEach(({ item, count }, index) => {
      const outcome = outcomes[index];
      if (outcome === "out_of_order") {
        outOfOrder += count;
        return;
      }
      accepted += count;
      announced.push({ payload: item.payload, receivedAtMs: item.receivedAtMs });
      this.events.publish("satelliteChanged", { health: item.health, receivedAtMs: item.receivedAtMs });
      this.recordIfNew(item, outcome === "first_seen" || outcome === "returned", outcome === "first_seen");
    });
    this.relay.announce(announced, []);
    this.metrics.natsMessages.inc({ kind: "health" }, accepted);
    if (outOfOrder > 0) this.metrics.natsDropped.inc({ kind: "health", reason: "out_of_order" }, outOfOrder);
    this.observeBatch("health", entries, startedAt, appliedAtMs);
  }

  /**
   * A satellite's snapshots of one batch are checked in the order they came, each against the
   * prices accepted before it (Redis' references, then the batch's own), so a jump is caught even
   * when the snapshot it jumps from has not reached Redis yet.
   */
  private async applyPrices(batch: ReadonlyMap<string, Batched<PendingPrices>>): Promise<void> {
    const startedAt = performance.now();
    const entries = [...batch.values()];
    const messages = entries.reduce((sum, entry) => sum + entry.count, 0);
    const ttlMs = this.config.priceTtlMs;
    const nowMs = Date.now();
    const results: { item: PendingPrices; accepted: PriceSnapshot["prices"]; jumped: JumpedPrice[] }[] = [];
    try {
      const references = await this.store.priceReferences([...batch.keys()], nowMs, ttlMs);
      for (const { items } of entries) {
        for (const item of items) {
          const satelliteId = item.snapshot.satelliteId;
          const known = references.get(satelliteId) ?? new Map<string, PriceReference>();
          references.set(satelliteId, known);
          const { accepted, jumped } = checkPriceJumps(item.snapshot.prices, known, item.receivedAtMs, ttlMs);
          for (const price of accepted)
            known.set(priceReferenceKey(price), { usdPerHour: price.usdPerHour, atMs: nowMs });
          results.push({ item, accepted, jumped });
        }
      }
      await this.store.recordPrices(
        results.map(({ item, accepted }) => ({ satelliteId: item.snapshot.satelliteId, prices: accepted })),
        ttlMs,
        nowMs,
      );
    } catch (error) {
      this.storeError("price", messages, error);
      return;
    }
    const appliedAtMs = Date.now();
    const announced: AppliedPayload[] = [];
    for (const { item, accepted, jumped } of results) {
      if (jumped.length > 0) this.metrics.pricesRejected.inc({ reason: "jump" }, jumped.length);
      this.logRejectedPrices(item.snapshot.satelliteId, item.rejected, jumped);
      item.snapshot.prices = accepted;
      this.events.publish("priceChanged", { snapshot: item.snapshot, receivedAtMs: item.receivedAtMs });
      // Re-encoded only when a price was left out: encoding costs three times what decoding does.
      const payload = accepted.length === item.priceCount ? item.payload : toBinary(PriceSnapshotSchema, item.snapshot);
      announced.push({ payload, receivedAtMs: item.receivedAtMs });
    }
    this.relay.announce([], announced);
    this.metrics.natsMessages.inc({ kind: "price" }, messages);
    this.observeBatch("price", entries, startedAt, appliedAtMs);
  }

  /**
   * MySQL hears of a satellite when this replica first applies it, when it comes back from stale
   * or forgotten, and when its identity (region, endpoint, version) changes — never per heartbeat.
   */
  private recordIfNew(item: PendingHeartbeat, returning: boolean, firstSeen: boolean): void {
    const { health } = item;
    const recorded = this.recordedIdentity.get(health.satelliteId);
    if (!returning && recorded !== undefined && sameIdentity(recorded, health)) return;
    this.recordedIdentity.set(health.satelliteId, identityOf(health));
    const satellite = satelliteOf(health, item.receivedAtMs, item.receivedAtMs);
    satellite.liveness = Liveness.LIVE;
    this.recorder.record(satellite, item.receivedAtMs);
    if (firstSeen)
      this.logger.info({ satelliteId: health.satelliteId, region: health.region?.name }, "satellite joined");
  }

  /** A batch Redis refused: every message in it is dropped and counted, the subscription goes on. */
  private storeError(kind: Kind, messages: number, error: unknown): void {
    this.metrics.natsDropped.inc({ kind, reason: "store_error" }, messages);
    const { log, suppressed } = this.logThrottle.admit(`store-error:${kind}`);
    if (log) {
      this.logger.error({ kind, messages, suppressed, err: String(error) }, "could not record satellite messages");
    }
  }

  private observeBatch(
    kind: Kind,
    entries: readonly Batched<{ receivedAtMs: number }>[],
    startedAt: number,
    appliedAtMs: number,
  ): void {
    let oldest = appliedAtMs;
    for (const { item } of entries) oldest = Math.min(oldest, item.receivedAtMs);
    this.metrics.ingestBatchSize.observe({ kind }, entries.length);
    this.metrics.ingestApplySeconds.observe({ kind }, (performance.now() - startedAt) / 1000);
    this.metrics.ingestLagSeconds.observe({ kind }, (appliedAtMs - oldest) / 1000);
  }

  private refreshGauges(): void {
    this.metrics.ingestPending.set({ kind: "health" }, this.heartbeats.pending());
    this.metrics.ingestPending.set({ kind: "price" }, this.prices.pending());
    for (const [kind, subscription] of this.subscriptionsByKind) {
      this.metrics.natsPending.set({ kind }, subscription.getPending());
    }
    this.metrics.recordBacklog.set(this.recorder.backlog());
  }

  /** Slow consumers and lost connections are counted and logged: a message NATS dropped shows here. */
  private async watchStatus(): Promise<void> {
    for await (const status of this.nats.status()) {
      if (status.type === "slowConsumer") {
        const kind = [...this.subscriptionsByKind].find(([, sub]) => sub === status.sub)?.[0] ?? "health";
        this.metrics.natsSlowConsumer.inc({ kind });
        const { log, suppressed } = this.logThrottle.admit(`slow-consumer:${kind}`);
        if (log) {
          this.logger.warn(
            { kind, pending: status.pending, suppressed },
            "satellite subscription is a slow consumer: messages wait in the client",
          );
        }
      } else if (status.type === "disconnect") {
        this.metrics.natsDisconnects.inc();
      } else if (status.type === "error") {
        this.logger.warn({ err: String(status.error) }, "NATS server error");
      }
    }
  }

  private drop(kind: Kind, subjectSatelliteId: string, failure: DecodeFailure): void {
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

/** `<startedAtMs>:<sequence>`: heartbeats of one satellite run are ordered by sequence. */
function orderOf(health: HealthSummary): string {
  if (health.sequence === 0) return "";
  return `${health.startedAt ? msOf(health.startedAt) : 0}:${health.sequence}`;
}

/** What the MySQL record holds of a satellite besides liveness and times. */
interface RecordedIdentity {
  readonly cloud: string;
  readonly region: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly grpcEndpoint: string;
  readonly version: string;
}

function identityOf(health: HealthSummary): RecordedIdentity {
  const region = health.region;
  return {
    cloud: region?.cloud ?? "",
    region: region?.name ?? "",
    latitude: region?.latitude ?? 0,
    longitude: region?.longitude ?? 0,
    grpcEndpoint: health.grpcEndpoint,
    version: health.version,
  };
}

/** Compared field by field: a key string built per heartbeat was garbage 5,000 times a second. */
function sameIdentity(recorded: RecordedIdentity, health: HealthSummary): boolean {
  const region = health.region;
  return (
    recorded.cloud === (region?.cloud ?? "") &&
    recorded.region === (region?.name ?? "") &&
    recorded.latitude === (region?.latitude ?? 0) &&
    recorded.longitude === (region?.longitude ?? 0) &&
    recorded.grpcEndpoint === health.grpcEndpoint &&
    recorded.version === health.version
  );
}

/** JetStream's deliveries carry its ack subject as reply (or, for flow control, a status header). */
export function isJetStreamDelivery(message: Pick<Msg, "reply" | "headers">): boolean {
  if (message.reply?.startsWith("$JS.")) return true;
  const headers = message.headers;
  return headers !== undefined && (headers.has("Nats-Stream") || headers.code > 0);
}
