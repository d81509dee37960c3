import type { X509Certificate } from "node:crypto";
import { certificatesOf, checkValidNow, privateKeyOf, readPemFile, tlsFileError } from "./tls-files.js";

/** A PEM file and the environment variable that names it (the variable is what errors name). */
export interface NamedFile {
  readonly variable: string;
  readonly path: string;
}

/** Where a TLS server's certificate (chain) and private key are kept. */
export interface ServerTlsFiles {
  readonly certificate: NamedFile;
  readonly key: NamedFile;
}

/**
 * A TLS server certificate that passed its checks: the PEM bytes to serve, and what may be logged
 * or exported about it (never the key).
 */
export interface ServerTlsCertificate {
  /** PEM certificate (chain), leaf first. */
  readonly certificatePem: Buffer;
  /** PEM private key of the leaf. Never log it. */
  readonly privateKeyPem: Buffer;
  /** The leaf's serial number (hex, as OpenSSL prints it). */
  readonly serialNumber: string;
  /** SHA-256 fingerprint of the leaf (`AB:CD:…`). */
  readonly fingerprint256: string;
  readonly notAfter: Date;
}

/**
 * Checks a certificate and key as a TLS server would serve them: both PEM, the key the leaf's, the
 * leaf valid at `now`. No name is required: clients check the host names (SANs) themselves.
 */
export function checkServerTlsCertificate(
  files: ServerTlsFiles,
  certificatePem: Buffer,
  privateKeyPem: Buffer,
  now: Date = new Date(),
): ServerTlsCertificate {
  const { certificate, key } = files;
  const leaf = certificatesOf(certificate.variable, certificate.path, certificatePem)[0] as X509Certificate;
  const privateKey = privateKeyOf(key.variable, key.path, privateKeyPem);
  if (!leaf.checkPrivateKey(privateKey)) {
    throw tlsFileError(
      key.variable,
      key.path,
      `is not the private key of the certificate in ${certificate.variable} (${certificate.path})`,
    );
  }
  checkValidNow(certificate.variable, certificate.path, leaf, now);
  return {
    certificatePem,
    privateKeyPem,
    serialNumber: leaf.serialNumber,
    fingerprint256: leaf.fingerprint256,
    notAfter: new Date(leaf.validTo),
  };
}

/** Reads and checks the two files (see checkServerTlsCertificate); errors name the variable and the file. */
export function loadServerTlsCertificate(files: ServerTlsFiles, now: Date = new Date()): ServerTlsCertificate {
  return checkServerTlsCertificate(
    files,
    readPemFile(files.certificate.variable, files.certificate.path),
    readPemFile(files.key.variable, files.key.path),
    now,
  );
}
