import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { DashboardRole } from "@sentra/common";

/** Where the dashboard token came from; logged at start (never the token itself). */
export type DashboardTokenSource =
  | { kind: "environment" }
  | { kind: "file"; path: string; generated: boolean; permissionsTightened: boolean };

/** Bytes of randomness in a generated token (base64url: 43 characters). */
const GENERATED_TOKEN_BYTES = 32;
const MIN_TOKEN_LENGTH = 16;

/**
 * The sign-in token: `SENTRA_DASHBOARD_TOKEN` when set; otherwise the token kept in `tokenFile`,
 * generated there (mode 0600, its folder 0700) the first time. Keeping it across restarts lets a
 * signed-in page reconnect after a coordinator restart; delete the file to rotate it.
 */
export async function resolveDashboardToken(options: {
  token: string | undefined;
  tokenFile: string;
}): Promise<{ token: string; source: DashboardTokenSource }> {
  if (options.token !== undefined) return { token: options.token, source: { kind: "environment" } };
  const path = options.tokenFile;
  const existing = await readFile(path, "utf8").then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      // Absent (or a path through a file): generate one, and say so if it cannot be written.
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw new Error(`cannot read the dashboard token file ${path}: ${error.message}`, { cause: error });
    },
  );
  if (existing !== undefined && existing.length >= MIN_TOKEN_LENGTH) {
    const mode = (await stat(path)).mode & 0o777;
    const permissionsTightened = (mode & 0o077) !== 0;
    if (permissionsTightened) await chmod(path, 0o600);
    return { token: existing, source: { kind: "file", path, generated: false, permissionsTightened } };
  }
  const token = randomBytes(GENERATED_TOKEN_BYTES).toString("base64url");
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    // `mode` applies only when the file is created: a short or empty file left behind keeps its own.
    await chmod(path, 0o600);
  } catch (error) {
    throw new Error(
      `cannot write the dashboard token to ${path}: set SENTRA_DASHBOARD_TOKEN, or SENTRA_DASHBOARD_TOKEN_FILE to a writable path`,
      { cause: error },
    );
  }
  return { token, source: { kind: "file", path, generated: true, permissionsTightened: false } };
}

/**
 * Checks sign-in tokens. Until the security issue brings users and roles, the configured token
 * signs in as an operator and the optional viewer token as a viewer; a wrong or missing one signs
 * in as nobody.
 */
export class DashboardAccess {
  private readonly digest: Buffer;
  private readonly viewerDigest: Buffer | undefined;

  constructor(token: string, viewerToken?: string) {
    this.digest = sha256(token);
    this.viewerDigest = viewerToken === undefined ? undefined : sha256(viewerToken);
  }

  /** The role a presented token grants, or undefined. Constant time in the token's content. */
  roleOf(candidate: unknown): DashboardRole | undefined {
    if (typeof candidate !== "string" || candidate.length === 0) return undefined;
    // Hashing first gives both sides the same length, so timingSafeEqual never leaks the length.
    const digest = sha256(candidate);
    if (timingSafeEqual(digest, this.digest)) return "operator";
    if (this.viewerDigest && timingSafeEqual(digest, this.viewerDigest)) return "viewer";
    return undefined;
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
