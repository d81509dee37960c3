import { SentraError } from "@sentra/common";
import { Liveness, type Rollout, type Satellite, type TrafficRouterKind } from "@sentra/proto";
import type { EstateStore } from "../estate/estate-store.js";
import type { SatelliteClientPool } from "../estate/satellite-client-pool.js";

/** @default 10000 — deadline of the calls that move traffic (start, promote, abort). */
export const ROLLOUT_COMMAND_TIMEOUT_MS = 10_000;
/** @default 3000 — deadline of a read of one rollout. */
export const ROLLOUT_READ_TIMEOUT_MS = 3_000;

/** What the coordinator asks a satellite to start: one satellite-level rollout. */
export interface SatelliteRolloutStart {
  readonly rolloutId: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly service: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
  readonly policyYaml: string;
  readonly trafficRouter: TrafficRouterKind;
  readonly routeName: string;
  readonly parentId: string;
}

/** Port: the SatelliteService rollout calls, each with a deadline. */
export interface RolloutSatelliteGateway {
  start(satelliteId: string, start: SatelliteRolloutStart): Promise<{ rollout: Rollout; replayed: boolean }>;
  get(satelliteId: string, rolloutId: string): Promise<Rollout>;
  promote(satelliteId: string, rolloutId: string, full: boolean, actor: string): Promise<Rollout>;
  abort(satelliteId: string, rolloutId: string, reason: string, actor: string): Promise<Rollout>;
}

/**
 * SatelliteService over gRPC; the endpoint is the one in the satellite's last heartbeat. A
 * satellite the estate does not know, or one that went stale, is UNAVAILABLE: a wave waits for it
 * (up to the dispatch timeout) rather than failing at once.
 */
export class GrpcRolloutSatelliteGateway implements RolloutSatelliteGateway {
  constructor(
    private readonly estate: EstateStore,
    private readonly clients: SatelliteClientPool,
  ) {}

  async start(satelliteId: string, start: SatelliteRolloutStart): Promise<{ rollout: Rollout; replayed: boolean }> {
    const client = await this.client(satelliteId);
    const response = await client.startRollout({ ...start }, { timeoutMs: ROLLOUT_COMMAND_TIMEOUT_MS });
    return { rollout: required(response.rollout, satelliteId, "StartRollout"), replayed: response.replayed };
  }

  async get(satelliteId: string, rolloutId: string): Promise<Rollout> {
    const client = await this.client(satelliteId);
    const response = await client.getRollout({ rolloutId }, { timeoutMs: ROLLOUT_READ_TIMEOUT_MS });
    return required(response.rollout, satelliteId, "GetRollout");
  }

  async promote(satelliteId: string, rolloutId: string, full: boolean, actor: string): Promise<Rollout> {
    const client = await this.client(satelliteId);
    const response = await client.promoteRollout({ rolloutId, full, actor }, { timeoutMs: ROLLOUT_COMMAND_TIMEOUT_MS });
    return required(response.rollout, satelliteId, "PromoteRollout");
  }

  async abort(satelliteId: string, rolloutId: string, reason: string, actor: string): Promise<Rollout> {
    const client = await this.client(satelliteId);
    const response = await client.abortRollout({ rolloutId, reason, actor }, { timeoutMs: ROLLOUT_COMMAND_TIMEOUT_MS });
    return required(response.rollout, satelliteId, "AbortRollout");
  }

  private async client(satelliteId: string) {
    const satellite = await this.satellite(satelliteId);
    return this.clients.get(satellite.id, satellite.grpcEndpoint);
  }

  private async satellite(satelliteId: string): Promise<Satellite> {
    const satellite = await this.estate.satellite(satelliteId, Date.now());
    if (!satellite?.grpcEndpoint) {
      throw new SentraError("UNAVAILABLE", `satellite ${satelliteId} is not known to the coordinator (no heartbeat)`);
    }
    if (satellite.liveness !== Liveness.LIVE) {
      throw new SentraError("UNAVAILABLE", `satellite ${satelliteId} is stale (missed its heartbeats)`);
    }
    return satellite;
  }
}

function required(rollout: Rollout | undefined, satelliteId: string, method: string): Rollout {
  if (!rollout) throw new SentraError("INTERNAL", `satellite ${satelliteId} answered ${method} without a rollout`);
  return rollout;
}
