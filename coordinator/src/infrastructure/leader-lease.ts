import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** Takes the lease when free, renews it when ours; 1 when we hold it afterwards. */
const HOLD_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A leader lease in Redis: one coordinator replica holds the key at a time; it expires `ttlMs`
 * after the holder's last renewal, so a crashed leader is replaced within one TTL. Holders must
 * only run idempotent work: two replicas may both believe they lead for up to one TTL (a paused
 * process), which is why every satellite command the orchestrator sends is idempotent.
 */
export class LeaderLease {
  private held = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
    readonly holderId: string = randomUUID(),
  ) {}

  /** Whether the last `hold()` succeeded. */
  get isLeader(): boolean {
    return this.held;
  }

  /** Acquires or renews; false when another replica holds it (or Redis cannot be reached). */
  async hold(): Promise<boolean> {
    try {
      const result = await this.redis.eval(HOLD_SCRIPT, 1, this.key, this.holderId, String(this.ttlMs));
      this.held = result === 1;
    } catch {
      this.held = false;
    }
    return this.held;
  }

  /** Gives the lease up at once (clean shutdown), so the next leader need not wait for the TTL. */
  async release(): Promise<void> {
    this.held = false;
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.holderId);
  }
}
