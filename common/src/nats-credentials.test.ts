import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNatsCredentials } from "./nats-credentials.js";

const dir = mkdtempSync(join(tmpdir(), "sentra-creds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A syntactically valid user seed (never a real identity). */
const SEED = `SU${"A".repeat(56)}`;

describe("readNatsCredentials", () => {
  it("reads nothing when no file is configured", () => {
    expect(readNatsCredentials({})).toBeUndefined();
  });

  it("reads an nkey user seed and notices a file others may read", () => {
    const privateFile = join(dir, "private.nk");
    writeFileSync(privateFile, `${SEED}\n`, { mode: 0o600 });
    const credentials = readNatsCredentials({ nkeySeedFile: privateFile });
    expect(credentials?.kind).toBe("nkey");
    expect(new TextDecoder().decode(credentials?.secret)).toBe(SEED);
    expect(credentials?.othersCanRead).toBe(false);

    const openFile = join(dir, "open.nk");
    writeFileSync(openFile, SEED, { mode: 0o644 });
    expect(readNatsCredentials({ nkeySeedFile: openFile })?.othersCanRead).toBe(true);
  });

  it("names the variable and the file, never the content, when a file is wrong", () => {
    const accountSeed = join(dir, "account.nk");
    writeFileSync(accountSeed, `SA${"B".repeat(56)}`, { mode: 0o600 });
    const error = (() => {
      try {
        readNatsCredentials({ nkeySeedFile: accountSeed });
        return undefined;
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(/^SENTRA_NATS_NKEY_SEED_FILE: .*account\.nk does not hold an nkey user seed/);
    expect(error?.message).not.toContain("BBBB");
    expect(() => readNatsCredentials({ nkeySeedFile: join(dir, "missing.nk") })).toThrow(
      /SENTRA_NATS_NKEY_SEED_FILE: cannot read .*missing\.nk \(ENOENT\)/,
    );
    const notCreds = join(dir, "x.creds");
    writeFileSync(notCreds, SEED);
    expect(() => readNatsCredentials({ credsFile: notCreds })).toThrow(
      /SENTRA_NATS_CREDS_FILE: .* is not a NATS \.creds/,
    );
    expect(() => readNatsCredentials({ nkeySeedFile: accountSeed, credsFile: notCreds })).toThrow(/not both/);
  });

  it("reads a .creds file", () => {
    const creds = join(dir, "user.creds");
    writeFileSync(
      creds,
      `-----BEGIN NATS USER JWT-----\neyJ0eXAi\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${SEED}\n------END USER NKEY SEED------\n`,
      { mode: 0o600 },
    );
    expect(readNatsCredentials({ credsFile: creds })?.kind).toBe("creds");
  });
});
