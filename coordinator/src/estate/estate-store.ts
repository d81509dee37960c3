import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type HealthSummary,
  Liveness,
  msOf,
  type Satellite,
  SatelliteSchema,
  SatelliteServiceListWorkloadsResponseSchema,
  type SpotPrice,
  SpotPriceSchema,
  timestampFromMs,
  type Workload,
} from "@sentra/proto";
import type { Redis } from "ioredis";
import { livenessOf } from "./liveness.js";
import { type PriceReference, priceReferenceKey } from "./price-jump-check.js";

/**
 * The estate's hot state in Redis, shared by every coordinator replica:
 * - `sat:<id>`: the satellite's last health as a Satellite message; `satellites`: zset id → last seen ms
 * - `price:<cloud>:<region>:<type>`: latest price, expiring after the price TTL; `price-index` lists keys
 * - `price-ref:<id>`: the satellite's last accepted price per zone and type (the jump check's reference)
 * - `workloads:<id>`: the satellite's last inventory, expiring with the satellite.
 */
export class EstateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async recordHeartbeat(health: HealthSummary, receivedAtMs: number): Promise<{ firstSeen: boolean }> {
    const satellite = create(SatelliteSchema, {
      id: health.satelliteId,
      region: health.region,
      status: health.status,
      lastSeenAt: timestampFromMs(receivedAtMs),
      heartbeatIntervalMs: health.heartbeatIntervalMs,
      clusters: health.clusters,
      version: health.version,
      grpcEndpoint: health.grpcEndpoint,
    });
    const results = await this.redis
      .multi()
      .set(this.key(`sat:${health.satelliteId}`), Buffer.from(toBinary(SatelliteSchema, satellite)))
      .zadd(this.key("satellites"), String(receivedAtMs), health.satelliteId)
      .exec();
    // ZADD answers 1 when the member is new.
    return { firstSeen: results?.[1]?.[1] === 1 };
  }

  /** Every known satellite with liveness judged at `nowMs`. */
  async satellites(nowMs: number): Promise<Satellite[]> {
    const ids = await this.redis.zrange(this.key("satellites"), "0", "-1");
    if (ids.length === 0) return [];
    const values = await this.redis.mgetBuffer(...ids.map((id) => this.key(`sat:${id}`)));
    const satellites: Satellite[] = [];
    for (const value of values) {
      if (!value) continue;
      const satellite = fromBinary(SatelliteSchema, value);
      const lastSeenMs =
        Number(satellite.lastSeenAt?.seconds ?? 0n) * 1000 + Math.floor((satellite.lastSeenAt?.nanos ?? 0) / 1e6);
      satellite.liveness = livenessOf(lastSeenMs, satellite.heartbeatIntervalMs || 2_000, nowMs);
      satellites.push(satellite);
    }
    return satellites.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** One satellite with liveness judged at `nowMs` (one key read, however large the estate). */
  async satellite(id: string, nowMs: number): Promise<Satellite | undefined> {
    const value = await this.redis.getBuffer(this.key(`sat:${id}`));
    if (!value) return undefined;
    const satellite = fromBinary(SatelliteSchema, value);
    satellite.liveness = livenessOf(msOf(satellite.lastSeenAt), satellite.heartbeatIntervalMs || 2_000, nowMs);
    return satellite;
  }

  async liveSatellites(nowMs: number): Promise<Satellite[]> {
    return (await this.satellites(nowMs)).filter((satellite) => satellite.liveness === Liveness.LIVE);
  }

  /**
   * Stores a satellite's accepted prices in one transaction: each (region, instance type)'s
   * cheapest zone price with a TTL, and every price as that satellite's new reference for the
   * jump check (`price-ref:<satelliteId>`, field `<zone>|<type>` → `<usdPerHour>@<ms>`).
   */
  async recordPrices(satelliteId: string, prices: readonly SpotPrice[], ttlMs: number, nowMs: number): Promise<void> {
    const cheapest = new Map<string, SpotPrice>();
    for (const price of prices) {
      const key = this.key(`price:${price.cloud}:${price.region}:${price.instanceType}`);
      const current = cheapest.get(key);
      if (!current || price.usdPerHour < current.usdPerHour) cheapest.set(key, price);
    }
    if (cheapest.size === 0) return;
    const pipeline = this.redis.multi();
    for (const [key, price] of cheapest) pipeline.set(key, Buffer.from(toBinary(SpotPriceSchema, price)), "PX", ttlMs);
    pipeline.sadd(this.key("price-index"), ...cheapest.keys());
    const referenceKey = this.key(`price-ref:${satelliteId}`);
    pipeline.hset(
      referenceKey,
      Object.fromEntries(prices.map((price) => [priceReferenceKey(price), `${price.usdPerHour}@${nowMs}`])),
    );
    // Twice the TTL: the references outlive the prices they vouch for, and then go.
    pipeline.pexpire(referenceKey, 2 * ttlMs);
    await pipeline.exec();
  }

  /**
   * A satellite's last accepted prices younger than `maxAgeMs`, by `<zone>|<type>`; older entries
   * are deleted as they are found (a type the satellite stopped pricing does not linger).
   */
  async priceReferences(satelliteId: string, nowMs: number, maxAgeMs: number): Promise<Map<string, PriceReference>> {
    const referenceKey = this.key(`price-ref:${satelliteId}`);
    const entries = await this.redis.hgetall(referenceKey);
    const references = new Map<string, PriceReference>();
    const stale: string[] = [];
    for (const [field, value] of Object.entries(entries)) {
      const [usd, at] = value.split("@");
      const usdPerHour = Number(usd);
      const atMs = Number(at);
      if (usdPerHour > 0 && Number.isFinite(usdPerHour) && nowMs - atMs <= maxAgeMs) {
        references.set(field, { usdPerHour, atMs });
      } else {
        stale.push(field);
      }
    }
    if (stale.length > 0) await this.redis.hdel(referenceKey, ...stale);
    return references;
  }

  /** Prices that have not expired; expired keys are pruned from the index as they are found. */
  async currentPrices(): Promise<SpotPrice[]> {
    const keys = await this.redis.smembers(this.key("price-index"));
    if (keys.length === 0) return [];
    const values = await this.redis.mgetBuffer(...keys);
    const expired = keys.filter((_, index) => !values[index]);
    if (expired.length > 0) await this.redis.srem(this.key("price-index"), ...expired);
    return values.filter((value): value is Buffer => value !== null).map((value) => fromBinary(SpotPriceSchema, value));
  }

  async recordWorkloads(satelliteId: string, workloads: readonly Workload[], ttlMs: number): Promise<void> {
    const payload = toBinary(
      SatelliteServiceListWorkloadsResponseSchema,
      create(SatelliteServiceListWorkloadsResponseSchema, { workloads: [...workloads] }),
    );
    await this.redis.set(this.key(`workloads:${satelliteId}`), Buffer.from(payload), "PX", ttlMs);
  }

  async workloads(satelliteIds: readonly string[]): Promise<Workload[]> {
    if (satelliteIds.length === 0) return [];
    const values = await this.redis.mgetBuffer(...satelliteIds.map((id) => this.key(`workloads:${id}`)));
    return values.flatMap((value) =>
      value ? fromBinary(SatelliteServiceListWorkloadsResponseSchema, value).workloads : [],
    );
  }

  private key(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }
}
