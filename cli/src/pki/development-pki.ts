import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256: small keys, fast to make, accepted by grpc-js (BoringSSL/OpenSSL) and NATS. */
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** @default 825 — the longest validity browsers and most TLS stacks accept for leaf certificates. */
const LEAF_VALIDITY_DAYS = 825;
const CA_VALIDITY_DAYS = 3_650;

/** One issued certificate as PEM, with where it was written. */
export interface IssuedCertificate {
  name: string;
  certificatePem: string;
  privateKeyPem: string;
  certificatePath: string;
  privateKeyPath: string;
}

export interface DevelopmentPki {
  caCertificatePath: string;
  caCertificatePem: string;
  coordinator: IssuedCertificate;
  satellites: Map<string, IssuedCertificate>;
}

export interface DevelopmentPkiOptions {
  /** Folder to write into (created, keys 0600). */
  dir: string;
  /** Satellite ids: each gets a certificate whose common name is `satellite:<id>`. */
  satelliteIds: readonly string[];
  /** Extra DNS names for every certificate (127.0.0.1 and localhost are always in). */
  hosts?: readonly string[];
  /** Organisation written into the subjects. @default "Sentra development" */
  organisation?: string;
}

/**
 * Creates a development certificate authority and the certificates the estate needs for mTLS:
 * one for the coordinator (`coordinator`) and one per satellite (`satellite:<id>`), each usable
 * as server and client. For development and demos; production uses the cluster's own PKI.
 */
export async function createDevelopmentPki(options: DevelopmentPkiOptions): Promise<DevelopmentPki> {
  const organisation = options.organisation ?? "Sentra development";
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const caKeys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as KeyPair;
  const now = new Date();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Sentra development CA, O=${organisation}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * 86_400_000),
    keys: caKeys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caCertificatePem = ca.toString("pem");
  const caCertificatePath = join(options.dir, "ca.crt");
  await writeFile(caCertificatePath, caCertificatePem);
  await writePrivate(join(options.dir, "ca.key"), await exportKey(caKeys.privateKey));

  const issue = async (name: string, fileStem: string): Promise<IssuedCertificate> => {
    const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as KeyPair;
    const hosts = ["localhost", ...(options.hosts ?? [])];
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${name}, O=${organisation}`,
      issuer: ca.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + LEAF_VALIDITY_DAYS * 86_400_000),
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
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
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    const certificatePath = join(options.dir, `${fileStem}.crt`);
    const privateKeyPath = join(options.dir, `${fileStem}.key`);
    const certificatePem = certificate.toString("pem");
    const privateKeyPem = await exportKey(keys.privateKey);
    await writeFile(certificatePath, certificatePem);
    await writePrivate(privateKeyPath, privateKeyPem);
    return { name, certificatePem, privateKeyPem, certificatePath, privateKeyPath };
  };

  const coordinator = await issue("coordinator", "coordinator");
  const satellites = new Map<string, IssuedCertificate>();
  for (const id of options.satelliteIds) satellites.set(id, await issue(`satellite:${id}`, `satellite-${id}`));
  return { caCertificatePath, caCertificatePem, coordinator, satellites };
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
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
