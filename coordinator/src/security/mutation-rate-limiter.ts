import { SentraError } from "@sentra/common";
import type { Redis } from "ioredis";

/**
 * Limits mutating calls per principal with a fixed one-minute window in Redis (shared by every
 * coordinator replica). Exceeding it answers RESOURCE_EXHAUSTED saying when to retry.
 */
export class MutationRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly perMinute: number,
  ) {}

  async check(principal: string, nowMs = Date.now()): Promise<void> {
    const window = Math.floor(nowMs / 60_000);
    const key = `${this.keyPrefix}ratelimit:${principal}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, 61_000).exec()) as [[unknown, number]];
    if (count > this.perMinute) {
      const retryInSeconds = Math.ceil(((window + 1) * 60_000 - nowMs) / 1_000);
      throw new SentraError(
        "RESOURCE_EXHAUSTED",
        `rate limit: ${this.perMinute} mutating calls per minute for ${principal}; retry in ${retryInSeconds} s`,
        { details: { limitPerMinute: this.perMinute, retryInSeconds } },
      );
    }
  }
}
