import type { Redis } from "ioredis";

/** A held workload lock. */
export interface WorkloadLease {
  readonly key: string;
  /** Strictly increasing across every acquisition: the fencing token the journal checks. */
  readonly token: number;
  readonly migrationId: string;
  /** What the lock key holds (`<token>:<migrationId>`); renew and release compare it. */
  readonly value: string;
}

/** Who holds a workload lock. */
export interface WorkloadLockHolder {
  readonly token: number;
  readonly migrationId: string;
}

// Takes the lock only if free, and only then draws a fencing token, so tokens grow with each
// acquisition. ARGV[1] is a floor (the journalled token of a migration being taken over): a Redis
// that lost its counter (restart without persistence) still hands out a larger token.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, redis.call('GET', KEYS[1])} end
local token = redis.call('INCR', KEYS[2])
if token <= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[1])
  token = redis.call('INCR', KEYS[2])
end
local value = token .. ':' .. ARGV[2]
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
return {1, value}`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * One lock per workload (`namespace/name`, every copy) in Redis: `SET key value NX PX ttl` with a
 * monotonically increasing fencing token (INCR). The lock only keeps two coordinators from running
 * one workload's saga at once while both are healthy; correctness under pauses and expiry comes from
 * the token, which every journal write checks.
 */
export class WorkloadLock {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Lock TTL, ms; the owner renews it every third of it. */
    readonly ttlMs: number,
  ) {}

  /** Takes the lock for `migrationId`, or returns who holds it. */
  async acquire(
    workloadKey: string,
    migrationId: string,
    floorToken = 0,
  ): Promise<{ lease: WorkloadLease } | { holder: WorkloadLockHolder | null }> {
    const key = this.lockKey(workloadKey);
    const [acquired, value] = (await this.redis.eval(
      ACQUIRE,
      2,
      key,
      `${this.prefix}migration:fencing-token`,
      String(floorToken),
      migrationId,
      String(this.ttlMs),
    )) as [number, string | null];
    if (acquired === 1 && value !== null) {
      return { lease: { key, token: parseHolder(value)?.token ?? 0, migrationId, value } };
    }
    return { holder: value === null ? null : parseHolder(value) };
  }

  /** Extends the lease; false when it was lost (expired and taken by another coordinator). */
  async renew(lease: WorkloadLease): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, lease.key, lease.value, String(this.ttlMs))) === 1;
  }

  /** Releases the lease if it is still ours. */
  async release(lease: WorkloadLease): Promise<void> {
    await this.redis.eval(RELEASE, 1, lease.key, lease.value);
  }

  async holder(workloadKey: string): Promise<WorkloadLockHolder | null> {
    const value = await this.redis.get(this.lockKey(workloadKey));
    return value === null ? null : parseHolder(value);
  }

  private lockKey(workloadKey: string): string {
    return `${this.prefix}migration:lock:${workloadKey}`;
  }
}

function parseHolder(value: string): WorkloadLockHolder | null {
  const colon = value.indexOf(":");
  if (colon <= 0) return null;
  return { token: Number(value.slice(0, colon)), migrationId: value.slice(colon + 1) };
}
