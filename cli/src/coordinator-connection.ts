import { readFileSync } from "node:fs";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import { SentraError } from "@sentra/common";
import { CoordinatorService, createServiceClient, type ServiceClient } from "@sentra/proto";

/** @default ".sentra/admin-token" — the file the coordinator writes its bootstrap admin token to, relative to the working directory. */
export const DEFAULT_TOKEN_FILE = ".sentra/admin-token";

/** Global options every client command shares (flags override the environment). */
export interface ConnectionOptions {
  /** @default SENTRA_COORDINATOR or 127.0.0.1:50051 */
  coordinator?: string;
  /** @default SENTRA_TOKEN, else the content of `tokenFile` */
  token?: string;
  /** @default SENTRA_TOKEN_FILE or DEFAULT_TOKEN_FILE (skipped when absent) */
  tokenFile?: string;
  /** @default SENTRA_TLS_CA — CA certificate (PEM) to verify the coordinator's TLS certificate; unset means plaintext. */
  ca?: string;
}

/** A CoordinatorService client and the metadata every call sends (the bearer token). */
export interface CoordinatorConnection {
  client: ServiceClient<typeof CoordinatorService>;
  metadata: Record<string, string>;
  close(): void;
}

export function connectToCoordinator(options: ConnectionOptions, env = process.env): CoordinatorConnection {
  const address = options.coordinator ?? env.SENTRA_COORDINATOR ?? "127.0.0.1:50051";
  const token = resolveToken(options, env);
  const caPath = options.ca ?? env.SENTRA_TLS_CA;
  const channelCredentials: ChannelCredentials = caPath
    ? credentials.createSsl(readCaCertificate(caPath))
    : credentials.createInsecure();
  const metadata: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const client = createServiceClient(CoordinatorService, address, channelCredentials, {
    defaultTimeoutMs: 10_000,
    metadata,
  });
  return { client, metadata, close: () => client.close() };
}

/** The PEM CA certificate(s) in `path`; an unreadable file is a usage error naming --ca. */
function readCaCertificate(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SentraError("INVALID_ARGUMENT", `cannot read the CA certificate ${path}: ${(error as Error).message}`, {
      field: "--ca",
      cause: error,
    });
  }
}

/**
 * The API token to send: `--token`, else `SENTRA_TOKEN`, else the token file (`--token-file`,
 * `SENTRA_TOKEN_FILE`, or `.sentra/admin-token` — the coordinator's own, on its machine). A file
 * named explicitly must exist; the default one may be absent (the call then goes without a token
 * and the coordinator says UNAUTHENTICATED).
 */
export function resolveToken(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  // An empty variable counts as unset.
  const given = options.token || env.SENTRA_TOKEN;
  if (given) return given.trim();
  const explicitFile = options.tokenFile || env.SENTRA_TOKEN_FILE || undefined;
  const file = explicitFile ?? DEFAULT_TOKEN_FILE;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (explicitFile === undefined && code === "ENOENT") return undefined;
    throw new SentraError("INVALID_ARGUMENT", `cannot read the token file ${file}: ${(error as Error).message}`, {
      field: "--token-file",
      cause: error,
    });
  }
}
