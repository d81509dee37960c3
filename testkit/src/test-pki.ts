import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  COORDINATOR_COMMON_NAME,
  createDevelopmentCa,
  createLogger,
  type DevelopmentCa,
  type GrpcTransportSecurity,
  type IssuedCertificate,
  loadGrpcTransportSecurity,
  satelliteCertificateStem,
  satelliteCommonName,
  tlsEnvironmentOf,
} from "@sentra/common";

/** The `SENTRA_TLS_*` environment of one process (and `SENTRA_GRPC_INSECURE=false`). */
export type TlsEnvironment = Readonly<Record<string, string>>;

/**
 * A development PKI for tests: one CA in a temporary folder (removed when the test process exits),
 * certificates issued on demand and cached.
 */
export interface TestPki {
  /** The folder holding `ca.crt` and the issued `<stem>.crt` / `<stem>.key` files. */
  readonly dir: string;
  /** Path of the CA certificate (PEM). */
  readonly caFile: string;
  /** Environment for a coordinator process (certificate CN `coordinator`). */
  coordinatorEnv(): Promise<TlsEnvironment>;
  /** Environment for satellite `satelliteId` (certificate CN `satellite:<id>`, issued on first use). */
  satelliteEnv(satelliteId: string): Promise<TlsEnvironment>;
  /** Transport security of the coordinator: to dial satellites in process as the coordinator does. */
  coordinatorSecurity(): Promise<GrpcTransportSecurity>;
  /** Transport security of satellite `satelliteId`: to serve SatelliteService in process as it does. */
  satelliteSecurity(satelliteId: string): Promise<GrpcTransportSecurity>;
  /** A certificate with any common name from this CA (cached by name), e.g. to test refusals. */
  issue(commonName: string): Promise<IssuedCertificate>;
}

let shared: Promise<TestPki> | undefined;

/** The test process's shared PKI: created on first use (a few ms), then the same for every test. */
export function getTestPki(): Promise<TestPki> {
  shared ??= createTestPki();
  return shared;
}

/** A new, separate PKI (its own CA): e.g. a "foreign" CA whose certificates the estate must refuse. */
export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), "sentra-test-pki-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const ca = await createDevelopmentCa({ dir });
  return testPkiOf(dir, ca);
}

function testPkiOf(dir: string, ca: DevelopmentCa): TestPki {
  const issued = new Map<string, Promise<IssuedCertificate>>();
  const silent = createLogger("test-pki", "silent");
  const issue = (commonName: string, fileStem = stemOf(commonName)): Promise<IssuedCertificate> => {
    let certificate = issued.get(commonName);
    if (!certificate) {
      certificate = ca.issue(commonName, fileStem);
      issued.set(commonName, certificate);
    }
    return certificate;
  };
  const envOf = (certificate: IssuedCertificate): TlsEnvironment => tlsEnvironmentOf(ca.certificatePath, certificate);
  const securityOf = (certificate: IssuedCertificate): GrpcTransportSecurity =>
    loadGrpcTransportSecurity(
      {
        mode: "mtls",
        caFile: ca.certificatePath,
        certificateFile: certificate.certificatePath,
        keyFile: certificate.privateKeyPath,
      },
      certificate.name,
      silent,
    );
  const coordinator = () => issue(COORDINATOR_COMMON_NAME, "coordinator");
  const satellite = (id: string) => issue(satelliteCommonName(id), satelliteCertificateStem(id));
  return {
    dir,
    caFile: ca.certificatePath,
    coordinatorEnv: async () => envOf(await coordinator()),
    satelliteEnv: async (id) => envOf(await satellite(id)),
    coordinatorSecurity: async () => securityOf(await coordinator()),
    satelliteSecurity: async (id) => securityOf(await satellite(id)),
    issue: (commonName) => issue(commonName),
  };
}

/** A file stem for any common name (`satellite:x` → `satellite_x`); distinct names stay distinct enough for tests. */
function stemOf(commonName: string): string {
  return `cn-${commonName.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}
