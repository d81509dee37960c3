import type { Pool, RowDataPacket } from "mysql2/promise";

/** One mutating call (or refused attempt): who, with which role, from where, what, result. */
export interface AuditEntry {
  at: Date;
  principal: string;
  role: string;
  source: string;
  channel: "grpc" | "rest" | "socket" | "cli";
  action: string;
  target: string;
  result: string;
  durationMs: number;
}

/** @default 2048 — the target (a summary of the request) is cut to this many characters. */
const MAX_TARGET_CHARS = 2_048;
const SECRET_KEYS = /token|secret|password|authorization|credential|key|seed/i;
const IDS_NOT_SECRETS = new Set(["idempotencyKey", "idempotency_key"]);

/** Append-only audit record in MySQL. */
export class AuditLog {
  constructor(private readonly pool: Pool) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.pool.execute(
      `INSERT INTO audit_log (at, principal, role, source, channel, action, target, result, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.at,
        entry.principal.slice(0, 128),
        entry.role.slice(0, 16),
        entry.source.slice(0, 255),
        entry.channel,
        entry.action.slice(0, 128),
        entry.target.slice(0, MAX_TARGET_CHARS),
        entry.result.slice(0, 32),
        Math.round(entry.durationMs),
      ],
    );
  }

  /** Newest first, filtered; `beforeId` continues a previous page. */
  async list(options: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const parameters: unknown[] = [];
    const equal = (column: string, value: string | undefined): void => {
      if (!value) return;
      where.push(`${column} = ?`);
      parameters.push(value);
    };
    equal("principal", options.principal);
    equal("action", options.action);
    equal("result", options.result);
    equal("channel", options.channel);
    if (options.sinceMs !== undefined) {
      where.push("at >= ?");
      parameters.push(new Date(options.sinceMs));
    }
    if (options.untilMs !== undefined) {
      where.push("at < ?");
      parameters.push(new Date(options.untilMs));
    }
    if (options.beforeId !== undefined) {
      where.push("id < ?");
      parameters.push(options.beforeId);
    }
    const limit = Math.max(1, Math.min(1_000, Math.floor(options.limit)));
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${limit}`,
      parameters,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at as Date,
      principal: String(row.principal),
      role: String(row.role),
      source: String(row.source),
      channel: row.channel as AuditEntry["channel"],
      action: String(row.action),
      target: String(row.target),
      result: String(row.result),
      durationMs: Number(row.duration_ms),
    }));
  }
}

/** Filters of `AuditLog.list`; empty strings and undefined mean "any". */
export interface AuditQuery {
  limit: number;
  principal?: string;
  action?: string;
  result?: string;
  channel?: string;
  sinceMs?: number;
  untilMs?: number;
  /** Only records older than this id (the previous page's last). */
  beforeId?: number;
}

export type AuditRecord = AuditEntry & { id: number };

/** A JSON summary of a request for the audit log, with secret-looking fields blanked. */
export function summariseForAudit(request: unknown): string {
  try {
    const text = JSON.stringify(request, (key, value: unknown) => {
      if (key === "$typeName") return undefined;
      // An idempotency key is an id the caller chose, worth keeping; any other *key* may be a secret.
      if (SECRET_KEYS.test(key) && !IDS_NOT_SECRETS.has(key) && typeof value === "string") return "[redacted]";
      return typeof value === "bigint" ? value.toString() : value;
    });
    return (text ?? "").slice(0, MAX_TARGET_CHARS);
  } catch {
    return "<unserialisable>";
  }
}
