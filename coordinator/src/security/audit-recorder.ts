import type { Logger } from "@sentra/common";
import type { AuditEntry, AuditLog } from "./audit-log.js";
import type { SecurityMetrics } from "./security-metrics.js";

/**
 * Writes audit entries without holding up the call they describe: a failed write is logged and
 * counted (`sentra_coordinator_audit_records_total{outcome="failed"}`), never thrown at the caller.
 */
export class AuditRecorder {
  constructor(
    private readonly audit: AuditLog,
    private readonly metrics: SecurityMetrics,
    private readonly logger: Logger,
  ) {}

  record(entry: AuditEntry): void {
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
