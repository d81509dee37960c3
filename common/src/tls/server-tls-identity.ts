import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Logger } from "../logger.js";
import { SentraError } from "../sentra-error.js";
import {
  checkServerTlsCertificate,
  loadServerTlsCertificate,
  type NamedFile,
  type ServerTlsCertificate,
  type ServerTlsFiles,
} from "./server-tls-certificate.js";
import { unreadableFileError } from "./tls-files.js";

/** What a reload of the files did: a new certificate taken into use, or a change refused. */
export type ServerTlsIdentityEvent =
  | { readonly kind: "rotated"; readonly certificate: ServerTlsCertificate; readonly previous: ServerTlsCertificate }
  /** The files changed but cannot be served (unreadable, half written, expired…); the current certificate stays. */
  | { readonly kind: "rejected"; readonly error: SentraError };

/**
 * A TLS server's certificate, kept in step with its files: what new connections are served, and
 * a feed of rotations for the servers (and metrics) to follow.
 */
export interface ServerTlsIdentity {
  /** The certificate new connections are served now. */
  current(): ServerTlsCertificate;
  /** Tells `listener` of every later rotation and refused change; returns its unsubscribe. */
  subscribe(listener: (event: ServerTlsIdentityEvent) => void): () => void;
  /** Reads the files now (the timer does so every interval); resolves once the outcome is told. */
  reload(): Promise<void>;
  /** Stops reading the files. */
  close(): void;
}

export interface ServerTlsIdentityOptions {
  files: ServerTlsFiles;
  /** How often the files are read again, in ms. */
  reloadIntervalMs: number;
  /** Rotations (info) and refused changes (warn): serial, fingerprint, expiry, paths — never the key. */
  logger: Logger;
  /** @default () => new Date() — the time certificates must be valid at. */
  clock?: () => Date;
}

/**
 * Loads a server certificate and key (synchronously: a wrong file fails the start, naming the
 * variable and the file), then reads both files again every `reloadIntervalMs` and takes a changed
 * pair into use once it passes the same checks.
 *
 * Polling rather than `fs.watch`: Kubernetes updates a mounted Secret by swapping a symlink of the
 * folder, which inotify watches on the files do not see, and a poll of two small files is cheap. A
 * pair that fails its checks — e.g. the certificate written and the key not yet — is refused and
 * the current certificate kept; it is logged once, and tried again at each interval.
 */
export function watchServerTlsIdentity(options: ServerTlsIdentityOptions): ServerTlsIdentity {
  const { files, logger } = options;
  const clock = options.clock ?? (() => new Date());
  let current = loadServerTlsCertificate(files, clock());
  const listeners = new Set<(event: ServerTlsIdentityEvent) => void>();
  /** What the last refusal was about (a content digest or an error), so each is logged once. */
  let lastRefused: string | undefined;
  let reading: Promise<void> | undefined;

  const tell = (event: ServerTlsIdentityEvent): void => {
    for (const listener of listeners) listener(event);
  };
  const refuse = (error: SentraError, about: string): void => {
    if (about === lastRefused) return;
    lastRefused = about;
    logger.warn(
      { err: error.message, serialNumber: current.serialNumber, notAfter: current.notAfter.toISOString() },
      "TLS certificate files changed but cannot be served: keeping the current certificate",
    );
    tell({ kind: "rejected", error });
  };
  const readOnce = async (): Promise<void> => {
    let certificatePem: Buffer;
    let privateKeyPem: Buffer;
    try {
      [certificatePem, privateKeyPem] = await Promise.all([readNamed(files.certificate), readNamed(files.key)]);
    } catch (error) {
      const refusal = SentraError.from(error);
      refuse(refusal, refusal.message);
      return;
    }
    if (certificatePem.equals(current.certificatePem) && privateKeyPem.equals(current.privateKeyPem)) {
      lastRefused = undefined;
      return;
    }
    const digest = createHash("sha256").update(certificatePem).update(privateKeyPem).digest("hex");
    if (digest === lastRefused) return;
    let next: ServerTlsCertificate;
    try {
      next = checkServerTlsCertificate(files, certificatePem, privateKeyPem, clock());
    } catch (error) {
      refuse(SentraError.from(error), digest);
      return;
    }
    const previous = current;
    current = next;
    lastRefused = undefined;
    logger.info(
      {
        serialNumber: next.serialNumber,
        fingerprint256: next.fingerprint256,
        notAfter: next.notAfter.toISOString(),
        previousSerialNumber: previous.serialNumber,
        files: { certificate: files.certificate.path, key: files.key.path },
      },
      "TLS certificate rotated: new connections get the new certificate",
    );
    tell({ kind: "rotated", certificate: next, previous });
  };
  const reload = (): Promise<void> => {
    reading ??= readOnce().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const timer = setInterval(() => void reload(), options.reloadIntervalMs);
  // The poll alone must not keep the process alive.
  timer.unref();

  return {
    current: () => current,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    reload,
    close: () => {
      clearInterval(timer);
      listeners.clear();
    },
  };
}

async function readNamed(file: NamedFile): Promise<Buffer> {
  try {
    return await readFile(file.path);
  } catch (error) {
    throw unreadableFileError(file.variable, file.path, error);
  }
}
