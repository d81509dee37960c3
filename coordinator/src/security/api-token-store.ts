import { createHash, randomBytes } from "node:crypto";
import { SentraError } from "@sentra/common";
import type { Pool, RowDataPacket } from "mysql2/promise";
import { isRole, type Role } from "./role.js";

/** Tokens look like `sentra_<43 base64url chars>`: 256 random bits, recognisable in leaks. */
const TOKEN_PREFIX = "sentra_";

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | undefined;
  lastUsedAt: Date | undefined;
}

/** The authenticated holder of a token. */
export interface TokenPrincipal {
  tokenId: string;
  name: string;
  role: Role;
}

/**
 * API tokens for automation clients and the dashboard, stored as SHA-256 hashes (the tokens are
 * 256 random bits, so a fast hash is enough; the plaintext is shown once, at creation). Every
 * check reads MySQL, so a revoked token stops working at once on every coordinator replica.
 */
export class ApiTokenStore {
  constructor(private readonly pool: Pool) {}

  async create(name: string, role: string, createdBy: string): Promise<{ token: string; record: ApiTokenRecord }> {
    if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(name)) {
      throw SentraError.invalidArgument("name", "1–128 letters, digits and . _ : @ -");
    }
    if (!isRole(role)) throw SentraError.invalidArgument("role", "must be viewer, operator or admin");
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const id = randomBytes(8).toString("hex");
    const createdAt = new Date();
    await this.pool.execute(
      "INSERT INTO api_tokens (id, name, role, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
      [id, name, role, sha256(token), createdAt, createdBy],
    );
    return { token, record: { id, name, role, createdAt, createdBy, revokedAt: undefined, lastUsedAt: undefined } };
  }

  /** The principal of a valid, unrevoked token; undefined otherwise (never says which). */
  async verify(token: string): Promise<TokenPrincipal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      "SELECT id, name, role FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
      [sha256(token)],
    );
    const row = rows[0];
    if (!row) return undefined;
    // Best effort: a failed bookkeeping write must not fail the caller's request.
    this.pool.execute("UPDATE api_tokens SET last_used_at = NOW(3) WHERE id = ?", [row.id]).catch(() => {});
    return { tokenId: String(row.id), name: String(row.name), role: row.role as Role };
  }

  /** Revokes by id or name; returns how many tokens were revoked. */
  async revoke(idOrName: string): Promise<number> {
    const [result] = await this.pool.execute(
      "UPDATE api_tokens SET revoked_at = NOW(3) WHERE (id = ? OR name = ?) AND revoked_at IS NULL",
      [idOrName, idOrName],
    );
    return (result as { affectedRows: number }).affectedRows;
  }

  async list(): Promise<ApiTokenRecord[]> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      "SELECT id, name, role, created_at, created_by, revoked_at, last_used_at FROM api_tokens ORDER BY created_at",
    );
    return rows.map((row) => ({
      id: String(row.id),
      name: String(row.name),
      role: row.role as Role,
      createdAt: row.created_at as Date,
      createdBy: String(row.created_by),
      revokedAt: (row.revoked_at as Date | null) ?? undefined,
      lastUsedAt: (row.last_used_at as Date | null) ?? undefined,
    }));
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
