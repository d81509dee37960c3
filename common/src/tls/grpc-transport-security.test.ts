import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevelopmentPki, type DevelopmentPki } from "../pki/development-pki.js";
import type { GrpcTlsSettings } from "./grpc-tls-settings.js";
import { loadGrpcTransportSecurity } from "./grpc-transport-security.js";

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

describe("loading the gRPC transport security at start-up", () => {
  let dir: string;
  let pki: DevelopmentPki;
  let settings: Extract<GrpcTlsSettings, { mode: "mtls" }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sentra-tls-"));
    pki = await createDevelopmentPki({ dir, satelliteIds: ["aws-eu-west-1"] });
    settings = {
      mode: "mtls",
      caFile: pki.caCertificatePath,
      certificateFile: pki.coordinator.certificatePath,
      keyFile: pki.coordinator.privateKeyPath,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the three files, checks them, and logs the name and expiry — never the key", () => {
    const { logger, lines } = recordingLogger();
    const security = loadGrpcTransportSecurity(settings, "coordinator", logger);
    expect(security).toMatchObject({ mode: "mtls", commonName: "coordinator" });
    if (security.mode !== "mtls") throw new Error("unreachable");
    expect(security.notAfter.getTime()).toBeGreaterThan(Date.now() + 800 * 86_400_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, grpcTransport: "mtls", commonName: "coordinator" });
    const keyBody = pki.coordinator.privateKeyPem.split("\n")[1] ?? "";
    expect(keyBody.length).toBeGreaterThan(20);
    expect(JSON.stringify(lines)).not.toContain(keyBody);
  });

  it("warns once, at level warn, when plaintext is asked for", () => {
    const { logger, lines } = recordingLogger();
    expect(loadGrpcTransportSecurity({ mode: "insecure" }, "coordinator", logger)).toEqual({ mode: "insecure" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, grpcTransport: "insecure", variable: "SENTRA_GRPC_INSECURE" });
    expect(String(lines[0]?.msg)).toMatch(/PLAINTEXT/);
  });

  it("names the variable and the file that cannot be read", () => {
    const { logger } = recordingLogger();
    const missing = join(dir, "missing.key");
    expect(() => loadGrpcTransportSecurity({ ...settings, keyFile: missing }, "coordinator", logger)).toThrowError(
      `SENTRA_TLS_KEY_FILE: ${missing} cannot be read (ENOENT)`,
    );
  });

  it("names the file that is not PEM, or not a valid certificate", () => {
    const { logger } = recordingLogger();
    const notPem = join(dir, "not-pem.crt");
    writeFileSync(notPem, "hello\n");
    expect(() => loadGrpcTransportSecurity({ ...settings, caFile: notPem }, "coordinator", logger)).toThrowError(
      `SENTRA_TLS_CA_FILE: ${notPem} holds no PEM certificate`,
    );
    const broken = join(dir, "broken.crt");
    writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(() =>
      loadGrpcTransportSecurity({ ...settings, certificateFile: broken }, "coordinator", logger),
    ).toThrowError(`SENTRA_TLS_CERT_FILE: ${broken} certificate 1 is not a valid X.509 certificate`);
  });

  it("refuses a key that is not the certificate's, without quoting either", () => {
    const { logger } = recordingLogger();
    const satelliteKey = pki.satellites.get("aws-eu-west-1")?.privateKeyPath ?? "";
    const attempt = () => loadGrpcTransportSecurity({ ...settings, keyFile: satelliteKey }, "coordinator", logger);
    expect(attempt).toThrowError(`SENTRA_TLS_KEY_FILE: ${satelliteKey} is not the private key of the certificate`);
    const garbled = join(dir, "garbled.key");
    writeFileSync(garbled, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n");
    expect(() => loadGrpcTransportSecurity({ ...settings, keyFile: garbled }, "coordinator", logger)).toThrowError(
      /^SENTRA_TLS_KEY_FILE: .* holds a private key that cannot be parsed \(or is encrypted\)$/,
    );
  });

  it("refuses a certificate for another party, or one not valid now", () => {
    const { logger } = recordingLogger();
    const satellite = pki.satellites.get("aws-eu-west-1");
    if (!satellite) throw new Error("no satellite certificate");
    expect(() =>
      loadGrpcTransportSecurity(
        { ...settings, certificateFile: satellite.certificatePath, keyFile: satellite.privateKeyPath },
        "coordinator",
        logger,
      ),
    ).toThrowError(/holds a certificate for CN=satellite:aws-eu-west-1, but this process must present CN=coordinator/);
    expect(() =>
      loadGrpcTransportSecurity(settings, "coordinator", logger, new Date(Date.now() + 900 * 86_400_000)),
    ).toThrowError(/SENTRA_TLS_CERT_FILE: .* holds a certificate valid only from .* to .*: issue a new one/);
  });

  it("warns, without failing, when its own certificate does not chain to the CA file", async () => {
    const other = await createDevelopmentPki({ dir: join(dir, "other"), satelliteIds: [] });
    const { logger, lines } = recordingLogger();
    loadGrpcTransportSecurity({ ...settings, caFile: other.caCertificatePath }, "coordinator", logger);
    expect(lines.map((line) => line.level)).toEqual([30, 40]);
    expect(String(lines[1]?.msg)).toMatch(/does not chain to a CA in SENTRA_TLS_CA_FILE/);
  });
});

describe("the development PKI", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sentra-pki-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes keys 0600, reuses its CA and certificates, and renews leaves from the same CA", async () => {
    const first = await createDevelopmentPki({ dir, satelliteIds: ["aws-eu-west-1"] });
    expect(first.caReused).toBe(false);
    expect(statSync(first.coordinator.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "ca.key")).mode & 0o777).toBe(0o600);

    const again = await createDevelopmentPki({ dir, satelliteIds: ["aws-eu-west-1", "gcp-europe-west1"] });
    expect(again.caReused).toBe(true);
    expect(again.caCertificatePem).toBe(first.caCertificatePem);
    expect(again.coordinator.certificatePem).toBe(first.coordinator.certificatePem);
    const added = again.satellites.get("gcp-europe-west1");
    expect(added?.name).toBe("satellite:gcp-europe-west1");

    const renewed = await createDevelopmentPki({ dir, satelliteIds: ["gcp-europe-west1"], renew: true });
    expect(renewed.caCertificatePem).toBe(first.caCertificatePem);
    expect(renewed.coordinator.certificatePem).not.toBe(first.coordinator.certificatePem);
    // A renewed certificate still chains to the CA every peer already trusts.
    const { logger, lines } = recordingLogger();
    loadGrpcTransportSecurity(
      {
        mode: "mtls",
        caFile: first.caCertificatePath,
        certificateFile: renewed.satellites.get("gcp-europe-west1")?.certificatePath ?? "",
        keyFile: renewed.satellites.get("gcp-europe-west1")?.privateKeyPath ?? "",
      },
      "satellite:gcp-europe-west1",
      logger,
    );
    expect(lines.map((line) => line.level)).toEqual([30]);
  });
});
