import { SentraError } from "@sentra/common";
import { CoordinatorService, type Migration, MigrationState, type ServiceClient } from "@sentra/proto";
import { eventually, type RunningProcess, type TestNamespace } from "@sentra/testkit";
import { createConnection } from "mysql2/promise";
import { coordinatorClientWithToken } from "./coordinator-auth.js";
import { type SatelliteProcess, startSatelliteProcess } from "./estate-processes.js";

/** Instance types every test satellite quotes, so prices (and margins) are fully determined by overrides. */
export const TEST_INSTANCE_TYPES = "m5.large,c5.large";

export type CoordinatorClient = ServiceClient<typeof CoordinatorService>;

/** A satellite process with the URL of its simulated cluster (admin endpoints under /sentra-sim/v1). */
export interface SimulatedSatellite extends SatelliteProcess {
  readonly clusterUrl: string;
  readonly cluster: string;
}

/** One step of a Deployment's replica counts, as the simulated cluster records it. */
export interface ReplicaPoint {
  atMs: number;
  desired: number;
  ready: number;
}

/** Starts a simulated-mode satellite quoting fixed prices (`SENTRA_PRICE_OVERRIDES`, every zone). */
export async function startPricedSatellite(
  namespace: TestNamespace,
  region: string,
  prices: { m5: number; c5: number },
  env: Record<string, string> = {},
): Promise<SimulatedSatellite> {
  const satellite = await startSatelliteProcess(namespace, "aws", region, {
    SENTRA_INSTANCE_TYPES: TEST_INSTANCE_TYPES,
    SENTRA_PRICE_OVERRIDES: `m5.large=${prices.m5},c5.large=${prices.c5}`,
    ...env,
  });
  const line = satellite.process
    .output()
    .split("\n")
    .find((text) => text.includes('"simulated cluster started"'));
  const parsed = JSON.parse(line ?? "{}") as { url?: string; cluster?: string };
  if (!parsed.url || !parsed.cluster)
    throw new Error(`satellite ${satellite.satelliteId} printed no simulated cluster`);
  return { ...satellite, clusterUrl: parsed.url, cluster: parsed.cluster };
}

/** A typed CoordinatorService client sending `token` (e.g. the coordinator's adminToken), closed with the namespace. */
export function coordinatorClient(namespace: TestNamespace, address: string, token: string): CoordinatorClient {
  return coordinatorClientWithToken(namespace, address, token);
}

/** Waits until the coordinator sees every satellite live with prices and its inventory pulled. */
export async function waitForEstate(
  client: CoordinatorClient,
  satellites: readonly SimulatedSatellite[],
): Promise<void> {
  await eventually(
    async () => {
      const { regions } = await client.listRegions({});
      for (const satellite of satellites) {
        const region = regions.find((r) => r.satelliteIds.includes(satellite.satelliteId));
        if (!region || region.stale || region.prices.length === 0)
          throw new Error(`${satellite.satelliteId} not priced yet`);
      }
      const { workloads } = await client.listWorkloads({});
      for (const satellite of satellites) {
        if (!workloads.some((w) => w.ref?.satelliteId === satellite.satelliteId)) {
          throw new Error(`${satellite.satelliteId} inventory not pulled yet`);
        }
      }
    },
    30_000,
    100,
  );
}

/** The replica timeline of `default/<name>` in a simulated cluster. */
export async function replicaTimeline(satellite: SimulatedSatellite, name: string): Promise<ReplicaPoint[]> {
  const response = await fetch(`${satellite.clusterUrl}/sentra-sim/v1/timeline?namespace=default&name=${name}`);
  if (!response.ok) throw new Error(`timeline: HTTP ${response.status}`);
  return ((await response.json()) as { points: ReplicaPoint[] }).points;
}

/** Injects a failure into a simulated cluster (`POST /sentra-sim/v1/failures`). */
export async function injectFailure(satellite: SimulatedSatellite, failure: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${satellite.clusterUrl}/sentra-sim/v1/failures`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(failure),
  });
  if (response.status !== 201) throw new Error(`inject failure: HTTP ${response.status} ${await response.text()}`);
}

/**
 * Sums step-function timelines (the same workload in two clusters): at each change, the sum of
 * each timeline's latest point; before its first point a timeline counts as 0.
 */
export function sumTimelines(timelines: readonly (readonly ReplicaPoint[])[]): ReplicaPoint[] {
  const events = timelines
    .flatMap((points, index) => points.map((point) => ({ index, point })))
    .sort((a, b) => a.point.atMs - b.point.atMs);
  const latest = timelines.map(() => ({ desired: 0, ready: 0 }));
  const sum: ReplicaPoint[] = [];
  for (const { index, point } of events) {
    latest[index] = point;
    const total = {
      atMs: point.atMs,
      desired: latest.reduce((acc, p) => acc + p.desired, 0),
      ready: latest.reduce((acc, p) => acc + p.ready, 0),
    };
    if (sum.at(-1)?.atMs === total.atMs) sum[sum.length - 1] = total;
    else sum.push(total);
  }
  return sum;
}

/** Lowest ready count from `fromMs` on, counting the point in force at `fromMs`. */
export function minReadyFrom(points: readonly ReplicaPoint[], fromMs: number): number {
  let inForce: ReplicaPoint | undefined;
  let min = Number.POSITIVE_INFINITY;
  for (const point of points) {
    if (point.atMs <= fromMs) inForce = point;
    else min = Math.min(min, point.ready);
  }
  return Math.min(min, inForce?.ready ?? Number.POSITIVE_INFINITY);
}

/** The distinct successive desired counts (e.g. [3, 6]: scaled once from 3 to 6). */
export function desiredSteps(points: readonly ReplicaPoint[]): number[] {
  const steps: number[] = [];
  for (const point of points) if (steps.at(-1) !== point.desired) steps.push(point.desired);
  return steps;
}

const TERMINAL = new Set([MigrationState.DONE, MigrationState.COMPENSATED, MigrationState.FAILED]);

/** Polls GetMigration until the migration reaches a terminal state. */
export async function waitForMigrationEnd(
  client: CoordinatorClient,
  id: string,
  timeoutMs = 20_000,
): Promise<Migration> {
  return eventually(
    async () => {
      const { migration } = await client.getMigration({ id });
      if (!migration || !TERMINAL.has(migration.state)) {
        throw new Error(`migration ${id} still ${migration ? MigrationState[migration.state] : "?"}`);
      }
      return migration;
    },
    timeoutMs,
    100,
  );
}

/** The states a migration went through, from its journalled steps. */
export function stepStates(migration: Migration): string[] {
  return migration.steps.map((step) => MigrationState[step.state]);
}

/** The error a gRPC call failed with. */
export async function grpcError(call: Promise<unknown>): Promise<SentraError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SentraError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** Resolves with how the process ended. */
export function exited(
  process: RunningProcess,
  timeoutMs = 20_000,
): Promise<{ code: number | null; signal: string | null }> {
  const { child } = process;
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit in ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** The journal rows of one workload's migrations, read straight from MySQL (what a restarted coordinator resumes from). */
export async function journalRows(
  namespace: TestNamespace,
  name: string,
): Promise<{ id: string; state: string; fencing_token: number }[]> {
  const connection = await createConnection({ uri: namespace.mysqlUrl });
  try {
    const [rows] = await connection.query(
      "SELECT id, state, fencing_token FROM migrations WHERE namespace = 'default' AND name = ? ORDER BY created_at",
      [name],
    );
    return rows as { id: string; state: string; fencing_token: number }[];
  } finally {
    await connection.end();
  }
}
