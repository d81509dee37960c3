import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { SentraError } from "../sentra-error.js";

/**
 * Reading and checking PEM files named by environment variables. Every error names the variable
 * and the file, never their contents: a parser's complaint could quote a key.
 */

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Reads `path` (named by `variable`) whole. */
export function readPemFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadableFileError(variable, path, error);
  }
}

/** The error of a file that cannot be read: its errno code, not its contents. */
export function unreadableFileError(variable: string, path: string, error: unknown): SentraError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return tlsFileError(variable, path, `cannot be read (${reason})`, error);
}

/** Every PEM certificate in `pem`, in order; at least one. */
export function certificatesOf(variable: string, path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString("utf8").match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw tlsFileError(variable, path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw tlsFileError(variable, path, `certificate ${index + 1} is not a valid X.509 certificate`, error);
    }
  });
}

/** The unencrypted private key in `pem` (PKCS#8, SEC1 or PKCS#1). */
export function privateKeyOf(variable: string, path: string, pem: Buffer): KeyObject {
  if (!PEM_PRIVATE_KEY.test(pem.toString("utf8"))) {
    throw tlsFileError(variable, path, "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  try {
    return createPrivateKey(pem);
  } catch (error) {
    // The cause stays out of the message: a parser's complaint could quote the key.
    throw tlsFileError(variable, path, "holds a private key that cannot be parsed (or is encrypted)", error);
  }
}

/** Refuses a certificate outside its validity window at `now`. */
export function checkValidNow(variable: string, path: string, certificate: X509Certificate, now: Date): void {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (now < notBefore || now > notAfter) {
    throw tlsFileError(
      variable,
      path,
      `holds a certificate valid only from ${notBefore.toISOString()} to ${notAfter.toISOString()}: issue a new one`,
    );
  }
}

/** `${variable}: ${path} ${problem}`, with the variable as the error's field. */
export function tlsFileError(variable: string, path: string, problem: string, cause?: unknown): SentraError {
  return new SentraError("FAILED_PRECONDITION", `${variable}: ${path} ${problem}`, {
    field: variable,
    ...(cause === undefined ? {} : { cause }),
  });
}
