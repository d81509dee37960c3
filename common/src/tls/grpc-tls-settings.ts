import { z } from "zod";

/**
 * How the gRPC links between the coordinator and the satellites are secured, as configured:
 * mutual TLS from three PEM files (the default, and required), or plaintext behind an explicit
 * `SENTRA_GRPC_INSECURE=true`.
 */
export type GrpcTlsSettings =
  | { readonly mode: "mtls"; readonly caFile: string; readonly certificateFile: string; readonly keyFile: string }
  | { readonly mode: "insecure" };

/** The three file variables, in the order they are reported. */
export const GRPC_TLS_FILE_VARIABLES = ["SENTRA_TLS_CA_FILE", "SENTRA_TLS_CERT_FILE", "SENTRA_TLS_KEY_FILE"] as const;

/** An unset or blank variable is "not given" (a Helm value left empty renders as ""). */
const optionalPath = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

/**
 * The environment variables of gRPC transport security, the same in the coordinator and the
 * satellite; spread into a component's config schema and check it with `checkGrpcTlsEnvironment`.
 */
export const GRPC_TLS_ENVIRONMENT = {
  /** PEM CA certificate(s) a peer's certificate must chain to (several: during a CA rotation). */
  SENTRA_TLS_CA_FILE: optionalPath,
  /** PEM certificate (chain) this process presents. */
  SENTRA_TLS_CERT_FILE: optionalPath,
  /** PEM private key of that certificate (PKCS#8 or SEC1/PKCS#1). */
  SENTRA_TLS_KEY_FILE: optionalPath,
  /** `true`: plaintext gRPC, no peer authentication — development on a trusted machine only. @default false */
  SENTRA_GRPC_INSECURE: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
};

export type GrpcTlsEnvironment = {
  SENTRA_TLS_CA_FILE?: string | undefined;
  SENTRA_TLS_CERT_FILE?: string | undefined;
  SENTRA_TLS_KEY_FILE?: string | undefined;
  SENTRA_GRPC_INSECURE: "true" | "false";
};

/**
 * Secure by default: either all three files, or the insecure flag — never neither (the process
 * refuses to start, naming the variables), never both (which one was meant is unclear).
 */
export function checkGrpcTlsEnvironment(env: GrpcTlsEnvironment, context: z.RefinementCtx): void {
  const given = GRPC_TLS_FILE_VARIABLES.filter((variable) => env[variable] !== undefined);
  if (env.SENTRA_GRPC_INSECURE === "true") {
    if (given.length > 0) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_GRPC_INSECURE"],
        message: `plaintext was asked for, but ${given.join(", ")} ${given.length > 1 ? "are" : "is"} set too: unset SENTRA_GRPC_INSECURE to use mTLS, or unset the files`,
      });
    }
    return;
  }
  if (given.length === 0) {
    context.addIssue({
      code: "custom",
      path: [GRPC_TLS_FILE_VARIABLES.join(", ")],
      message:
        "required: gRPC between the coordinator and satellites is mutual TLS. Set the CA, certificate and key files " +
        "(`sentra certs init` makes development ones), or SENTRA_GRPC_INSECURE=true for plaintext (development only)",
    });
    return;
  }
  for (const variable of GRPC_TLS_FILE_VARIABLES) {
    if (env[variable] !== undefined) continue;
    context.addIssue({
      code: "custom",
      path: [variable],
      message: `required with ${given.join(" and ")}: mTLS needs all three files`,
    });
  }
}

/** The settings of a parsed environment that passed `checkGrpcTlsEnvironment`. */
export function grpcTlsSettingsOf(env: GrpcTlsEnvironment): GrpcTlsSettings {
  if (env.SENTRA_GRPC_INSECURE === "true") return { mode: "insecure" };
  const { SENTRA_TLS_CA_FILE: caFile, SENTRA_TLS_CERT_FILE: certificateFile, SENTRA_TLS_KEY_FILE: keyFile } = env;
  if (caFile === undefined || certificateFile === undefined || keyFile === undefined) {
    throw new Error("grpcTlsSettingsOf: the environment was not checked with checkGrpcTlsEnvironment");
  }
  return { mode: "mtls", caFile, certificateFile, keyFile };
}
