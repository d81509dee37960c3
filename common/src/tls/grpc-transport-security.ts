import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "../logger.js";
import { SentraError } from "../sentra-error.js";
import type { GrpcTlsSettings } from "./grpc-tls-settings.js";

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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

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
  const caPem = readPem("SENTRA_TLS_CA_FILE", settings.caFile);
  const certificatePem = readPem("SENTRA_TLS_CERT_FILE", settings.certificateFile);
  const privateKeyPem = readPem("SENTRA_TLS_KEY_FILE", settings.keyFile);

  const cas = certificatesOf("SENTRA_TLS_CA_FILE", settings.caFile, caPem);
  const chain = certificatesOf("SENTRA_TLS_CERT_FILE", settings.certificateFile, certificatePem);
  const leaf = chain[0] as X509Certificate;
  const privateKey = privateKeyOf(settings.keyFile, privateKeyPem);
  if (!leaf.checkPrivateKey(privateKey)) {
    throw fileError(
      "SENTRA_TLS_KEY_FILE",
      settings.keyFile,
      `is not the private key of the certificate in SENTRA_TLS_CERT_FILE (${settings.certificateFile})`,
    );
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore || now > notAfter) {
    throw fileError(
      "SENTRA_TLS_CERT_FILE",
      settings.certificateFile,
      `holds a certificate valid only from ${notBefore.toISOString()} to ${notAfter.toISOString()}: issue a new one`,
    );
  }
  const commonName = commonNameOf(leaf);
  if (commonName !== expectedCommonName) {
    throw fileError(
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

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw fileError(variable, path, `cannot be read (${reason})`, error);
  }
}

function certificatesOf(variable: string, path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString("utf8").match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw fileError(variable, path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw fileError(variable, path, `certificate ${index + 1} is not a valid X.509 certificate`, error);
    }
  });
}

function privateKeyOf(path: string, pem: Buffer): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem.toString("utf8"))) {
    throw fileError("SENTRA_TLS_KEY_FILE", path, "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  try {
    return createPrivateKey(pem);
  } catch (error) {
    // The cause stays out of the message: a parser's complaint could quote the key.
    throw fileError("SENTRA_TLS_KEY_FILE", path, "holds a private key that cannot be parsed (or is encrypted)", error);
  }
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

function fileError(variable: string, path: string, problem: string, cause?: unknown): SentraError {
  return new SentraError("FAILED_PRECONDITION", `${variable}: ${path} ${problem}`, {
    field: variable,
    ...(cause === undefined ? {} : { cause }),
  });
}
