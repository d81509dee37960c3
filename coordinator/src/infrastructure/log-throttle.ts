/** @default 10000 — at most one line per key this often, in ms. */
export const DEFAULT_LOG_THROTTLE_INTERVAL_MS = 10_000;
/** @default 10000 — keys remembered; the oldest is forgotten beyond (a flood of new keys stays bounded). */
const MAX_KEYS = 10_000;

/**
 * Lets one log line per key through per interval and counts what it held back, so a satellite
 * sending thousands of bad messages a second costs a few log lines, not a disk. Counters still
 * count every message; logs only show what kind of trouble there is and who causes it.
 */
export class LogThrottle {
  private readonly lastLogged = new Map<string, { atMs: number; suppressed: number }>();

  constructor(private readonly intervalMs = DEFAULT_LOG_THROTTLE_INTERVAL_MS) {}

  /**
   * Whether to log now for `key`; when it is, `suppressed` says how many were held back since
   * the last line.
   */
  admit(key: string, nowMs = Date.now()): { log: boolean; suppressed: number } {
    const entry = this.lastLogged.get(key);
    if (entry && nowMs - entry.atMs < this.intervalMs) {
      entry.suppressed += 1;
      return { log: false, suppressed: 0 };
    }
    const suppressed = entry?.suppressed ?? 0;
    this.lastLogged.delete(key);
    this.lastLogged.set(key, { atMs: nowMs, suppressed: 0 });
    if (this.lastLogged.size > MAX_KEYS) {
      const oldest = this.lastLogged.keys().next().value;
      if (oldest !== undefined) this.lastLogged.delete(oldest);
    }
    return { log: true, suppressed };
  }
}
