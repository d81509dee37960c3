import { createHash, randomBytes } from "node:crypto";
import { SentraError } from "@sentra/common";
import type { Pool, RowDataPacket } from "mysql2/promise";
import { isRole, type Role } from "./role.js";

/** Tokens look like `sentra_<43 base64url chars>`: 256 random bits, recognisable in leaks. */
const TOKEN_PREFIX = "sentra_";
/** @default 60000 — `last_used_at` is written at most this often per token (it is kept to the minute). */
const LAST_USED_RESOLUTION_MS = 60_000;
const NAME_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

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

/** A new API token: `sentra_` and 256 random bits in base64url. */
export function generateApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/**
 * API tokens for automation clients and the dashboard, stored as SHA-256 hashes (the tokens are
 * 256 random bits, so a fast hash is enough; the plaintext is shown once, at creation). Every
 * check reads MySQL, so a revoked token stops working at once on every coordinator replica.
 */
export class ApiTokenStore {
  constructor(private readonly pool: Pool) {}

  /** A new token with a name unique among the tokens not revoked; the plaintext is returned once. */
  async create(name: string, role: string, createdBy: string): Promise<{ token: string; record: ApiTokenRecord }> {
    if (!NAME_PATTERN.test(name)) {
      throw SentraError.invalidArgument("name", "1–128 letters, digits and . _ : @ -");
    }
    if (!isRole(role)) throw SentraError.invalidArgument("role", "must be viewer, operator or admin");
    const [taken] = await this.pool.execute<RowDataPacket[]>(
      "SELECT id FROM api_tokens WHERE name = ? AND revoked_at IS NULL LIMIT 1",
      [name],
    );
    if (taken.length > 0) {
      throw new SentraError("ALREADY_EXISTS", `a token named ${name} exists: revoke it first, or pick another name`, {
        field: "name",
      });
    }
    const token = generateApiToken();
    return { token, record: await this.insert(token, name, role, createdBy) };
  }

  /**
   * Makes sure a token the deployment provisioned (the bootstrap admin token) is known: inserted
   * when its hash is new; a revoked one stays revoked (deleting its file makes a new one).
   */
  async ensure(token: string, name: string, role: Role, createdBy: string): Promise<"created" | "active" | "revoked"> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      "SELECT revoked_at FROM api_tokens WHERE token_sha256 = ?",
      [sha256(token)],
    );
    const row = rows[0];
    if (row) return row.revoked_at === null ? "active" : "revoked";
    try {
      await this.insert(token, name, role, createdBy);
      return "created";
    } catch (error) {
      // Another replica inserted the same token first.
      if ((error as { code?: string }).code === "ER_DUP_ENTRY") return "active";
      throw error;
    }
  }

  /** The principal of a valid, unrevoked token; undefined otherwise (never says which). */
  async verify(token: string): Promise<TokenPrincipal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      "SELECT id, name, role, last_used_at FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
      [sha256(token)],
    );
    const row = rows[0];
    if (!row) return undefined;
    const lastUsedAt = row.last_used_at as Date | null;
    if (!lastUsedAt || Date.now() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      // Best effort: a failed bookkeeping write must not fail the caller's request.
      this.pool.execute("UPDATE api_tokens SET last_used_at = NOW(3) WHERE id = ?", [row.id]).catch(() => {});
    }
    return { tokenId: String(row.id), name: String(row.name), role: row.role as Role };
  }

  /** Of these token ids, the ones not revoked (one query for any number of sockets). */
  async activeIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT id FROM api_tokens WHERE id IN (?) AND revoked_at IS NULL",
      [ids],
    );
    return new Set(rows.map((row) => String(row.id)));
  }

  /** Revokes one token by id, or every token not yet revoked with a name; returns what it revoked. */
  async revoke(selector: { id: string } | { name: string }): Promise<ApiTokenRecord[]> {
    const [column, value] = "id" in selector ? ["id", selector.id] : ["name", selector.name];
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      `SELECT id FROM api_tokens WHERE ${column} = ? AND revoked_at IS NULL`,
      [value],
    );
    const ids = rows.map((row) => String(row.id));
    if (ids.length === 0) return [];
    await this.pool.query("UPDATE api_tokens SET revoked_at = NOW(3) WHERE id IN (?) AND revoked_at IS NULL", [ids]);
    const [revoked] = await this.pool.query<RowDataPacket[]>(`${SELECT_RECORDS} WHERE id IN (?) ORDER BY created_at`, [
      ids,
    ]);
    return revoked.map(toRecord);
  }

  /** Oldest first; revoked ones only when asked. */
  async list(options: { includeRevoked?: boolean } = {}): Promise<ApiTokenRecord[]> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      `${SELECT_RECORDS} ${options.includeRevoked ? "" : "WHERE revoked_at IS NULL"} ORDER BY created_at, id`,
    );
    return rows.map(toRecord);
  }

  private async insert(token: string, name: string, role: Role, createdBy: string): Promise<ApiTokenRecord> {
    const id = randomBytes(8).toString("hex");
    const createdAt = new Date();
    await this.pool.execute(
      "INSERT INTO api_tokens (id, name, role, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
      [id, name, role, sha256(token), createdAt, createdBy.slice(0, 128)],
    );
    return { id, name, role, createdAt, createdBy, revokedAt: undefined, lastUsedAt: undefined };
  }
}

/** Every column but the hash: records never carry it. */
const SELECT_RECORDS = "SELECT id, name, role, created_at, created_by, revoked_at, last_used_at FROM api_tokens";

function toRecord(row: RowDataPacket): ApiTokenRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    role: row.role as Role,
    createdAt: row.created_at as Date,
    createdBy: String(row.created_by),
    revokedAt: (row.revoked_at as Date | null) ?? undefined,
    lastUsedAt: (row.last_used_at as Date | null) ?? undefined,
  };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
