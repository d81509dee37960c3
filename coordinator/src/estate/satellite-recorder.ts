import type { Logger } from "@sentra/common";
import type { Liveness, Satellite } from "@sentra/proto";
import type { SatelliteRecordRepository } from "./satellite-record.repository.js";

/** @default 500 — rows in one MySQL statement. */
const ROWS_PER_STATEMENT = 500;
/** @default 1000 — after a failed write, the wait before the next try. */
const RETRY_DELAY_MS = 1_000;

/** What MySQL should say of one satellite once the recorder gets to it. */
interface PendingRecord {
  satellite?: { satellite: Satellite; lastSeenMs: number };
  liveness?: Liveness;
  /** Forgotten from Redis at this time: the row is marked retired (and nothing else written). */
  retiredAtMs?: number;
}

/**
 * Writes the satellites' MySQL record off the ingest path: first sight, a changed identity, a
 * liveness transition. Ingest never waits for MySQL, so a slow or absent database delays the
 * record, not the heartbeats (hot state is in Redis). Pending writes are kept per satellite (only
 * the newest state of each), so a MySQL outage holds at most one entry per satellite and loses
 * nothing: failed writes are retried until they land.
 */
export class SatelliteRecorder {
  private pending = new Map<string, PendingRecord>();
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly repository: SatelliteRecordRepository,
    private readonly logger: Logger,
    private readonly onFailure: (error: unknown) => void,
    private readonly onWritten: (satelliteIds: readonly string[]) => void = () => {},
  ) {}

  /** The satellite's row as of this heartbeat (first sight, a return, a changed identity). */
  record(satellite: Satellite, lastSeenMs: number): void {
    const entry = this.entry(satellite.id);
    entry.satellite = { satellite, lastSeenMs };
    entry.liveness = satellite.liveness;
    entry.retiredAtMs = undefined;
    this.kick();
  }

  /** Satellites forgotten from Redis (not seen for the retention time): retired in MySQL. */
  markRetired(satelliteIds: readonly string[], atMs: number): void {
    for (const id of satelliteIds) this.pending.set(id, { retiredAtMs: atMs });
    this.kick();
  }

  /** A liveness transition judged by the liveness monitor. */
  markLiveness(satelliteId: string, liveness: Liveness): void {
    this.entry(satelliteId).liveness = liveness;
    this.kick();
  }

  /** Satellites whose record is still to be written. */
  backlog(): number {
    return this.pending.size;
  }

  /** Writes what is pending once more (shutdown); gives up on what still fails. */
  async flush(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.running;
    if (this.pending.size > 0) await this.write().catch(() => undefined);
  }

  private entry(satelliteId: string): PendingRecord {
    let entry = this.pending.get(satelliteId);
    if (!entry) {
      entry = {};
      this.pending.set(satelliteId, entry);
    }
    return entry;
  }

  private kick(): void {
    if (this.running || this.retryTimer || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      try {
        await this.write();
      } catch (error) {
        this.onFailure(error);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, RETRY_DELAY_MS);
        return;
      }
    }
  }

  /** Takes what is pending and writes it; on failure puts back what was not superseded meanwhile. */
  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const rows = [...batch.values()].flatMap((entry) => (entry.satellite ? [entry.satellite] : []));
    const byLiveness = new Map<Liveness, string[]>();
    const retired = new Map<number, string[]>();
    for (const [id, entry] of batch) {
      if (entry.retiredAtMs !== undefined) {
        retired.set(entry.retiredAtMs, [...(retired.get(entry.retiredAtMs) ?? []), id]);
        continue;
      }
      if (entry.liveness === undefined || entry.satellite?.satellite.liveness === entry.liveness) continue;
      byLiveness.set(entry.liveness, [...(byLiveness.get(entry.liveness) ?? []), id]);
    }
    try {
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        await this.repository.upsertMany(rows.slice(start, start + ROWS_PER_STATEMENT));
      }
      for (const [liveness, ids] of byLiveness) {
        for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT) {
          await this.repository.markLivenessMany(ids.slice(start, start + ROWS_PER_STATEMENT), liveness);
        }
      }
      for (const [atMs, ids] of retired) {
        for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT) {
          await this.repository.markRetired(ids.slice(start, start + ROWS_PER_STATEMENT), atMs);
        }
      }
    } catch (error) {
      for (const [id, entry] of batch) {
        const newer = this.pending.get(id);
        if (!newer) this.pending.set(id, entry);
        else if (!newer.satellite && entry.satellite) newer.satellite = entry.satellite;
      }
      throw error;
    }
    this.onWritten([...batch.keys()]);
    if (rows.length > 0) {
      this.logger.debug({ satellites: rows.length, liveness: byLiveness.size }, "satellite records written");
    }
  }
}
