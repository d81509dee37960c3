import type { Redis } from "ioredis";

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Short-lived Redis claims on idempotency keys, so two concurrent requests with one key do not
 * both plan and lock: the second waits for the first's journal row (the unique key in MySQL stays
 * the authority; a claim only orders concurrent requests and expires on its own).
 */
export class IdempotencyClaims {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** How long a claim lives if its holder dies before releasing it, ms. */
    private readonly ttlMs: number,
  ) {}

  async claim(idempotencyKey: string, owner: string): Promise<boolean> {
    return (await this.redis.set(this.key(idempotencyKey), owner, "PX", this.ttlMs, "NX")) === "OK";
  }

  async release(idempotencyKey: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(idempotencyKey), owner);
  }

  private key(idempotencyKey: string): string {
    return `${this.prefix}migration:idempotency:${idempotencyKey}`;
  }
}
