import type { Logger } from "@sentra/common";
import type { AuditEntry, AuditLog } from "./audit-log.js";
import { REFUSAL_AUDIT_WINDOW_MS } from "./security-defaults.js";
import type { SecurityMetrics } from "./security-metrics.js";

/** Results that are refusals: repeated ones are aggregated. */
const REFUSAL_RESULTS = new Set(["UNAUTHENTICATED", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED"]);
/** @default 10000 — kinds of refusal counted per window; past it, the rest of the window's are only counted in metrics. */
const MAX_AGGREGATED_KINDS = 10_000;

/** Refusals of one kind since its first row of the window was written. */
interface RepeatedRefusal {
  readonly last: AuditEntry;
  count: number;
}

/**
 * Writes audit entries without holding up the call they describe: a failed write is logged and
 * counted (`sentra_coordinator_audit_records_total{outcome="failed"}`), never thrown at the caller.
 *
 * Refusals are aggregated: the first refusal of a kind (channel, source, principal, action, code)
 * in a window is written at once, the repeats are counted and written as one row when the window
 * ends (`result` the code, `target` `{"repeated":N,"windowSeconds":S}`). A client retrying a bad
 * token in a loop costs one row per window, not one per call; nothing is lost from the record.
 */
export class AuditRecorder {
  private readonly repeated = new Map<string, RepeatedRefusal>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly audit: AuditLog,
    private readonly metrics: SecurityMetrics,
    private readonly logger: Logger,
    private readonly windowMs = REFUSAL_AUDIT_WINDOW_MS,
  ) {
    this.flushTimer = setInterval(() => this.flushRepeated(), windowMs);
    this.flushTimer.unref();
  }

  record(entry: AuditEntry): void {
    if (!REFUSAL_RESULTS.has(entry.result)) {
      this.write(entry);
      return;
    }
    const kind = [entry.channel, entry.source, entry.principal, entry.action, entry.result].join("\u0000");
    const seen = this.repeated.get(kind);
    if (seen !== undefined) {
      seen.count += 1;
      (seen as { last: AuditEntry }).last = entry;
      this.metrics.auditRecords.inc({ channel: entry.channel, outcome: "aggregated" });
      return;
    }
    if (this.repeated.size >= MAX_AGGREGATED_KINDS) {
      this.metrics.auditRecords.inc({ channel: entry.channel, outcome: "dropped" });
      return;
    }
    this.repeated.set(kind, { last: entry, count: 0 });
    this.write(entry);
  }

  /** Writes the window's repeats, one row per kind, and starts a new window. */
  flushRepeated(): void {
    const windowSeconds = this.windowMs / 1000;
    for (const { last, count } of this.repeated.values()) {
      if (count > 0) this.write({ ...last, target: JSON.stringify({ repeated: count, windowSeconds }) });
    }
    this.repeated.clear();
  }

  /** Writes what is pending and stops the window (shutdown). */
  close(): void {
    clearInterval(this.flushTimer);
    this.flushRepeated();
  }

  private write(entry: AuditEntry): void {
    this.audit.record(entry).then(
      () => this.metrics.auditRecords.inc({ channel: entry.channel, outcome: "written" }),
      (error: unknown) => {
        this.metrics.auditRecords.inc({ channel: entry.channel, outcome: "failed" });
        this.logger.error(
          { err: String(error), channel: entry.channel, action: entry.action, principal: entry.principal },
          "audit record failed",
        );
      },
    );
  }
}
