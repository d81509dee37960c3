import { readFileSync } from "node:fs";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import { CoordinatorService, createServiceClient, type ServiceClient } from "@sentra/proto";

/** Global options every client command shares (flags override the environment). */
export interface ConnectionOptions {
  /** @default SENTRA_COORDINATOR or 127.0.0.1:50051 */
  coordinator?: string;
  /** @default SENTRA_TOKEN */
  token?: string;
  /** CA certificate to verify the coordinator's TLS certificate; unset means plaintext. */
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
  const token = options.token ?? env.SENTRA_TOKEN;
  const caPath = options.ca ?? env.SENTRA_TLS_CA;
  const channelCredentials: ChannelCredentials = caPath
    ? credentials.createSsl(readFileSync(caPath))
    : credentials.createInsecure();
  const client = createServiceClient(CoordinatorService, address, channelCredentials, { defaultTimeoutMs: 10_000 });
  return {
    client,
    metadata: token ? { authorization: `Bearer ${token}` } : {},
    close: () => client.close(),
  };
}
