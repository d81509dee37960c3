import { randomUUID } from "node:crypto";
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { type Logger, SentraError, sleep } from "@sentra/common";
import type { Migration, MigrationPlan } from "@sentra/proto";
import { describeMargin } from "../arbitrage/migration-planner.js";
import { LOGGER } from "../config/coordinator-config.js";
import { AsyncQueue } from "./async-queue.js";
import { IdempotencyClaims } from "./idempotency-claims.js";
import { MigrationDryRun, type WorkloadLocator } from "./migration-dry-run.js";
import { MigrationEventBus } from "./migration-event-bus.js";
import { DuplicateIdempotencyKeyError, MigrationJournal, type MigrationListFilter } from "./migration-journal.js";
import { MigrationMetrics } from "./migration-metrics.js";
import { type MigrationRecord, toMigrationMessage, workloadKeyOf } from "./migration-record.js";
import { MigrationRunner } from "./migration-runner.js";
import { isTerminal, toMigrationStateEnum } from "./migration-state-machine.js";
import { WorkloadLock } from "./workload-lock.js";

/** A request to move a workload copy. */
export interface MigrateCommand {
  readonly workload: WorkloadLocator;
  /** `region` or `cloud:region`; undefined: the target with the highest margin. */
  readonly targetRegion: string | undefined;
  readonly idempotencyKey: string;
  readonly requestedBy: string;
  readonly trigger: "manual" | "auto";
}

/** @default 5000 — how long a request waits for a concurrent request with the same idempotency key. */
const IDEMPOTENCY_WAIT_MS = 5_000;

/**
 * Dry runs and migrations: `plan` (dry run, refusal as an error with the numbers), `migrate`
 * (idempotency key → dry run again → workload lock → journal → saga in the background), reads of
 * the journal, and the change stream behind WatchMigrations.
 */
@Injectable()
export class MigrationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly watchers = new Set<AsyncQueue<Migration>>();

  constructor(
    private readonly dryRun: MigrationDryRun,
    private readonly journal: MigrationJournal,
    private readonly lock: WorkloadLock,
    private readonly claims: IdempotencyClaims,
    private readonly runner: MigrationRunner,
    private readonly events: MigrationEventBus,
    private readonly metrics: MigrationMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.events.start();
    this.runner.start();
  }

  /** Ends open WatchMigrations streams (so the gRPC server shuts down without forcing) and stops the sagas. */
  async onModuleDestroy(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    await this.runner.stop();
    await this.events.stop();
  }

  /** Dry run; a refused plan throws FAILED_PRECONDITION (or NOT_FOUND / INVALID_ARGUMENT) with the plan as details. */
  async plan(workload: WorkloadLocator, targetRegion: string | undefined): Promise<MigrationPlan> {
    const outcome = await this.dryRun.plan(workload, targetRegion);
    if (outcome.refusal !== null) {
      this.metrics.planRefusals.inc({ code: outcome.refusalCode ?? "UNKNOWN" });
      throw outcome.refusal;
    }
    return outcome.message;
  }

  /**
   * Starts a migration and returns it once journalled (state PLANNED); the saga continues in the
   * background. The same idempotency key returns the first migration (`replayed`); a workload
   * whose lock is held is ABORTED naming that migration, and one the journal holds an unfinished
   * migration of (its lock lost) is FAILED_PRECONDITION naming it.
   */
  async migrate(command: MigrateCommand): Promise<{ record: MigrationRecord; replayed: boolean }> {
    const migrationId = randomUUID();
    const waitUntil = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const existing = await this.journal.findByIdempotencyKey(command.idempotencyKey);
      if (existing !== undefined) return { record: this.sameRequest(existing, command), replayed: true };
      if (await this.claims.claim(command.idempotencyKey, migrationId)) break;
      if (Date.now() > waitUntil) {
        throw new SentraError(
          "ABORTED",
          `a request with idempotency key ${JSON.stringify(command.idempotencyKey)} is still being processed; retry later`,
          { field: "idempotency_key" },
        );
      }
      await sleep(50);
    }

    let journalled = false;
    try {
      const outcome = await this.dryRun.plan(command.workload, command.targetRegion);
      if (outcome.refusal !== null || outcome.plan === null) {
        this.metrics.planRefusals.inc({ code: outcome.refusalCode ?? "UNKNOWN" });
        throw outcome.refusal ?? new SentraError("INTERNAL", "accepted plan without numbers");
      }
      const plan = outcome.plan;
      const workloadKey = workloadKeyOf(outcome.source);
      // The journal's highest token is the floor: a Redis that lost its counter still hands out a
      // newer token than any satellite has seen (satellites refuse older ones).
      const acquired = await this.lock.acquire(workloadKey, migrationId, await this.journal.highestFencingToken());
      if (!("lease" in acquired)) {
        this.metrics.lockContention.inc();
        throw new SentraError(
          "ABORTED",
          `${workloadKey} is being migrated by migration ${acquired.holder?.migrationId ?? "(unknown)"}; retry when it has ended`,
          { details: { workload: workloadKey, migrationId: acquired.holder?.migrationId ?? null } },
        );
      }
      const nowMs = Date.now();
      const record: MigrationRecord = {
        id: migrationId,
        idempotencyKey: command.idempotencyKey,
        workloadKey,
        source: outcome.source,
        target: {
          satelliteId: plan.target.satelliteId,
          cluster: plan.target.cluster,
          cloud: plan.target.cloud,
          region: plan.target.region,
        },
        requestedTarget: command.targetRegion ?? "",
        state: "PLANNED",
        plan: outcome.message,
        requestedBy: command.requestedBy,
        fencingToken: acquired.lease.token,
        stepCount: 1,
        sourceReplicas: null,
        targetReplicasBefore: null,
        targetReplicasGoal: null,
        readyDeadlineMs: null,
        error: null,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
        finishedAtMs: null,
        steps: [
          {
            sequence: 1,
            state: "PLANNED",
            atMs: nowMs,
            detail: `dry run accepted (${command.trigger}, by ${command.requestedBy}): ${plan.source.cloud}:${plan.source.region} → ${plan.target.cloud}:${plan.target.region}; ${describeMargin(plan)}`,
          },
        ],
      };
      try {
        await this.journal.create(record);
      } catch (error) {
        await this.lock.release(acquired.lease).catch(() => undefined);
        // WorkloadMigrationActiveError: the journal holds an unfinished migration of this workload
        // although the Redis lock was free (expired, flushed, Redis restarted): refused, naming it.
        if (!(error instanceof DuplicateIdempotencyKeyError)) throw error;
        // Only if the claim expired under a very slow request: the journal's unique key still wins.
        const existing = await this.journal.findByIdempotencyKey(command.idempotencyKey);
        if (existing === undefined) throw error;
        return { record: this.sameRequest(existing, command), replayed: true };
      }
      journalled = true;
      this.metrics.migrationsStarted.inc({ trigger: command.trigger });
      this.logger.info(
        {
          migrationId,
          workload: workloadKey,
          to: "PLANNED",
          fencingToken: record.fencingToken,
          trigger: command.trigger,
          requestedBy: command.requestedBy,
          marginUsd: plan.marginUsd,
        },
        "migration transition",
      );
      this.events.publish(toMigrationMessage(record));
      this.runner.run(record, acquired.lease);
      return { record, replayed: false };
    } finally {
      // A refused request frees its key at once, so a retry with the same key is evaluated afresh.
      if (!journalled) await this.claims.release(command.idempotencyKey, migrationId).catch(() => undefined);
    }
  }

  async get(id: string): Promise<MigrationRecord> {
    const record = await this.journal.get(id);
    if (record === undefined) throw new SentraError("NOT_FOUND", `no migration ${id}`, { field: "id" });
    return record;
  }

  list(filter: MigrationListFilter): Promise<MigrationRecord[]> {
    return this.journal.list(filter);
  }

  /**
   * One migration (`id`): its current state, then each new step, ending after a terminal state.
   * All (`id` undefined): every unfinished migration, then every step of any migration, until the
   * caller goes away. Each message is the whole migration with its steps.
   */
  async *watch(id: string | undefined, signal: AbortSignal): AsyncGenerator<Migration> {
    const queue = new AsyncQueue<Migration>();
    const unsubscribe = this.events.subscribe((migration) => {
      if (id === undefined || migration.id === id) queue.push(migration);
    });
    const onAbort = (): void => queue.close();
    signal.addEventListener("abort", onAbort, { once: true });
    this.watchers.add(queue);
    try {
      const initial = id === undefined ? await this.journal.listActive() : [await this.get(id)];
      const seen = new Map<string, number>();
      for (const record of initial) {
        seen.set(record.id, record.stepCount);
        yield toMigrationMessage(record);
        if (id !== undefined && isTerminal(record.state)) return;
      }
      for await (const migration of queue) {
        // Events that raced the initial read, or arrived twice, are not news.
        if ((seen.get(migration.id) ?? 0) >= migration.steps.length) continue;
        seen.set(migration.id, migration.steps.length);
        yield migration;
        if (isTerminalMessage(migration)) {
          if (id !== undefined) return;
          seen.delete(migration.id);
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      unsubscribe();
      queue.close();
      this.watchers.delete(queue);
    }
  }

  /** The journalled migration for a replayed key, if the request matches it; ALREADY_EXISTS otherwise. */
  private sameRequest(existing: MigrationRecord, command: MigrateCommand): MigrationRecord {
    const w = command.workload;
    const same =
      existing.source.satelliteId === w.satelliteId &&
      (w.cluster === "" || existing.source.cluster === w.cluster) &&
      existing.source.namespace === w.namespace &&
      existing.source.name === w.name &&
      existing.requestedTarget === (command.targetRegion ?? "");
    if (!same) {
      throw new SentraError(
        "ALREADY_EXISTS",
        `idempotency key ${JSON.stringify(command.idempotencyKey)} was used for migration ${existing.id} of ${existing.source.satelliteId}/${existing.workloadKey}${existing.requestedTarget ? ` to ${existing.requestedTarget}` : ""}; use a new key for a different request`,
        { field: "idempotency_key", details: { migrationId: existing.id } },
      );
    }
    return existing;
  }
}

function isTerminalMessage(migration: Migration): boolean {
  return (
    migration.state === toMigrationStateEnum("DONE") ||
    migration.state === toMigrationStateEnum("COMPENSATED") ||
    migration.state === toMigrationStateEnum("FAILED")
  );
}
