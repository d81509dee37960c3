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
const SECRET_KEYS = /token|secret|password|authorization|key|seed/i;

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

  async list(options: {
    limit: number;
    principal?: string;
    sinceMs?: number;
  }): Promise<Array<AuditEntry & { id: number }>> {
    const where: string[] = [];
    const parameters: unknown[] = [];
    if (options.principal) {
      where.push("principal = ?");
      parameters.push(options.principal);
    }
    if (options.sinceMs !== undefined) {
      where.push("at >= ?");
      parameters.push(new Date(options.sinceMs));
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

/** A JSON summary of a request for the audit log, with secret-looking fields blanked. */
export function summariseForAudit(request: unknown): string {
  try {
    const text = JSON.stringify(request, (key, value: unknown) => {
      if (key === "$typeName") return undefined;
      if (SECRET_KEYS.test(key) && typeof value === "string") return "[redacted]";
      return typeof value === "bigint" ? value.toString() : value;
    });
    return (text ?? "").slice(0, MAX_TARGET_CHARS);
  } catch {
    return "<unserialisable>";
  }
}
