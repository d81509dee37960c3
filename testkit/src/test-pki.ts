import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
 * A development PKI for tests: one CA in a temporary folder under `<tmp>/sentra-test-pki/`
 * (removed when the test process exits, or by the next test PKI once that process is gone),
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

/** Every test PKI lives under here, in a folder named after the process that made it. */
const TEST_PKI_ROOT = join(tmpdir(), "sentra-test-pki");

/** A new, separate PKI (its own CA): e.g. a "foreign" CA whose certificates the estate must refuse. */
export async function createTestPki(): Promise<TestPki> {
  mkdirSync(TEST_PKI_ROOT, { recursive: true, mode: 0o700 });
  removeFoldersOfEndedProcesses();
  const dir = mkdtempSync(join(TEST_PKI_ROOT, `${process.pid}-`));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const ca = await createDevelopmentCa({ dir });
  return testPkiOf(dir, ca);
}

/**
 * Test workers are often ended without an `exit` event, so each new PKI also removes the folders
 * of processes that are gone.
 */
function removeFoldersOfEndedProcesses(): void {
  for (const name of readdirSync(TEST_PKI_ROOT)) {
    const pid = Number(name.split("-")[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
    rmSync(join(TEST_PKI_ROOT, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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
