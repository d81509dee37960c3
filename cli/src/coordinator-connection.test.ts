import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SentraError } from "@sentra/common";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectToCoordinator, resolveToken } from "./coordinator-connection.js";
import { describeFailure } from "./describe-failure.js";

describe("the CLI's API token", () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sentra-cli-token-"));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes --token, then SENTRA_TOKEN, then the token file", () => {
    writeFileSync(join(dir, "file-token"), "sentra_from_file\n");
    expect(resolveToken({ token: "sentra_flag", tokenFile: "file-token" }, { SENTRA_TOKEN: "sentra_env" })).toBe(
      "sentra_flag",
    );
    expect(resolveToken({ tokenFile: "file-token" }, { SENTRA_TOKEN: "sentra_env" })).toBe("sentra_env");
    expect(resolveToken({ tokenFile: "file-token" }, {})).toBe("sentra_from_file");
    expect(resolveToken({}, { SENTRA_TOKEN_FILE: "file-token" })).toBe("sentra_from_file");
  });

  it("reads the coordinator's .sentra/admin-token by default, and goes without when it is absent", () => {
    expect(resolveToken({}, {})).toBeUndefined();
    mkdirSync(join(dir, ".sentra"));
    writeFileSync(join(dir, ".sentra", "admin-token"), "sentra_admin\n");
    expect(resolveToken({}, {})).toBe("sentra_admin");
  });

  it("fails naming --token-file when a file named explicitly is missing", () => {
    expect(() => resolveToken({ tokenFile: "missing" }, {})).toThrow(/cannot read the token file missing/);
  });

  it("says how to get a token when the coordinator refuses the call", () => {
    expect(describeFailure(new SentraError("UNAUTHENTICATED", "invalid or revoked token"))).toMatch(
      /^UNAUTHENTICATED: invalid or revoked token\. Give an API token with --token, SENTRA_TOKEN or --token-file/,
    );
    expect(
      describeFailure(new SentraError("PERMISSION_DENIED", "Migrate needs the operator role; token ci has viewer")),
    ).toBe(
      "PERMISSION_DENIED: Migrate needs the operator role; token ci has viewer. Ask an admin for a token with that role",
    );
  });

  it("names --ca when the coordinator is unreachable, and says what a refused certificate needs", () => {
    expect(describeFailure(new SentraError("UNAVAILABLE", "No connection established"))).toMatch(
      /Is the coordinator running there\?.*one serving TLS needs its CA certificate in --ca or SENTRA_TLS_CA$/,
    );
    expect(
      describeFailure(
        new SentraError(
          "UNAVAILABLE",
          "No connection established. Last error: Error: unable to verify the first certificate",
        ),
      ),
    ).toMatch(/certificate was not accepted: --ca \(or SENTRA_TLS_CA\) must hold the CA that issued it/);
  });

  it("fails naming --ca when the CA certificate cannot be read", () => {
    expect(() => connectToCoordinator({ ca: "no-such-ca.crt", token: "sentra_x" }, {})).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "--ca" }),
    );
  });
});
