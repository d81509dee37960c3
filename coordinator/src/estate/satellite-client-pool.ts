import { type GrpcTransportSecurity, satelliteCommonName } from "@sentra/common";
import {
  createPeerChannelCredentials,
  createServiceClient,
  SatelliteService,
  type ServerIdentityRefusal,
  type ServiceClient,
} from "@sentra/proto";

/** @default 3000 — satellite calls answer from caches; a slow one must not stall the estate. */
export const SATELLITE_CALL_TIMEOUT_MS = 3_000;

/** How the coordinator reaches satellites: its transport security, and who hears of impostors. */
export interface SatelliteTransport {
  readonly security: GrpcTransportSecurity;
  /** Told when a satellite's certificate names someone else (count and log it). */
  readonly onIdentityRefused?: (satelliteId: string, refusal: ServerIdentityRefusal) => void;
}

/**
 * One gRPC channel per satellite and endpoint, reused across calls. Over mTLS each channel accepts
 * only a certificate naming the satellite it was opened for (`satellite:<id>`), so a satellite that
 * advertises another's endpoint — or answers at it — is refused at the handshake.
 */
export class SatelliteClientPool {
  private readonly clients = new Map<string, ServiceClient<typeof SatelliteService>>();

  constructor(private readonly transport: SatelliteTransport) {}

  /** The client for satellite `satelliteId` at `endpoint` (`host:port`, from its heartbeat). */
  get(satelliteId: string, endpoint: string): ServiceClient<typeof SatelliteService> {
    const key = `${satelliteId}@${endpoint}`;
    let client = this.clients.get(key);
    if (!client) {
      const channelCredentials = createPeerChannelCredentials(
        this.transport.security,
        satelliteCommonName(satelliteId),
        (refusal) => this.transport.onIdentityRefused?.(satelliteId, refusal),
      );
      client = createServiceClient(SatelliteService, endpoint, channelCredentials, {
        defaultTimeoutMs: SATELLITE_CALL_TIMEOUT_MS,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
