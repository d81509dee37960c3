import type { Server as HttpsServer } from "node:https";
import { type Logger, type ServerTlsIdentity, watchServerTlsIdentity } from "@sentra/common";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ApiTlsSettings } from "../config/api-tls-settings.js";

/**
 * How both API ports are served, opened at start: TLS with a certificate that follows its files,
 * or plaintext. The gRPC server and the HTTP server take their credentials from here.
 */
export type ApiTransport =
  | { readonly mode: "tls"; readonly identity: ServerTlsIdentity }
  | { readonly mode: "plaintext"; readonly exposed: boolean };

/**
 * Loads the API certificate (a wrong file fails the start, naming the variable and the file) and
 * starts following its files; logs the outcome once — certificate serial and expiry, or a warning
 * for a plaintext API other hosts can reach. `close()` stops following.
 */
export function openApiTransport(settings: ApiTlsSettings, logger: Logger): ApiTransport & { close(): void } {
  if (settings.mode === "plaintext") {
    if (settings.exposed) {
      logger.warn(
        { apiTransport: "plaintext", variable: "SENTRA_API_INSECURE" },
        "the API (gRPC and HTTP) is PLAINTEXT on a non-loopback address: API tokens travel in clear " +
          "(SENTRA_API_INSECURE=true). Set SENTRA_API_TLS_CERT_FILE and SENTRA_API_TLS_KEY_FILE unless a TLS proxy is in front",
      );
    } else {
      logger.info({ apiTransport: "plaintext" }, "API transport: plaintext on loopback");
    }
    return { mode: "plaintext", exposed: settings.exposed, close: () => {} };
  }
  const files = {
    certificate: { variable: "SENTRA_API_TLS_CERT_FILE", path: settings.certificateFile },
    key: { variable: "SENTRA_API_TLS_KEY_FILE", path: settings.keyFile },
  };
  const identity = watchServerTlsIdentity({
    files,
    reloadIntervalMs: settings.reloadIntervalMs,
    logger: logger.child({ apiTransport: "tls" }),
  });
  const certificate = identity.current();
  logger.info(
    {
      apiTransport: "tls",
      serialNumber: certificate.serialNumber,
      notAfter: certificate.notAfter.toISOString(),
      files: { certificate: settings.certificateFile, key: settings.keyFile },
      reloadIntervalMs: settings.reloadIntervalMs,
    },
    "API transport: TLS (gRPC and HTTP)",
  );
  return { mode: "tls", identity, close: () => identity.close() };
}

/** What Nest's HTTP server is created with: the current certificate, or nothing (plain HTTP). */
export function httpsOptionsOf(transport: ApiTransport): { cert: Buffer; key: Buffer } | undefined {
  if (transport.mode === "plaintext") return undefined;
  const { certificatePem, privateKeyPem } = transport.identity.current();
  return { cert: certificatePem, key: privateKeyPem };
}

/** Serves each rotated certificate to the HTTPS server's new connections; returns the unsubscribe. */
export function followCertificateRotations(server: HttpsServer, identity: ServerTlsIdentity): () => void {
  return identity.subscribe((event) => {
    if (event.kind !== "rotated") return;
    server.setSecureContext({ cert: event.certificate.certificatePem, key: event.certificate.privateKeyPem });
  });
}

/**
 * The API certificate's expiry (updated on rotation) and the outcome of each change of its files;
 * nothing in plaintext.
 */
export function registerApiTlsMetrics(transport: ApiTransport, registry: Registry): void {
  if (transport.mode === "plaintext") return;
  const expiry = new Gauge({
    name: "sentra_coordinator_api_tls_certificate_expiry_timestamp_seconds",
    help: "When the certificate the API (gRPC and HTTP) serves expires (Unix time): alert well before it",
    registers: [registry],
  });
  const reloads = new Counter({
    name: "sentra_coordinator_api_tls_reloads_total",
    help: "Changes of the API certificate files: rotated (in use), or rejected (the current certificate stays)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  expiry.set(transport.identity.current().notAfter.getTime() / 1000);
  for (const outcome of ["rotated", "rejected"]) reloads.inc({ outcome }, 0);
  transport.identity.subscribe((event) => {
    reloads.inc({ outcome: event.kind });
    if (event.kind === "rotated") expiry.set(event.certificate.notAfter.getTime() / 1000);
  });
}
