import { SentraError } from "@sentra/common";
import { Liveness } from "@sentra/proto";
import { EstateStore } from "../estate/estate-store.js";
import { SatelliteClientPool } from "../estate/satellite-client-pool.js";

/** One copy of a workload: a Deployment in one cluster of one satellite. */
export interface WorkloadLocation {
  readonly satelliteId: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
}

/** Replica counts of a Deployment as its cluster reports them. */
export interface ReplicaStatus {
  readonly desired: number;
  readonly ready: number;
}

/** The result of a scale command. */
export interface ScaleResult extends ReplicaStatus {
  readonly previous: number;
  /** The satellite had already applied this idempotency key; nothing changed. */
  readonly replayed: boolean;
}

/** Per-call limits: every call has a deadline and can be cancelled. */
export interface GatewayCallOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /**
   * The saga's fencing token (its workload lock's): a mutating call carries it, and the satellite
   * refuses it once it saw a newer token of this estate. Unset: not fenced.
   */
  readonly fencingToken?: number;
}

/** What the saga asks of satellites (adapter: SatelliteService over gRPC). */
export interface SatelliteGateway {
  getWorkload(location: WorkloadLocation, options: GatewayCallOptions): Promise<ReplicaStatus>;
  /**
   * Sets desired replicas, idempotent per `idempotencyKey`; refused with FAILED_PRECONDITION (details
   * `actual`, `expected`) unless the Deployment has `expectedReplicas` desired replicas.
   */
  scaleWorkload(
    location: WorkloadLocation,
    replicas: number,
    idempotencyKey: string,
    expectedReplicas: number,
    options: GatewayCallOptions,
  ): Promise<ScaleResult>;
  /**
   * True when the estate holds the satellite as live (its heartbeats arrive), judged now from the
   * shared record (Redis), not from the satellite's own answer: the saga's independent check before
   * it scales a source down.
   */
  isLive(satelliteId: string): Promise<boolean>;
  /** Releases connections (after the last saga stopped). */
  close?(): void;
}

/**
 * SatelliteService over gRPC: the endpoint comes from the estate (the satellite's last heartbeat,
 * live or stale, so a satellite that just missed a heartbeat is still tried). An unknown satellite
 * is UNAVAILABLE: it may come back within the saga's deadline. Its own channel pool, closed after
 * the sagas stopped (`close`), so shutting the estate's pool down never cuts a saga's call.
 */
export class GrpcSatelliteGateway implements SatelliteGateway {
  constructor(
    private readonly store: EstateStore,
    private readonly clients: SatelliteClientPool,
    /** The estate fencing tokens belong to (the Redis key prefix their counter lives under). */
    private readonly fencingScope: string,
  ) {}

  async getWorkload(location: WorkloadLocation, options: GatewayCallOptions): Promise<ReplicaStatus> {
    const client = await this.client(location.satelliteId);
    const response = await client.getWorkload({ workload: location }, callOptions(options));
    return {
      desired: response.workload?.desiredReplicas ?? 0,
      ready: response.workload?.readyReplicas ?? 0,
    };
  }

  async isLive(satelliteId: string): Promise<boolean> {
    return (await this.store.satellite(satelliteId, Date.now()))?.liveness === Liveness.LIVE;
  }

  async scaleWorkload(
    location: WorkloadLocation,
    replicas: number,
    idempotencyKey: string,
    expectedReplicas: number,
    options: GatewayCallOptions,
  ): Promise<ScaleResult> {
    const client = await this.client(location.satelliteId);
    const response = await client.scaleWorkload(
      {
        workload: location,
        replicas,
        idempotencyKey,
        expectedReplicas,
        fencingToken: BigInt(options.fencingToken ?? 0),
        fencingScope: this.fencingScope,
      },
      callOptions(options),
    );
    return {
      desired: response.workload?.desiredReplicas ?? replicas,
      ready: response.workload?.readyReplicas ?? 0,
      previous: response.previousReplicas,
      replayed: response.replayed,
    };
  }

  close(): void {
    this.clients.close();
  }

  private async client(satelliteId: string) {
    const satellite = await this.store.satellite(satelliteId, Date.now());
    if (!satellite?.grpcEndpoint) {
      throw new SentraError("UNAVAILABLE", `satellite ${satelliteId} is not known to the estate (no heartbeat)`);
    }
    return this.clients.get(satellite.id, satellite.grpcEndpoint);
  }
}

function callOptions(options: GatewayCallOptions) {
  return {
    timeoutMs: Math.max(1, Math.floor(options.timeoutMs)),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}
