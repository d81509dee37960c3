/**
 * What arbitrage needs to know about one workload (a Deployment in one cluster). Plain data: the
 * estate store fills it from the satellite inventory and the `sentra.io/*` annotations
 * (see `parseArbitrageAnnotations`).
 */
export interface WorkloadCostInput {
  /** Stable id across clusters (the migration key), e.g. `shop/checkout`. */
  readonly id: string;
  readonly satelliteId: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  /** Region the workload runs in now. */
  readonly region: string;
  /** Cloud the workload runs in now (`aws`, `gcp`, `azure`). */
  readonly cloud: string;
  /** Desired replicas. */
  readonly replicas: number;
  /** CPU request of one replica, millicores. */
  readonly cpuMillicores: number;
  /** Memory request of one replica, bytes. */
  readonly memoryBytes: number;
  /** GB of state a move transfers (`sentra.io/state-gb`); the options' `defaultStateGb` when absent. */
  readonly stateGb?: number;
  /** Never move this workload (`sentra.io/pinned: "true"`). */
  readonly pinned?: boolean;
  /** Only these target regions (`region` or `cloud:region`); absent = any. */
  readonly allowedRegions?: readonly string[];
  /** Only these target clouds; absent = any. */
  readonly allowedClouds?: readonly string[];
  /**
   * `sentra.io/auto-migrate`: `true` opts this workload into automatic mode, `false` keeps it out
   * even in a namespace of `SENTRA_AUTO_MIGRATE_NAMESPACES`; absent = the namespace decides.
   */
  readonly autoMigrate?: boolean;
  /**
   * Why Sentra never moves this workload (Kubernetes' own namespaces, Sentra's own Deployments;
   * see `protectedWorkloadReason`); absent = not protected.
   */
  readonly protectedReason?: string;
  /**
   * Run only on this instance type (e.g. a GPU type whose accelerator CPU/memory shares cannot
   * express); absent = the cheapest fitting type of each region.
   */
  readonly instanceType?: string;
}
