/**
 * A token bucket per key: `ratePerSecond` sustained, bursts of `burst`. Ingest keys it by satellite
 * (one per subject kind): a satellite flooding its own subjects is cut off before its messages are
 * decoded, so the flood costs a map lookup per message and cannot delay the others' heartbeats.
 * Access control keys it by source address for refused calls. Buckets of keys that went quiet are
 * swept, so memory follows the active keys.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private lastSweepMs = 0;

  /** @param ratePerSecond 0 admits everything */
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  admit(key: string, nowMs: number): boolean {
    if (this.ratePerSecond <= 0) return true;
    if (nowMs - this.lastSweepMs > SWEEP_INTERVAL_MS) this.sweep(nowMs);
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { tokens: this.burst - 1, atMs: nowMs });
      return true;
    }
    const refilled = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.atMs) * this.ratePerSecond) / 1000);
    bucket.atMs = nowMs;
    if (refilled < 1) {
      bucket.tokens = refilled;
      return false;
    }
    bucket.tokens = refilled - 1;
    return true;
  }

  /** True when `key` has less than one token left (nothing is taken). */
  exhausted(key: string, nowMs: number): boolean {
    if (this.ratePerSecond <= 0) return false;
    const bucket = this.buckets.get(key);
    if (!bucket) return false;
    return Math.min(this.burst, bucket.tokens + ((nowMs - bucket.atMs) * this.ratePerSecond) / 1000) < 1;
  }

  /** Keys with a bucket (for tests and the memory story). */
  size(): number {
    return this.buckets.size;
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    // A bucket full again is the same as no bucket.
    const fullAfterMs = (this.burst / this.ratePerSecond) * 1000;
    for (const [key, bucket] of this.buckets) {
      if (nowMs - bucket.atMs > fullAfterMs) this.buckets.delete(key);
    }
  }
}

/** @default 10000 — how often quiet buckets are swept. */
const SWEEP_INTERVAL_MS = 10_000;
