import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { COORDINATOR_COMMON_NAME, satelliteCommonName } from "../tls/peer-identity.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256: small keys, fast to make, accepted by grpc-js (BoringSSL/OpenSSL) and NATS. */
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** @default 825 — the longest validity browsers and most TLS stacks accept for leaf certificates. */
const LEAF_VALIDITY_DAYS = 825;
/** @default 3650 */
const CA_VALIDITY_DAYS = 3_650;
/** Issued certificates start a minute in the past, so a peer whose clock lags a little accepts them. */
const CLOCK_SKEW_MS = 60_000;
const DAY_MS = 86_400_000;
/** A certificate's file stem stays inside the folder: no separators, no leading dot. */
const SAFE_FILE_STEM = /^[A-Za-z0-9_][A-Za-z0-9._:-]*$/;

/** File names inside a development PKI folder. */
export const DEVELOPMENT_CA_CERTIFICATE_FILE = "ca.crt";
export const DEVELOPMENT_CA_KEY_FILE = "ca.key";

/** One issued certificate as PEM, with where it was written. */
export interface IssuedCertificate {
  /** The certificate's common name (`coordinator`, `satellite:<id>`, …). */
  name: string;
  certificatePem: string;
  privateKeyPem: string;
  certificatePath: string;
  privateKeyPath: string;
}

/** A development certificate authority that can issue more certificates later. */
export interface DevelopmentCa {
  readonly certificatePath: string;
  readonly certificatePem: string;
  /**
   * Issues a leaf certificate (server and client authentication) with common name `commonName`,
   * written as `<fileStem>.crt` and `<fileStem>.key` (0600) into the CA's folder.
   */
  issue(commonName: string, fileStem: string): Promise<IssuedCertificate>;
}

export interface DevelopmentCaOptions {
  /** Folder to write into (created 0700; keys 0600). */
  dir: string;
  /** Extra DNS names for every certificate issued (127.0.0.1, ::1 and localhost are always in). */
  hosts?: readonly string[];
  /** Organisation written into the subjects. @default "Sentra development" */
  organisation?: string;
}

export interface DevelopmentPki {
  caCertificatePath: string;
  caCertificatePem: string;
  /** True when the CA already existed in the folder and was reused. */
  caReused: boolean;
  coordinator: IssuedCertificate;
  satellites: Map<string, IssuedCertificate>;
}

export interface DevelopmentPkiOptions extends DevelopmentCaOptions {
  /** Satellite ids: each gets a certificate whose common name is `satellite:<id>`. */
  satelliteIds: readonly string[];
  /**
   * Re-issue the coordinator's and the satellites' certificates even when they exist (the CA is
   * kept, so peers need no new trust): leaf rotation. @default false
   */
  renew?: boolean;
}

/**
 * Creates — or completes — a development PKI in `dir`: a certificate authority, one certificate
 * for the coordinator (`coordinator`) and one per satellite (`satellite:<id>`), each usable as
 * server and client. A CA already in the folder is reused and certificates already there are kept
 * (unless `renew`), so running it again only adds what is missing. For development and demos;
 * production uses the cluster's own PKI (docs/security.md).
 */
export async function createDevelopmentPki(options: DevelopmentPkiOptions): Promise<DevelopmentPki> {
  const existing = await exists(join(options.dir, DEVELOPMENT_CA_KEY_FILE));
  const ca = existing ? await openDevelopmentCa(options) : await createDevelopmentCa(options);
  // Certificates in the folder are kept only when their CA is: a new CA re-issues everything.
  const keep = existing && !options.renew;
  const issueOrKeep = async (commonName: string, fileStem: string): Promise<IssuedCertificate> =>
    (keep && (await readIssued(options.dir, commonName, fileStem))) || ca.issue(commonName, fileStem);
  const coordinator = await issueOrKeep(COORDINATOR_COMMON_NAME, "coordinator");
  const satellites = new Map<string, IssuedCertificate>();
  for (const id of options.satelliteIds) {
    satellites.set(id, await issueOrKeep(satelliteCommonName(id), satelliteCertificateStem(id)));
  }
  return {
    caCertificatePath: ca.certificatePath,
    caCertificatePem: ca.certificatePem,
    caReused: existing,
    coordinator,
    satellites,
  };
}

/**
 * The `SENTRA_TLS_*` environment that makes a process present `certificate` and trust the CA at
 * `caCertificatePath` (with `SENTRA_GRPC_INSECURE=false`, so an inherited flag cannot clash).
 */
export function tlsEnvironmentOf(caCertificatePath: string, certificate: IssuedCertificate): Record<string, string> {
  return {
    SENTRA_TLS_CA_FILE: caCertificatePath,
    SENTRA_TLS_CERT_FILE: certificate.certificatePath,
    SENTRA_TLS_KEY_FILE: certificate.privateKeyPath,
    SENTRA_GRPC_INSECURE: "false",
  };
}

/** The file stem (`satellite-<id>`) of a satellite's certificate and key in a development PKI. */
export function satelliteCertificateStem(satelliteId: string): string {
  return `satellite-${satelliteId}`;
}

/** Creates a new development CA in `dir` (overwriting `ca.crt` and `ca.key`). */
export async function createDevelopmentCa(options: DevelopmentCaOptions): Promise<DevelopmentCa> {
  const organisation = options.organisation ?? "Sentra development";
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as KeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Sentra development CA, O=${organisation}`,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certificatePath = join(options.dir, DEVELOPMENT_CA_CERTIFICATE_FILE);
  await writeFile(certificatePath, certificate.toString("pem"));
  await writePrivate(join(options.dir, DEVELOPMENT_CA_KEY_FILE), await exportKey(keys.privateKey));
  return caOf(certificate, keys.privateKey, certificatePath, options, organisation);
}

/** Opens the development CA in `dir` (`ca.crt` and `ca.key`) to issue more certificates. */
export async function openDevelopmentCa(options: DevelopmentCaOptions): Promise<DevelopmentCa> {
  const certificatePath = join(options.dir, DEVELOPMENT_CA_CERTIFICATE_FILE);
  const keyPath = join(options.dir, DEVELOPMENT_CA_KEY_FILE);
  const certificate = new x509.X509Certificate(await readFile(certificatePath, "utf8"));
  const privateKey = await webcrypto.subtle.importKey(
    "pkcs8",
    pemBody(await readFile(keyPath, "utf8")),
    KEY_ALGORITHM,
    false,
    ["sign"],
  );
  const organisation = certificate.subjectName.getField("O")[0] ?? options.organisation ?? "Sentra development";
  return caOf(certificate, privateKey, certificatePath, options, organisation);
}

function caOf(
  certificate: x509.X509Certificate,
  privateKey: webcrypto.CryptoKey,
  certificatePath: string,
  options: DevelopmentCaOptions,
  organisation: string,
): DevelopmentCa {
  const hosts = ["localhost", ...(options.hosts ?? [])];
  return {
    certificatePath,
    certificatePem: certificate.toString("pem"),
    issue: async (commonName, fileStem) => {
      if (!SAFE_FILE_STEM.test(fileStem)) throw new Error(`not a plain file name: ${JSON.stringify(fileStem)}`);
      const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as KeyPair;
      const now = Date.now();
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${commonName}, O=${organisation}`,
        issuer: certificate.subject,
        notBefore: new Date(now - CLOCK_SKEW_MS),
        notAfter: new Date(now + LEAF_VALIDITY_DAYS * DAY_MS),
        publicKey: keys.publicKey,
        signingKey: privateKey,
        signingAlgorithm: KEY_ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          new x509.SubjectAlternativeNameExtension([
            ...hosts.map((value) => ({ type: "dns" as const, value })),
            { type: "ip" as const, value: "127.0.0.1" },
            { type: "ip" as const, value: "::1" },
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(certificate),
        ],
      });
      const certificatePath = join(options.dir, `${fileStem}.crt`);
      const privateKeyPath = join(options.dir, `${fileStem}.key`);
      const certificatePem = leaf.toString("pem");
      const privateKeyPem = await exportKey(keys.privateKey);
      // Key first: a crash in between leaves a key without a certificate, which is re-issued.
      await writePrivate(privateKeyPath, privateKeyPem);
      await writeFile(certificatePath, certificatePem);
      return { name: commonName, certificatePem, privateKeyPem, certificatePath, privateKeyPath };
    },
  };
}

/** A certificate already issued into the folder, or undefined when its files are not both there. */
async function readIssued(dir: string, name: string, fileStem: string): Promise<IssuedCertificate | undefined> {
  const certificatePath = join(dir, `${fileStem}.crt`);
  const privateKeyPath = join(dir, `${fileStem}.key`);
  if (!(await exists(certificatePath)) || !(await exists(privateKeyPath))) return undefined;
  return {
    name,
    certificatePem: await readFile(certificatePath, "utf8"),
    privateKeyPem: await readFile(privateKeyPath, "utf8"),
    certificatePath,
    privateKeyPath,
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}

async function writePrivate(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** A positive random 128-bit serial, as RFC 5280 asks (unique, unpredictable). */
function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}
