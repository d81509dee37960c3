import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DashboardAccess, resolveDashboardToken } from "./dashboard-access.js";

describe("dashboard sign-in token", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sentra-dashboard-token-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("takes SENTRA_DASHBOARD_TOKEN as it is and writes no file", async () => {
    const tokenFile = join(dir, ".sentra", "dashboard-token");
    const resolved = await resolveDashboardToken({ token: "configured-token-0123456789", tokenFile });
    expect(resolved).toEqual({ token: "configured-token-0123456789", source: { kind: "environment" } });
    await expect(stat(tokenFile)).rejects.toThrow(/ENOENT/);
  });

  it("generates a token into a 0600 file in a 0700 folder, and reuses it on the next start", async () => {
    const tokenFile = join(dir, ".sentra", "dashboard-token");
    const first = await resolveDashboardToken({ token: undefined, tokenFile });
    expect(first.source).toEqual({ kind: "file", path: tokenFile, generated: true, permissionsTightened: false });
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await readFile(tokenFile, "utf8")).trim()).toBe(first.token);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, ".sentra"))).mode & 0o777).toBe(0o700);

    const second = await resolveDashboardToken({ token: undefined, tokenFile });
    expect(second.token).toBe(first.token);
    expect(second.source).toMatchObject({ generated: false });
  });

  it("tightens a token file others can read", async () => {
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, "kept-token-0123456789abcdef\n");
    await chmod(tokenFile, 0o644);
    const resolved = await resolveDashboardToken({ token: undefined, tokenFile });
    expect(resolved.token).toBe("kept-token-0123456789abcdef");
    expect(resolved.source).toMatchObject({ permissionsTightened: true });
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  });

  it("says what to set when the token file cannot be written", async () => {
    await writeFile(join(dir, "not-a-folder"), "");
    await expect(
      resolveDashboardToken({ token: undefined, tokenFile: join(dir, "not-a-folder", "dashboard-token") }),
    ).rejects.toThrow(/cannot write the dashboard token to .*: set SENTRA_DASHBOARD_TOKEN/);
  });

  it("grants the operator role to the token only", () => {
    const access = new DashboardAccess("the-one-token-0123456789");
    expect(access.roleOf("the-one-token-0123456789")).toBe("operator");
    expect(access.roleOf("the-one-token-012345678")).toBeUndefined();
    expect(access.roleOf("")).toBeUndefined();
    expect(access.roleOf(undefined)).toBeUndefined();
    expect(access.roleOf({ token: "the-one-token-0123456789" })).toBeUndefined();
  });

  it("grants the viewer role to the viewer token, when one is configured", () => {
    const access = new DashboardAccess("operator-token-0123456789", "viewer-token-0123456789");
    expect(access.roleOf("operator-token-0123456789")).toBe("operator");
    expect(access.roleOf("viewer-token-0123456789")).toBe("viewer");
    expect(access.roleOf("viewer-token-012345678")).toBeUndefined();
  });
});
