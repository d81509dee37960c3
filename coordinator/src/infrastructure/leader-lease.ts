import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";

/**
 * Takes the lease when free (drawing a new fencing token from KEYS[2]), renews it when ours. The
 * key holds `<token>:<holderId>`. Returns the token when we hold it afterwards, 0 otherwise.
 */
const HOLD_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local suffix = ':' .. ARGV[1]
if current and #current > #suffix and string.sub(current, -#suffix) == suffix then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(current, 1, #current - #suffix))
end
if not current then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], token .. suffix, 'PX', ARGV[2])
  return token
end
return 0`;

const RELEASE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local suffix = ':' .. ARGV[1]
if current and #current > #suffix and string.sub(current, -#suffix) == suffix then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Share of the TTL a holder keeps as a safety margin: it stops acting as leader once
 * `ttl × (1 − share)` passed on its monotonic clock since the last renewal it *sent* (and Redis
 * then acknowledged). @default 0.2
 */
export const LEADER_LEASE_SAFETY_MARGIN_SHARE = 0.2;

/** Options of {@link LeaderLease}. */
export interface LeaderLeaseOptions {
  /**
   * Monotonic milliseconds (never the wall clock, which NTP can step). For tests.
   * @default performance.now
   */
  readonly monotonicNowMs?: () => number;
  /**
   * How much earlier than Redis the holder gives the lease up locally, ms: covers the time between
   * Redis starting the TTL and the holder measuring it, and clock-rate drift.
   * @default 20 % of the TTL ({@link LEADER_LEASE_SAFETY_MARGIN_SHARE})
   */
  readonly safetyMarginMs?: number;
}

/**
 * A leader lease in Redis: one coordinator replica holds the key at a time; it expires `ttlMs`
 * after the holder's last renewal, so a crashed leader is replaced within one TTL.
 *
 * The lease also **expires locally**: the holder leads only until `ttl − safety margin` after the
 * moment it sent its last successful renewal, measured on its own monotonic clock. A replica whose
 * renewals stall (Redis unreachable, a partition, a hung connection) therefore stops acting as
 * leader by itself before Redis can hand the lease to another replica, although it never heard it
 * lost; a renewal that takes longer than what is left of the lease counts as failed. Each
 * acquisition draws a strictly increasing **fencing token** (`INCR` on `<key>:fencing-token`), so
 * anything that records the token can tell an older leader's writes from a newer one's.
 */
export class LeaderLease {
  private held = false;
  private token = 0;
  /** Monotonic ms until which this replica may act as leader. */
  private validUntilMs = Number.NEGATIVE_INFINITY;
  private readonly monotonicNowMs: () => number;
  /** Local validity after a renewal was sent, ms (`ttl − safety margin`). */
  readonly localValidityMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
    readonly holderId: string = randomUUID(),
    options: LeaderLeaseOptions = {},
  ) {
    this.monotonicNowMs = options.monotonicNowMs ?? (() => performance.now());
    const margin = options.safetyMarginMs ?? ttlMs * LEADER_LEASE_SAFETY_MARGIN_SHARE;
    this.localValidityMs = Math.max(0, ttlMs - margin);
  }

  /** Whether this replica holds the lease now: the last `hold()` succeeded and has not run out locally. */
  get isLeader(): boolean {
    return this.held && this.monotonicNowMs() < this.validUntilMs;
  }

  /** The fencing token of the current tenure (0 when not leader). */
  get fencingToken(): number {
    return this.isLeader ? this.token : 0;
  }

  /**
   * Acquires or renews; false when another replica holds it, or Redis did not answer in time (while
   * leading: before the lease runs out locally; otherwise within the local validity).
   */
  async hold(): Promise<boolean> {
    const sentAtMs = this.monotonicNowMs();
    const waitMs = this.isLeader ? this.validUntilMs - sentAtMs : this.localValidityMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, waitMs));
    });
    try {
      const result = await Promise.race([
        this.redis.eval(HOLD_SCRIPT, 2, this.key, `${this.key}:fencing-token`, this.holderId, String(this.ttlMs)),
        timedOut,
      ]);
      const token = typeof result === "number" ? result : 0;
      this.held = token > 0;
      this.token = token;
      this.validUntilMs = this.held ? sentAtMs + this.localValidityMs : Number.NEGATIVE_INFINITY;
    } catch {
      this.held = false;
    } finally {
      clearTimeout(timer);
    }
    return this.isLeader;
  }

  /** Gives the lease up at once (clean shutdown), so the next leader need not wait for the TTL. */
  async release(): Promise<void> {
    this.held = false;
    this.validUntilMs = Number.NEGATIVE_INFINITY;
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.holderId);
  }
}
