import { isIP } from "node:net";
import { z } from "zod";

/** @default 10000 — how often the API certificate files are read again for a renewed certificate (ms). */
export const DEFAULT_API_TLS_RELOAD_INTERVAL_MS = 10_000;

/**
 * How the automation API — CoordinatorService over gRPC, and the HTTP server (REST, dashboard,
 * Socket.IO, /metrics, /healthz) — is served: server-side TLS from a certificate and key that are
 * re-read as they are renewed, or plaintext (loopback binds, or an explicit flag).
 */
export type ApiTlsSettings =
  | {
      readonly mode: "tls";
      readonly certificateFile: string;
      readonly keyFile: string;
      readonly reloadIntervalMs: number;
    }
  | {
      readonly mode: "plaintext";
      /** True when `SENTRA_API_INSECURE=true` allowed it on an address other hosts can reach. */
      readonly exposed: boolean;
    };

/** An unset or blank variable is "not given" (a Helm value left empty renders as ""). */
const optionalPath = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

/** The environment variables of the API's transport security; spread into the coordinator's schema. */
export const API_TLS_ENVIRONMENT = {
  /** PEM certificate (chain) both API ports present; its SANs must name the host clients dial. */
  SENTRA_API_TLS_CERT_FILE: optionalPath,
  /** PEM private key of that certificate (PKCS#8, SEC1 or PKCS#1; not encrypted). */
  SENTRA_API_TLS_KEY_FILE: optionalPath,
  /** How often both files are read again (ms). @default 10000 */
  SENTRA_API_TLS_RELOAD_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(DEFAULT_API_TLS_RELOAD_INTERVAL_MS),
  /** `true`: plaintext API on a non-loopback address (behind a TLS-terminating proxy, or a trusted network). @default false */
  SENTRA_API_INSECURE: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
};

interface ApiTlsEnvironment {
  SENTRA_API_TLS_CERT_FILE?: string | undefined;
  SENTRA_API_TLS_KEY_FILE?: string | undefined;
  SENTRA_API_TLS_RELOAD_INTERVAL_MS: number;
  SENTRA_API_INSECURE: "true" | "false";
  SENTRA_GRPC_HOST: string;
  SENTRA_HTTP_HOST: string;
}

const FILE_VARIABLES = ["SENTRA_API_TLS_CERT_FILE", "SENTRA_API_TLS_KEY_FILE"] as const;
const HOST_VARIABLES = ["SENTRA_GRPC_HOST", "SENTRA_HTTP_HOST"] as const;

/**
 * Both files or neither; never the files and the insecure flag together (which was meant is
 * unclear); and without the files, only loopback binds — the API carries bearer tokens, so a port
 * other hosts can reach is plaintext only when `SENTRA_API_INSECURE=true` says so.
 */
export function checkApiTlsEnvironment(env: ApiTlsEnvironment, context: z.RefinementCtx): void {
  const given = FILE_VARIABLES.filter((variable) => env[variable] !== undefined);
  if (given.length === 1) {
    const missing = FILE_VARIABLES.find((variable) => env[variable] === undefined);
    context.addIssue({
      code: "custom",
      path: [missing ?? ""],
      message: `required with ${given[0]}: the API's TLS needs the certificate and its key`,
    });
    return;
  }
  if (env.SENTRA_API_INSECURE === "true") {
    if (given.length > 0) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_API_INSECURE"],
        message:
          "a plaintext API was asked for, but SENTRA_API_TLS_CERT_FILE and SENTRA_API_TLS_KEY_FILE are set too: " +
          "unset SENTRA_API_INSECURE to serve TLS, or unset the files",
      });
    }
    return;
  }
  if (given.length > 0) return;
  for (const variable of HOST_VARIABLES) {
    if (isLoopbackHost(env[variable])) continue;
    context.addIssue({
      code: "custom",
      path: [variable],
      message:
        `${JSON.stringify(env[variable])} is not a loopback address, and the API would carry API tokens in clear: ` +
        "set SENTRA_API_TLS_CERT_FILE and SENTRA_API_TLS_KEY_FILE to serve TLS, or SENTRA_API_INSECURE=true for " +
        "plaintext (behind a TLS-terminating proxy or on a trusted network only; docs/security.md)",
    });
  }
}

/** The settings of a parsed environment that passed `checkApiTlsEnvironment`. */
export function apiTlsSettingsOf(env: ApiTlsEnvironment): ApiTlsSettings {
  const { SENTRA_API_TLS_CERT_FILE: certificateFile, SENTRA_API_TLS_KEY_FILE: keyFile } = env;
  if (certificateFile !== undefined && keyFile !== undefined) {
    return { mode: "tls", certificateFile, keyFile, reloadIntervalMs: env.SENTRA_API_TLS_RELOAD_INTERVAL_MS };
  }
  return {
    mode: "plaintext",
    exposed: HOST_VARIABLES.some((variable) => !isLoopbackHost(env[variable])),
  };
}

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) and
 * `localhost`. A wildcard (0.0.0.0, ::, "") or any other name is not: what a name resolves to is
 * not this check's to know.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase();
  if (bare === "localhost" || bare === "localhost.") return true;
  switch (isIP(bare)) {
    case 4:
      return bare.startsWith("127.");
    case 6:
      return bare === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./.test(bare);
    default:
      return false;
  }
}
