import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readOrCreateSecretFile, type SecretFileOptions } from "./secret-file.js";

describe("a secret kept in a file", () => {
  let dir: string;
  let generated: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sentra-secret-file-"));
    generated = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const options = (path: string, value?: string): SecretFileOptions => ({
    value,
    variable: "SENTRA_ADMIN_TOKEN",
    fileVariable: "SENTRA_ADMIN_TOKEN_FILE",
    path,
    purpose: "the admin token",
    generate: () => `sentra_generated_${++generated}_0123456789abcdefghijklmnop`,
    isValid: (text) => text.startsWith("sentra_"),
  });

  it("takes the environment's value as it is and writes no file", async () => {
    const path = join(dir, ".sentra", "admin-token");
    const resolved = await readOrCreateSecretFile(options(path, "sentra_from_the_environment"));
    expect(resolved).toEqual({
      secret: "sentra_from_the_environment",
      source: { kind: "environment", variable: "SENTRA_ADMIN_TOKEN" },
    });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("generates into a 0600 file in a 0700 folder, and reuses it on the next start", async () => {
    const path = join(dir, ".sentra", "admin-token");
    const first = await readOrCreateSecretFile(options(path));
    expect(first.source).toEqual({ kind: "file", path, generated: true, permissionsTightened: false });
    expect((await readFile(path, "utf8")).trim()).toBe(first.secret);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, ".sentra"))).mode & 0o777).toBe(0o700);

    const second = await readOrCreateSecretFile(options(path));
    expect(second.secret).toBe(first.secret);
    expect(second.source).toMatchObject({ generated: false });
    expect(generated).toBe(1);
  });

  it("generates into an empty file and tightens it", async () => {
    const path = join(dir, "admin-token");
    await writeFile(path, "");
    await chmod(path, 0o644);
    const resolved = await readOrCreateSecretFile(options(path));
    expect(resolved.source).toMatchObject({ generated: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("tightens a file others can read", async () => {
    const path = join(dir, "admin-token");
    await writeFile(path, "sentra_kept_0123456789abcdef\n");
    await chmod(path, 0o644);
    const resolved = await readOrCreateSecretFile(options(path));
    expect(resolved.secret).toBe("sentra_kept_0123456789abcdef");
    expect(resolved.source).toMatchObject({ permissionsTightened: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("refuses a file that holds something else, without overwriting or printing it", async () => {
    const path = join(dir, "admin-token");
    await writeFile(path, "hunter2-not-a-token\n");
    const attempt = readOrCreateSecretFile(options(path));
    await expect(attempt).rejects.toThrow(/does not hold the admin token in the expected form/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
    expect(await readFile(path, "utf8")).toBe("hunter2-not-a-token\n");
  });

  it("says what to set when the file cannot be written", async () => {
    await writeFile(join(dir, "not-a-folder"), "");
    await expect(readOrCreateSecretFile(options(join(dir, "not-a-folder", "admin-token")))).rejects.toThrow(
      /cannot write the admin token to .*: set SENTRA_ADMIN_TOKEN, or SENTRA_ADMIN_TOKEN_FILE to a writable path/,
    );
  });
});
