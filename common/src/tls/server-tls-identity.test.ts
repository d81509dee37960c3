import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDevelopmentCa, type DevelopmentCa, type IssuedCertificate } from "../pki/development-pki.js";
import type { ServerTlsFiles } from "./server-tls-certificate.js";
import { type ServerTlsIdentity, type ServerTlsIdentityEvent, watchServerTlsIdentity } from "./server-tls-identity.js";

/** A logger whose JSON lines are kept, to assert what was (and was not) logged. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

describe("a server TLS identity that follows its files", () => {
  let caDir: string;
  let ca: DevelopmentCa;
  let first: IssuedCertificate;
  let second: IssuedCertificate;
  let dir: string;
  let files: ServerTlsFiles;
  let identity: ServerTlsIdentity | undefined;

  beforeAll(async () => {
    caDir = mkdtempSync(join(tmpdir(), "sentra-server-tls-ca-"));
    ca = await createDevelopmentCa({ dir: caDir });
    first = await ca.issue("api", "api-1");
    second = await ca.issue("api", "api-2");
    return () => rmSync(caDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sentra-server-tls-"));
    files = {
      certificate: { variable: "API_CERT", path: join(dir, "tls.crt") },
      key: { variable: "API_KEY", path: join(dir, "tls.key") },
    };
    install(first);
  });
  afterEach(() => {
    identity?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const install = (certificate: IssuedCertificate, which: "certificate" | "key" | "both" = "both"): void => {
    if (which !== "key") copyFileSync(certificate.certificatePath, files.certificate.path);
    if (which !== "certificate") copyFileSync(certificate.privateKeyPath, files.key.path);
  };
  /** An identity that never reloads by itself: each test calls `reload()`. */
  const watch = (clock?: () => Date) => {
    const { logger, lines } = recordingLogger();
    identity = watchServerTlsIdentity({ files, reloadIntervalMs: 3_600_000, logger, ...(clock ? { clock } : {}) });
    const events: ServerTlsIdentityEvent[] = [];
    identity.subscribe((event) => events.push(event));
    return { identity, events, lines };
  };
  const serialOf = (certificate: IssuedCertificate): string =>
    new X509Certificate(certificate.certificatePem).serialNumber;

  it("takes a renewed pair into use, tells its listeners and logs serial and expiry — never the key", async () => {
    const { identity, events, lines } = watch();
    const before = identity.current();
    await identity.reload();
    expect(events).toEqual([]);
    install(second);
    await identity.reload();
    expect(events.map((event) => event.kind)).toEqual(["rotated"]);
    expect(identity.current().serialNumber).not.toBe(before.serialNumber);
    expect(identity.current().privateKeyPem.toString()).toBe(second.privateKeyPem);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, serialNumber: identity.current().serialNumber });
    const serialised = JSON.stringify(lines);
    expect(serialised).not.toContain("PRIVATE KEY");
    expect(serialised).not.toContain(second.privateKeyPem.split("\n")[1]);
  });

  it("keeps the current certificate while the pair is half written, refusing it once", async () => {
    const { identity, events, lines } = watch();
    const before = identity.current();
    install(second, "certificate");
    await identity.reload();
    await identity.reload();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "rejected" });
    if (events[0]?.kind !== "rejected") throw new Error("unreachable");
    expect(events[0].error.message).toMatch(
      /^API_KEY: .*tls\.key is not the private key of the certificate in API_CERT/,
    );
    expect(identity.current()).toBe(before);
    expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
    install(second, "key");
    await identity.reload();
    expect(events.map((event) => event.kind)).toEqual(["rejected", "rotated"]);
  });

  it("refuses an unreadable file or a certificate not valid now, naming the variable, and keeps serving", async () => {
    const { identity, events } = watch();
    unlinkSync(files.key.path);
    await identity.reload();
    expect(events.at(-1)).toMatchObject({ kind: "rejected" });
    expect((events.at(-1) as Extract<ServerTlsIdentityEvent, { kind: "rejected" }>).error.message).toMatch(
      /^API_KEY: .*tls\.key cannot be read \(ENOENT\)/,
    );
    identity.close();

    install(first);
    // A clock past the certificates' 825 days: the renewed pair is refused as expired.
    let now = new Date();
    const later = watch(() => now);
    now = new Date(Date.now() + 900 * 86_400_000);
    install(second);
    await later.identity.reload();
    expect(later.events).toHaveLength(1);
    expect((later.events[0] as Extract<ServerTlsIdentityEvent, { kind: "rejected" }>).error.message).toMatch(
      /^API_CERT: .*tls\.crt holds a certificate valid only from/,
    );
    expect(later.identity.current().serialNumber).toBe(serialOf(first));
  });

  it("fails at once when the files are wrong at start, naming the variable and the file", () => {
    copyFileSync(second.privateKeyPath, files.key.path);
    const { logger } = recordingLogger();
    expect(() => watchServerTlsIdentity({ files, reloadIntervalMs: 1_000, logger })).toThrowError(
      /^API_KEY: .*tls\.key is not the private key of the certificate in API_CERT/,
    );
  });
});
