import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { DASHBOARD_SOCKET_NAMESPACE, type DashboardSnapshot, type IssuedCertificate } from "@sentra/common";
import {
  createTestNamespace,
  createTestPki,
  eventually,
  getTestPki,
  REPO_ROOT,
  startProcess,
  type TestNamespace,
  type TestPki,
} from "@sentra/testkit";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli-process.js";
import { type CoordinatorProcess, startCoordinatorProcess, startSatelliteProcess } from "./support/estate-processes.js";
import { httpsGet, sampleOf, servedCertificate } from "./support/tls-probes.js";

const EXPIRY_GAUGE = "sentra_coordinator_api_tls_certificate_expiry_timestamp_seconds";
const RELOADS = "sentra_coordinator_api_tls_reloads_total";

/** grpc.health.v1.Health/Check with `credentials`: resolves with the status code (0: it answered). */
function healthCheckCode(address: string, credentials: grpc.ChannelCredentials): Promise<number> {
  const client = new grpc.Client(address, credentials);
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      () => Buffer.alloc(0),
      (bytes: Buffer) => bytes,
      {},
      { deadline: Date.now() + 5_000 },
      (error) => {
        client.close();
        resolve(error ? error.code : grpc.status.OK);
      },
    ),
  );
}

/** Runs the built coordinator until it exits; resolves with its exit code and everything it printed. */
async function runCoordinatorUntilExit(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const child = startProcess(process.execPath, [join(REPO_ROOT, "coordinator/dist/main.js")], env);
  const [code] = (await once(child.child, "exit")) as [number];
  return { code, output: child.output() };
}

const portOf = (url: string): number => Number(new URL(url).port);

describe("the coordinator's API over TLS (gRPC and HTTP), with hot rotation", () => {
  let namespace: TestNamespace;
  let pki: TestPki;
  let ca: Buffer;
  let coordinator: CoordinatorProcess;
  let grpcPort: number;
  /** The folder the coordinator reads its API certificate from, as a mounted Secret would be. */
  let tlsDir: string;
  let first: IssuedCertificate;
  const sockets: Socket[] = [];

  /** Puts `certificate`'s certificate and/or key where the coordinator reads them. */
  const install = (certificate: IssuedCertificate, which: "certificate" | "key" | "both" = "both"): void => {
    if (which !== "key") copyFileSync(certificate.certificatePath, join(tlsDir, "tls.crt"));
    if (which !== "certificate") copyFileSync(certificate.privateKeyPath, join(tlsDir, "tls.key"));
  };
  const metrics = async (): Promise<string> => (await httpsGet(`${coordinator.httpUrl}/metrics`, ca)).body;
  const cli = (args: readonly string[], env: Record<string, string> = {}) =>
    runCli(["--coordinator", coordinator.grpcAddress, ...args], { SENTRA_TOKEN: coordinator.adminToken, ...env });

  beforeAll(async () => {
    namespace = await createTestNamespace("apitls");
    pki = await getTestPki();
    ca = readFileSync(pki.caFile);
    // Any name: clients check the SANs (localhost, 127.0.0.1, ::1), not the common name.
    first = await pki.issue("sentra-api");
    tlsDir = mkdtempSync(join(tmpdir(), "sentra-api-tls-"));
    namespace.defer(() => rmSync(tlsDir, { recursive: true, force: true }));
    install(first);
    coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_API_TLS_CERT_FILE: join(tlsDir, "tls.crt"),
      SENTRA_API_TLS_KEY_FILE: join(tlsDir, "tls.key"),
      SENTRA_API_TLS_RELOAD_INTERVAL_MS: "200",
      SENTRA_LOG_LEVEL: "debug",
    });
    grpcPort = Number(coordinator.grpcAddress.split(":")[1]);
    await startSatelliteProcess(namespace, "aws", "eu-west-1");
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await namespace?.dispose();
  });

  it("the CLI lists satellites with --ca (or SENTRA_TLS_CA), and fails clearly without it or with another CA", async () => {
    expect(coordinator.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await eventually(async () => {
      const listed = await cli(["--ca", pki.caFile, "satellites", "-o", "json"]);
      expect(listed.stderr).not.toMatch(/^sentra:/m);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain("aws-eu-west-1");
    });
    const fromEnv = await cli(["satellites"], { SENTRA_TLS_CA: pki.caFile });
    expect(fromEnv.status).toBe(0);
    expect(fromEnv.stdout).toContain("aws-eu-west-1");

    const plaintext = await cli(["satellites"]);
    expect(plaintext.status).toBe(5);
    expect(plaintext.stderr).toMatch(/^sentra: UNAVAILABLE: .*one serving TLS needs its CA certificate in --ca/);

    const foreignCa = (await createTestPki()).caFile;
    const untrusted = await cli(["--ca", foreignCa, "satellites"]);
    expect(untrusted.status).toBe(5);
    expect(untrusted.stderr).toMatch(/UNAVAILABLE: .*certificate.*--ca \(or SENTRA_TLS_CA\) must hold the CA/);

    const missingCa = await cli(["--ca", join(tlsDir, "no-such-ca.crt"), "satellites"]);
    expect(missingCa.status).toBe(2);
    expect(missingCa.stderr).toMatch(/cannot read the CA certificate .*no-such-ca\.crt/);
  });

  it("refuses plaintext gRPC and plain HTTP on the TLS ports", async () => {
    expect(await healthCheckCode(coordinator.grpcAddress, grpc.credentials.createInsecure())).toBe(
      grpc.status.UNAVAILABLE,
    );
    expect(await healthCheckCode(coordinator.grpcAddress, grpc.credentials.createSsl(ca))).toBe(grpc.status.OK);
    await expect(fetch(`${coordinator.httpUrl.replace("https:", "http:")}/healthz`)).rejects.toThrow(/fetch failed/);
    // And HTTPS without the CA: the development CA is no public one.
    await expect(httpsGet(`${coordinator.httpUrl}/healthz`, undefined)).rejects.toThrow(/certificate/);
  });

  it("serves /healthz, /metrics, REST and the dashboard's Socket.IO (wss) over HTTPS with the CA", async () => {
    const health = await httpsGet(`${coordinator.httpUrl}/healthz`, ca);
    expect(health.status).toBe(200);
    expect(health.certificate.fingerprint256).toBe(new X509Certificate(first.certificatePem).fingerprint256);
    const rest = await httpsGet(`${coordinator.httpUrl}/api/v1/migrations`, ca, {
      Authorization: `Bearer ${coordinator.adminToken}`,
    });
    expect(rest.status).toBe(200);
    const expiry = new Date(new X509Certificate(first.certificatePem).validTo);
    expect(sampleOf(await metrics(), EXPIRY_GAUGE)).toBe(expiry.getTime() / 1000);

    const socket = io(`${coordinator.httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
      auth: { token: coordinator.adminToken },
      ca: ca.toString("utf8"),
      forceNew: true,
      transports: ["websocket"],
      reconnection: false,
    });
    sockets.push(socket);
    const snapshot = await new Promise<DashboardSnapshot>((resolve, reject) => {
      socket.once("snapshot", resolve);
      socket.once("connect_error", reject);
    });
    expect(snapshot.session.role).toBe("admin");
  });

  it("serves renewed files to new connections without a restart, and keeps the certificate while a pair is half written", async () => {
    const renewed = await pki.issue("sentra-api-renewed");
    const firstFingerprint = new X509Certificate(first.certificatePem).fingerprint256;
    const renewedCertificate = new X509Certificate(renewed.certificatePem);

    // The certificate first, its key not yet: refused, the current pair still served.
    install(renewed, "certificate");
    await eventually(async () => expect(sampleOf(await metrics(), RELOADS, { outcome: "rejected" })).toBe(1));
    expect((await servedCertificate(grpcPort, ca, "h2")).fingerprint256).toBe(firstFingerprint);
    expect((await servedCertificate(portOf(coordinator.httpUrl), ca, "http/1.1")).fingerprint256).toBe(
      firstFingerprint,
    );

    install(renewed, "key");
    await eventually(async () => {
      expect((await servedCertificate(grpcPort, ca, "h2")).fingerprint256).toBe(renewedCertificate.fingerprint256);
      expect((await servedCertificate(portOf(coordinator.httpUrl), ca, "http/1.1")).fingerprint256).toBe(
        renewedCertificate.fingerprint256,
      );
    });
    const exposition = await metrics();
    expect(sampleOf(exposition, RELOADS, { outcome: "rotated" })).toBe(1);
    expect(sampleOf(exposition, EXPIRY_GAUGE)).toBe(new Date(renewedCertificate.validTo).getTime() / 1000);
    // The CLI and HTTPS go on working on the new certificate.
    const listed = await cli(["--ca", pki.caFile, "satellites"]);
    expect(listed.status).toBe(0);
    expect((await httpsGet(`${coordinator.httpUrl}/healthz`, ca)).certificate.serialNumber).toBe(
      renewedCertificate.serialNumber,
    );

    const output = coordinator.process.output();
    expect(output).toContain(renewedCertificate.serialNumber);
    expect(output).toMatch(/"msg":"TLS certificate rotated/);
    expect(output).not.toContain("PRIVATE KEY");
    for (const key of [first.privateKeyPem, renewed.privateKeyPem]) {
      expect(output).not.toContain(key.split("\n")[1]);
    }
  });
});

describe("the coordinator refuses an API other hosts could reach in clear", () => {
  it("exits naming the variables when it would bind 0.0.0.0 without TLS or SENTRA_API_INSECURE", async () => {
    const env = await (await getTestPki()).coordinatorEnv();
    const refused = await runCoordinatorUntilExit({
      ...env,
      SENTRA_GRPC_HOST: "0.0.0.0",
      SENTRA_HTTP_HOST: "0.0.0.0",
      SENTRA_API_TLS_CERT_FILE: "",
      SENTRA_API_TLS_KEY_FILE: "",
      SENTRA_API_INSECURE: "false",
    });
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(
      /coordinator: invalid configuration\n\s+SENTRA_GRPC_HOST: "0\.0\.0\.0" is not a loopback address, and the API would carry API tokens in clear: set SENTRA_API_TLS_CERT_FILE and SENTRA_API_TLS_KEY_FILE to serve TLS, or SENTRA_API_INSECURE=true/,
    );
    expect(refused.output).toMatch(/SENTRA_HTTP_HOST: "0\.0\.0\.0" is not a loopback address/);
  });

  it("fails its start naming the variable and the file when the API key is not the certificate's", async () => {
    const pki = await getTestPki();
    const certificate = await pki.issue("sentra-api");
    const otherKey = (await pki.issue("sentra-api-other")).privateKeyPath;
    const failed = await runCoordinatorUntilExit({
      ...(await pki.coordinatorEnv()),
      SENTRA_API_TLS_CERT_FILE: certificate.certificatePath,
      SENTRA_API_TLS_KEY_FILE: otherKey,
    });
    expect(failed.code).toBe(1);
    expect(failed.output).toContain(
      `SENTRA_API_TLS_KEY_FILE: ${otherKey} is not the private key of the certificate in SENTRA_API_TLS_CERT_FILE`,
    );
    expect(failed.output).not.toContain("PRIVATE KEY");
  });
});
