import type { X509Certificate } from "node:crypto";
import type { Logger } from "../logger.js";
import type { GrpcTlsSettings } from "./grpc-tls-settings.js";
import { certificatesOf, checkValidNow, privateKeyOf, readPemFile, tlsFileError } from "./tls-files.js";

/**
 * The transport security a process runs its gRPC links with, read from the configured files and
 * checked at start-up: PEM bytes for grpc-js, and what may be logged about them (never the key).
 */
export type GrpcTransportSecurity =
  | {
      readonly mode: "mtls";
      /** PEM CA certificate(s) peers must chain to. */
      readonly caPem: Buffer;
      /** PEM certificate (chain) this process presents. */
      readonly certificatePem: Buffer;
      /** PEM private key of that certificate. Never log it. */
      readonly privateKeyPem: Buffer;
      /** The common name of this process's own certificate. */
      readonly commonName: string;
      /** When this process's certificate expires. */
      readonly notAfter: Date;
      readonly files: { readonly ca: string; readonly certificate: string; readonly key: string };
    }
  | { readonly mode: "insecure" };

/**
 * Reads and checks the TLS files once, at start-up, so a wrong file fails the start with an error
 * naming the variable and the file rather than as refused handshakes later: each file readable and
 * PEM, the key the certificate's, the certificate valid now and named `expectedCommonName`.
 * Logs the outcome once: the certificate's name and expiry (mTLS), or a warning (plaintext).
 */
export function loadGrpcTransportSecurity(
  settings: GrpcTlsSettings,
  expectedCommonName: string,
  logger: Logger,
  now: Date = new Date(),
): GrpcTransportSecurity {
  if (settings.mode === "insecure") {
    logger.warn(
      { grpcTransport: "insecure", variable: "SENTRA_GRPC_INSECURE" },
      "gRPC between the coordinator and satellites is PLAINTEXT: no encryption and no peer authentication " +
        "(SENTRA_GRPC_INSECURE=true). Development only: set SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE and SENTRA_TLS_KEY_FILE instead",
    );
    return { mode: "insecure" };
  }
  const caPem = readPemFile("SENTRA_TLS_CA_FILE", settings.caFile);
  const certificatePem = readPemFile("SENTRA_TLS_CERT_FILE", settings.certificateFile);
  const privateKeyPem = readPemFile("SENTRA_TLS_KEY_FILE", settings.keyFile);

  const cas = certificatesOf("SENTRA_TLS_CA_FILE", settings.caFile, caPem);
  const chain = certificatesOf("SENTRA_TLS_CERT_FILE", settings.certificateFile, certificatePem);
  const leaf = chain[0] as X509Certificate;
  const privateKey = privateKeyOf("SENTRA_TLS_KEY_FILE", settings.keyFile, privateKeyPem);
  if (!leaf.checkPrivateKey(privateKey)) {
    throw tlsFileError(
      "SENTRA_TLS_KEY_FILE",
      settings.keyFile,
      `is not the private key of the certificate in SENTRA_TLS_CERT_FILE (${settings.certificateFile})`,
    );
  }
  checkValidNow("SENTRA_TLS_CERT_FILE", settings.certificateFile, leaf, now);
  const notAfter = new Date(leaf.validTo);
  const commonName = commonNameOf(leaf);
  if (commonName !== expectedCommonName) {
    throw tlsFileError(
      "SENTRA_TLS_CERT_FILE",
      settings.certificateFile,
      `holds a certificate for CN=${commonName ?? "(none)"}, but this process must present CN=${expectedCommonName} ` +
        "(peers check the name)",
    );
  }
  const files = { ca: settings.caFile, certificate: settings.certificateFile, key: settings.keyFile };
  const trusted = chainsTo(chain, cas);
  logger.info(
    { grpcTransport: "mtls", commonName, notAfter: notAfter.toISOString(), caCertificates: cas.length, files },
    "gRPC transport: mutual TLS",
  );
  if (!trusted) {
    // Not fatal: a deployment may trust one CA for its peers and hold a certificate from another.
    logger.warn(
      { files },
      "this process's certificate does not chain to a CA in SENTRA_TLS_CA_FILE: peers that trust only that CA will refuse it",
    );
  }
  return { mode: "mtls", caPem, certificatePem, privateKeyPem, commonName, notAfter, files };
}

/** True when each certificate of the chain is signed by the next, and the last by one of `cas`. */
function chainsTo(chain: readonly X509Certificate[], cas: readonly X509Certificate[]): boolean {
  for (let index = 0; index + 1 < chain.length; index++) {
    const [child, parent] = [chain[index] as X509Certificate, chain[index + 1] as X509Certificate];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) return false;
  }
  const last = chain.at(-1) as X509Certificate;
  return cas.some(
    (ca) => last.fingerprint256 === ca.fingerprint256 || (last.checkIssued(ca) && last.verify(ca.publicKey)),
  );
}

/** The first CN of a certificate's subject (`CN=coordinator\nO=…`). */
export function commonNameOf(certificate: X509Certificate): string | undefined {
  for (const line of certificate.subject.split("\n")) {
    if (line.startsWith("CN=")) return line.slice(3);
  }
  return undefined;
}
