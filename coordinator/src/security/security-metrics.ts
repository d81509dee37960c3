import { Counter, type Registry } from "prom-client";

/** Why a call was refused at the door. */
export type RefusalReason = "missing_token" | "invalid_token" | "permission_denied" | "rate_limited";

/** Metrics of authentication, authorisation, rate limits and the audit log. */
export class SecurityMetrics {
  readonly refusals: Counter<"channel" | "reason">;
  readonly auditRecords: Counter<"channel" | "outcome">;

  constructor(registry: Registry) {
    this.refusals = new Counter({
      name: "sentra_coordinator_auth_refusals_total",
      help: "Calls refused before reaching a handler, by channel (grpc, rest, socket) and reason",
      labelNames: ["channel", "reason"],
      registers: [registry],
    });
    this.auditRecords = new Counter({
      name: "sentra_coordinator_audit_records_total",
      help: "Audit log writes by channel and outcome (written, failed)",
      labelNames: ["channel", "outcome"],
      registers: [registry],
    });
  }
}
