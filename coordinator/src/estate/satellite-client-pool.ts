import { credentials } from "@grpc/grpc-js";
import { createServiceClient, SatelliteService, type ServiceClient } from "@sentra/proto";

/** @default 3000 — satellite calls answer from caches; a slow one must not stall the estate. */
export const SATELLITE_CALL_TIMEOUT_MS = 3_000;

/** One gRPC channel per satellite endpoint, reused across calls. */
export class SatelliteClientPool {
  private readonly clients = new Map<string, ServiceClient<typeof SatelliteService>>();

  get(endpoint: string): ServiceClient<typeof SatelliteService> {
    let client = this.clients.get(endpoint);
    if (!client) {
      client = createServiceClient(SatelliteService, endpoint, credentials.createInsecure(), {
        defaultTimeoutMs: SATELLITE_CALL_TIMEOUT_MS,
      });
      this.clients.set(endpoint, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
