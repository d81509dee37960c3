import { SentraError } from "@sentra/common";
import type { Migration } from "@sentra/proto";
import { eventually, type TestNamespace } from "@sentra/testkit";
import { createConnection } from "mysql2/promise";
import { readMetric, startCoordinatorProcess } from "./estate-processes.js";
import {
  type CoordinatorClient,
  coordinatorClient,
  exited,
  type ReplicaPoint,
  type SimulatedSatellite,
  waitForEstate,
  waitForMigrationEnd,
} from "./migration-estate.js";

/** One journal row, as a restarted coordinator reads it. */
export interface JournalRow {
  id: string;
  state: string;
  fencing_token: number;
  step_count: number;
}

/** The journal rows started with one idempotency key (there must be exactly one). */
export async function journalRowsByKey(namespace: TestNamespace, idempotencyKey: string): Promise<JournalRow[]> {
  const connection = await createConnection({ uri: namespace.mysqlUrl });
  try {
    const [rows] = await connection.query(
      "SELECT id, state, fencing_token, step_count FROM migrations WHERE idempotency_key = ? ORDER BY created_at",
      [idempotencyKey],
    );
    return (rows as JournalRow[]).map((row) => ({
      ...row,
      fencing_token: Number(row.fencing_token),
      step_count: Number(row.step_count),
    }));
  } finally {
    await connection.end();
  }
}

/** Journal rows of `default/<name>` that are not terminal (a saga nobody finished). */
export async function unfinishedRows(namespace: TestNamespace, name: string): Promise<JournalRow[]> {
  const connection = await createConnection({ uri: namespace.mysqlUrl });
  try {
    const [rows] = await connection.query(
      "SELECT id, state, fencing_token, step_count FROM migrations WHERE namespace = 'default' AND name = ? AND state NOT IN ('DONE', 'COMPENSATED', 'FAILED')",
      [name],
    );
    return rows as JournalRow[];
  } finally {
    await connection.end();
  }
}

/**
 * The desired counts a timeline went through from `fromMs` on, starting with the one in force then
 * (e.g. [2, 4, 2]: scaled up once and back once since `fromMs`).
 */
export function desiredStepsSince(points: readonly ReplicaPoint[], fromMs: number): number[] {
  const steps: number[] = [];
  let inForce: number | undefined;
  for (const point of points) {
    if (point.atMs <= fromMs) {
      inForce = point.desired;
      continue;
    }
    if (steps.length === 0 && inForce !== undefined) steps.push(inForce);
    if (steps.at(-1) !== point.desired) steps.push(point.desired);
  }
  if (steps.length === 0 && inForce !== undefined) steps.push(inForce);
  return steps;
}

/** How often a step sequence goes up and down: a saga scales each cluster at most once per direction. */
export function scaleMoves(steps: readonly number[]): { up: number; down: number } {
  let up = 0;
  let down = 0;
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] ?? 0) > (steps[i - 1] ?? 0)) up++;
    else down++;
  }
  return { up, down };
}

/** What {@link crashAtStepThenRecover} saw. */
export interface CrashDrillResult {
  /** The migration's id (from the journal: the doomed coordinator may die before it answers). */
  id: string;
  /** The journal row right after the SIGKILL. */
  atCrash: JournalRow;
  /** The migration once the restarted coordinator has it terminal. */
  end: Migration;
  /** The journal rows with the drill's idempotency key at the end. */
  rows: JournalRow[];
  /** Sagas the restarted coordinator took over (`sentra_coordinator_migration_recoveries_total`). */
  recoveries: number;
  /** Just before Migrate was called: replica timelines are judged from here. */
  startedAtMs: number;
}

/** Options of one crash drill. */
export interface CrashDrill {
  /** The `SENTRA_TEST_CRASH_AT_STEP` of the doomed coordinator (a SagaCheckpoint). */
  crashAt: string;
  /** Deployment in namespace `default` of `source`, migrated to `target`'s region. */
  name: string;
  idempotencyKey: string;
  source: SimulatedSatellite;
  target: SimulatedSatellite;
  /** Environment of both coordinators. */
  env: Record<string, string>;
  /** Extra environment of the doomed coordinator only (e.g. a short ready deadline). */
  doomedEnv?: Record<string, string>;
  /** How long to watch a restarted coordinator that must take nothing over (terminal crash points). */
  quietMs: number;
}

/**
 * One drill of "coordinator kill -9 at a saga step": a coordinator with fault injection
 * (`SENTRA_TEST_CRASH_AT_STEP`) starts the migration and SIGKILLs itself at `crashAt`; then a fresh
 * coordinator is started on the same journal and Redis and the migration is followed to its end
 * (a terminal crash point must stay as it is: the drill then watches `quietMs` for a takeover).
 * Only one coordinator runs at a time, so nothing but the restarted one can resume the saga.
 */
export async function crashAtStepThenRecover(namespace: TestNamespace, drill: CrashDrill): Promise<CrashDrillResult> {
  const doomed = await startCoordinatorProcess(namespace, {
    ...drill.env,
    ...drill.doomedEnv,
    SENTRA_TEST_CRASH_AT_STEP: drill.crashAt,
  });
  const doomedClient = coordinatorClient(namespace, doomed.grpcAddress, doomed.adminToken);
  await waitForEstate(doomedClient, [drill.source, drill.target]);
  const startedAtMs = Date.now();
  const refusal = await startDoomedMigration(doomedClient, drill);
  const how = await exited(doomed.process, 30_000).catch((error: unknown) => {
    throw new Error(
      `the coordinator did not crash at ${drill.crashAt}: ${String(error)}; Migrate answered ${refusal ?? "OK"}\n${doomed.process.output()}`,
    );
  });
  if (how.signal !== "SIGKILL") throw new Error(`coordinator exited with ${JSON.stringify(how)}, not SIGKILL`);
  const [atCrash, ...more] = await journalRowsByKey(namespace, drill.idempotencyKey);
  if (atCrash === undefined || more.length > 0) throw new Error(`expected one journal row at the crash`);

  const restarted = await startCoordinatorProcess(namespace, drill.env);
  try {
    const client = coordinatorClient(namespace, restarted.grpcAddress, restarted.adminToken);
    const end = await waitForMigrationEnd(client, atCrash.id, 30_000);
    // A terminal crash point: give recovery (lock TTL + scan interval) time to (wrongly) act.
    if (["DONE", "COMPENSATED", "FAILED"].includes(atCrash.state)) await sleep(drill.quietMs);
    const recoveries = await eventually(() =>
      readMetric(restarted.httpUrl, "sentra_coordinator_migration_recoveries_total"),
    );
    return {
      id: atCrash.id,
      atCrash,
      end,
      rows: await journalRowsByKey(namespace, drill.idempotencyKey),
      recoveries,
      startedAtMs,
    };
  } finally {
    await restarted.process.stop();
  }
}

/**
 * Calls Migrate on the doomed coordinator; returns what it last answered (undefined: accepted).
 * The process may die before the answer leaves: the journal, not the reply, says what was started.
 * A refusal a just-started coordinator can give while its view of the estate fills in (the workload
 * or the target's copy not pulled yet) is retried for up to 10 s, so the drill never waits for a
 * crash of a saga that was never started.
 */
async function startDoomedMigration(client: CoordinatorClient, drill: CrashDrill): Promise<string | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.migrate({
        workload: { satelliteId: drill.source.satelliteId, namespace: "default", name: drill.name },
        targetRegion: regionOf(drill.target),
        idempotencyKey: drill.idempotencyKey,
      });
      return undefined;
    } catch (error) {
      const transient = error instanceof SentraError && ["NOT_FOUND", "FAILED_PRECONDITION"].includes(error.code);
      if (!transient || Date.now() > deadline) return String(error);
      await sleep(300);
    }
  }
}

/** The region a simulated satellite serves (its id is `aws-<region>`, see startPricedSatellite). */
function regionOf(satellite: SimulatedSatellite): string {
  return satellite.satelliteId.replace(/^aws-/, "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
