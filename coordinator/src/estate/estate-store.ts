import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type HealthSummary,
  Liveness,
  readHealthSummary,
  type Satellite,
  SatelliteSchema,
  SatelliteServiceListWorkloadsResponseSchema,
  type SpotPrice,
  SpotPriceSchema,
  timestampFromMs,
  type Workload,
} from "@sentra/proto";
import type { Redis } from "ioredis";
import { APPLY_HEARTBEATS_LUA, FORGET_SATELLITES_LUA } from "./estate-scripts.js";
import { livenessOf } from "./liveness.js";
import { type PriceReference, priceReferenceKey } from "./price-jump-check.js";

/** One heartbeat to apply: the payload as the satellite sent it, and what the store indexes it by. */
export interface HeartbeatWrite {
  readonly satelliteId: string;
  /** The satellite's HealthSummary bytes, stored as they came (no re-encoding on the hot path). */
  readonly payload: Uint8Array;
  /** `<startedAtMs>:<sequence>`, or empty when the satellite sends neither. */
  readonly order: string;
  readonly receivedAtMs: number;
  /** When the satellite turns stale unless another heartbeat arrives (coordinator clock). */
  readonly staleAtMs: number;
}

/** What applying one heartbeat did. */
export type HeartbeatOutcome = "applied" | "first_seen" | "returned" | "out_of_order";
const HEARTBEAT_OUTCOMES: readonly HeartbeatOutcome[] = ["applied", "first_seen", "returned", "out_of_order"];

/** A satellite's accepted prices of one snapshot, to store. */
export interface PriceWrite {
  readonly satelliteId: string;
  readonly prices: readonly SpotPrice[];
}

/** The estate store's Lua commands, defined once per Redis connection. */
interface EstateScripts {
  sentraApplyHeartbeats(...args: Array<string | Buffer | number>): Promise<number[]>;
  sentraForgetSatellites(...args: Array<string | number>): Promise<string[]>;
}

/**
 * The estate's hot state in Redis, shared by every coordinator replica:
 * - `sat-health`: hash id → the satellite's last applied HealthSummary, as it sent it
 * - `satellites`: zset id → last seen (ms); `sat-stale-at`: zset id → when it turns stale (ms),
 *   so liveness is one range query however large the estate; `sat-order`: hash id →
 *   `<startedAtMs>:<sequence>` of the applied heartbeat (replicas racing cannot go backwards)
 * - `price:<cloud>:<region>:<type>`: latest price, expiring after the price TTL; `price-index` lists keys
 * - `price-ref:<id>`: the satellite's last accepted price per zone and type (the jump check's reference)
 * - `workloads:<id>`: the satellite's last inventory, expiring with the satellite.
 */
export class EstateStore {
  private readonly scripts: EstateScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand("sentraApplyHeartbeats", { numberOfKeys: 4, lua: APPLY_HEARTBEATS_LUA });
    redis.defineCommand("sentraForgetSatellites", { numberOfKeys: 4, lua: FORGET_SATELLITES_LUA });
    this.scripts = redis as unknown as EstateScripts;
  }

  /** Applies heartbeats in one atomic script; one outcome per write, in order. */
  async applyHeartbeats(writes: readonly HeartbeatWrite[], nowMs: number): Promise<HeartbeatOutcome[]> {
    if (writes.length === 0) return [];
    const args: Array<string | Buffer | number> = [...this.satelliteKeys(), nowMs];
    for (const write of writes) {
      args.push(
        write.satelliteId,
        write.order,
        write.receivedAtMs,
        write.staleAtMs,
        Buffer.from(write.payload.buffer, write.payload.byteOffset, write.payload.byteLength),
      );
    }
    const codes = await this.scripts.sentraApplyHeartbeats(...args);
    return codes.map((code) => HEARTBEAT_OUTCOMES[code] ?? "applied");
  }

  /** Satellites whose stale deadline has passed at `nowMs` (one range query), and how many are known. */
  async staleSatelliteIds(nowMs: number): Promise<{ stale: string[]; known: number }> {
    const results = await this.redis
      .pipeline()
      .zrangebyscore(this.key("sat-stale-at"), "-inf", `(${nowMs}`)
      .zcard(this.key("sat-stale-at"))
      .exec();
    const [staleResult, knownResult] = results ?? [];
    if (staleResult?.[0]) throw staleResult[0];
    if (knownResult?.[0]) throw knownResult[0];
    return { stale: (staleResult?.[1] as string[]) ?? [], known: Number(knownResult?.[1] ?? 0) };
  }

  /** Which of these ids the store still knows (the others were forgotten). */
  async knownSatelliteIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const scores = await this.redis.zmscore(this.key("satellites"), ...ids);
    return new Set(ids.filter((_, index) => scores[index] !== null));
  }

  /**
   * Forgets satellites last seen before `cutoffMs`, at most `limit` per call: their health,
   * scores, order, workloads and price references. Returns the ids forgotten.
   */
  async forgetSatellitesSeenBefore(cutoffMs: number, limit: number): Promise<string[]> {
    return this.scripts.sentraForgetSatellites(...this.satelliteKeys(), cutoffMs, this.prefix, limit);
  }

  /** Every known satellite with liveness judged at `nowMs`. */
  async satellites(nowMs: number): Promise<Satellite[]> {
    const results = await this.redis
      .pipeline()
      .zrange(this.key("satellites"), "0", "-1", "WITHSCORES")
      .hgetallBuffer(this.key("sat-health"))
      .exec();
    const [seenResult, healthResult] = results ?? [];
    if (seenResult?.[0]) throw seenResult[0];
    if (healthResult?.[0]) throw healthResult[0];
    const seen = (seenResult?.[1] as string[]) ?? [];
    const health = (healthResult?.[1] as Record<string, Buffer>) ?? {};
    const satellites: Satellite[] = [];
    for (let index = 0; index + 1 < seen.length; index += 2) {
      const id = seen[index] as string;
      const payload = health[id];
      if (!payload) continue;
      satellites.push(satelliteOf(readHealthSummary(payload), Number(seen[index + 1]), nowMs));
    }
    return satellites.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** One satellite with liveness judged at `nowMs` (one key read, however large the estate). */
  async satellite(id: string, nowMs: number): Promise<Satellite | undefined> {
    const results = await this.redis
      .pipeline()
      .hgetBuffer(this.key("sat-health"), id)
      .zscore(this.key("satellites"), id)
      .exec();
    const [healthResult, seenResult] = results ?? [];
    if (healthResult?.[0]) throw healthResult[0];
    if (seenResult?.[0]) throw seenResult[0];
    const payload = healthResult?.[1] as Buffer | null;
    const lastSeen = seenResult?.[1] as string | null;
    if (!payload || lastSeen === null) return undefined;
    return satelliteOf(readHealthSummary(payload), Number(lastSeen), nowMs);
  }

  async liveSatellites(nowMs: number): Promise<Satellite[]> {
    return (await this.satellites(nowMs)).filter((satellite) => satellite.liveness === Liveness.LIVE);
  }

  /**
   * Stores satellites' accepted prices in one transaction: each (region, instance type)'s
   * cheapest zone price with a TTL (the latest snapshot wins across satellites, as before), and
   * every price as that satellite's new reference for the jump check (`price-ref:<satelliteId>`,
   * field `<zone>|<type>` → `<usdPerHour>@<ms>`).
   */
  async recordPrices(writes: readonly PriceWrite[], ttlMs: number, nowMs: number): Promise<void> {
    const transaction = this.redis.multi();
    const indexKeys = new Set<string>();
    let commands = 0;
    for (const { satelliteId, prices } of writes) {
      const cheapest = new Map<string, SpotPrice>();
      for (const price of prices) {
        const key = this.key(`price:${price.cloud}:${price.region}:${price.instanceType}`);
        const current = cheapest.get(key);
        if (!current || price.usdPerHour < current.usdPerHour) cheapest.set(key, price);
      }
      if (cheapest.size === 0) continue;
      for (const [key, price] of cheapest) {
        transaction.set(key, Buffer.from(toBinary(SpotPriceSchema, price)), "PX", ttlMs);
        indexKeys.add(key);
      }
      const referenceKey = this.key(`price-ref:${satelliteId}`);
      transaction.hset(
        referenceKey,
        Object.fromEntries(prices.map((price) => [priceReferenceKey(price), `${price.usdPerHour}@${nowMs}`])),
      );
      // Twice the TTL: the references outlive the prices they vouch for, and then go.
      transaction.pexpire(referenceKey, 2 * ttlMs);
      commands++;
    }
    if (commands === 0) {
      transaction.discard();
      return;
    }
    transaction.sadd(this.key("price-index"), ...indexKeys);
    await transaction.exec();
  }

  /**
   * Each satellite's last accepted prices younger than `maxAgeMs`, by `<zone>|<type>`, in one
   * round trip; older entries are deleted as they are found (a type the satellite stopped pricing
   * does not linger).
   */
  async priceReferences(
    satelliteIds: readonly string[],
    nowMs: number,
    maxAgeMs: number,
  ): Promise<Map<string, Map<string, PriceReference>>> {
    const all = new Map<string, Map<string, PriceReference>>();
    if (satelliteIds.length === 0) return all;
    const reads = this.redis.pipeline();
    for (const id of satelliteIds) reads.hgetall(this.key(`price-ref:${id}`));
    const results = (await reads.exec()) ?? [];
    const cleanup = this.redis.pipeline();
    let stalePresent = false;
    satelliteIds.forEach((id, index) => {
      const [error, entries] = results[index] ?? [];
      if (error) throw error;
      const references = new Map<string, PriceReference>();
      const stale: string[] = [];
      for (const [field, value] of Object.entries((entries as Record<string, string>) ?? {})) {
        const [usd, at] = value.split("@");
        const usdPerHour = Number(usd);
        const atMs = Number(at);
        if (usdPerHour > 0 && Number.isFinite(usdPerHour) && nowMs - atMs <= maxAgeMs) {
          references.set(field, { usdPerHour, atMs });
        } else {
          stale.push(field);
        }
      }
      if (stale.length > 0) {
        cleanup.hdel(this.key(`price-ref:${id}`), ...stale);
        stalePresent = true;
      }
      all.set(id, references);
    });
    if (stalePresent) await cleanup.exec();
    return all;
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

  /**
   * Stores a satellite's pulled inventory for `ttlMs`; with `revision`, also the heartbeat's
   * inventory revision it was pulled for, kept `revision.ttlMs` (the slow refresh: once it
   * expires the inventory is pulled again, changed or not).
   */
  async recordWorkloads(
    satelliteId: string,
    workloads: readonly Workload[],
    ttlMs: number,
    revision?: { value: string; ttlMs: number },
  ): Promise<void> {
    const payload = toBinary(
      SatelliteServiceListWorkloadsResponseSchema,
      create(SatelliteServiceListWorkloadsResponseSchema, { workloads: [...workloads] }),
    );
    const write = this.redis.multi().set(this.key(`workloads:${satelliteId}`), Buffer.from(payload), "PX", ttlMs);
    if (revision?.value) write.set(this.key(`inventory-rev:${satelliteId}`), revision.value, "PX", revision.ttlMs);
    else write.del(this.key(`inventory-rev:${satelliteId}`));
    await write.exec();
  }

  /** The inventory revision each satellite's stored workloads were pulled for (null: none, or refresh due). */
  async pulledInventoryRevisions(satelliteIds: readonly string[]): Promise<Array<string | null>> {
    if (satelliteIds.length === 0) return [];
    return this.redis.mget(...satelliteIds.map((id) => this.key(`inventory-rev:${id}`)));
  }

  /**
   * Keeps unchanged satellites' stored workloads another `ttlMs` (one pipeline); returns the ids
   * whose workloads had already expired, which must be pulled again.
   */
  async extendWorkloads(satelliteIds: readonly string[], ttlMs: number): Promise<string[]> {
    if (satelliteIds.length === 0) return [];
    const extend = this.redis.pipeline();
    for (const id of satelliteIds) extend.pexpire(this.key(`workloads:${id}`), ttlMs);
    const results = (await extend.exec()) ?? [];
    return satelliteIds.filter((_, index) => results[index]?.[1] !== 1);
  }

  /** Claims satellites' inventory pulls for `ttlMs` (SET NX per satellite, one round trip); returns the ids won. */
  async claimInventoryPulls(satelliteIds: readonly string[], ttlMs: number): Promise<Set<string>> {
    if (satelliteIds.length === 0) return new Set();
    const claims = this.redis.pipeline();
    for (const id of satelliteIds) claims.set(this.key(`inventory-claim:${id}`), "1", "PX", ttlMs, "NX");
    const results = (await claims.exec()) ?? [];
    return new Set(satelliteIds.filter((_, index) => results[index]?.[1] === "OK"));
  }

  async workloads(satelliteIds: readonly string[]): Promise<Workload[]> {
    if (satelliteIds.length === 0) return [];
    const values = await this.redis.mgetBuffer(...satelliteIds.map((id) => this.key(`workloads:${id}`)));
    return values.flatMap((value) =>
      value ? fromBinary(SatelliteServiceListWorkloadsResponseSchema, value).workloads : [],
    );
  }

  private satelliteKeys(): [string, string, string, string] {
    return [this.key("sat-health"), this.key("satellites"), this.key("sat-stale-at"), this.key("sat-order")];
  }

  private key(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }
}

/** The coordinator's view of a satellite from its last heartbeat and when that arrived. */
export function satelliteOf(health: HealthSummary, lastSeenMs: number, nowMs: number): Satellite {
  const intervalMs = health.heartbeatIntervalMs || 2_000;
  return create(SatelliteSchema, {
    id: health.satelliteId,
    region: health.region,
    liveness: livenessOf(lastSeenMs, intervalMs, nowMs),
    status: health.status,
    lastSeenAt: timestampFromMs(lastSeenMs),
    heartbeatIntervalMs: health.heartbeatIntervalMs,
    clusters: health.clusters,
    version: health.version,
    grpcEndpoint: health.grpcEndpoint,
    inventoryRevision: health.inventoryRevision,
  });
}
