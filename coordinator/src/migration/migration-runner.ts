import { randomUUID } from "node:crypto";
import { type Logger, SentraError, sleep } from "@sentra/common";
import type { MigrationEventBus } from "./migration-event-bus.js";
import type { MigrationJournal } from "./migration-journal.js";
import type { MigrationMetrics } from "./migration-metrics.js";
import { type MigrationRecord, toMigrationMessage } from "./migration-record.js";
import { runMigrationSaga, type SagaCheckpoint, type SagaJournal, type SagaOptions } from "./migration-saga.js";
import { isTerminal, type MigrationStateName } from "./migration-state-machine.js";
import type { SatelliteGateway } from "./satellite-gateway.js";
import type { WorkloadLease, WorkloadLock } from "./workload-lock.js";

/** What the runner needs besides its collaborators. */
export interface MigrationRunnerOptions extends SagaOptions {
  /** How often the journal is scanned for sagas nobody runs, ms. */
  readonly recoveryIntervalMs: number;
  readonly checkpoint: (point: SagaCheckpoint) => void;
}

interface RunningSaga {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/**
 * Runs sagas in the background, one per workload lock held: renews the lock while the saga runs,
 * stops the saga at once if the lock is lost, releases it at the end. Recovery: on start and on an
 * interval it scans the journal for unfinished migrations no coordinator runs (their lock is free:
 * the owner crashed or stopped), takes the lock with a newer fencing token, journals the takeover
 * and resumes the saga from its last journalled state. Any replica may run any saga; the lock and
 * the fencing token make sure only one does.
 */
export class MigrationRunner {
  private readonly running = new Map<string, RunningSaga>();
  private readonly instanceId = randomUUID().slice(0, 8);
  private recoveryTimer: NodeJS.Timeout | undefined;
  private recovering: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly journal: MigrationJournal,
    private readonly lock: WorkloadLock,
    private readonly satellites: SatelliteGateway,
    private readonly events: MigrationEventBus,
    private readonly metrics: MigrationMetrics,
    private readonly logger: Logger,
    private readonly options: MigrationRunnerOptions,
  ) {}

  /** Starts recovery now and on the interval. */
  start(): void {
    void this.recover();
    this.recoveryTimer = setInterval(() => void this.recover(), this.options.recoveryIntervalMs);
  }

  /** Stops every saga this process runs (they stay journalled and resume elsewhere or after restart). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.recoveryTimer);
    await this.recovering;
    for (const saga of this.running.values())
      saga.controller.abort(new SentraError("CANCELLED", "coordinator stopping"));
    await Promise.allSettled([...this.running.values()].map((saga) => saga.done));
    this.satellites.close?.();
  }

  /** Runs a freshly journalled migration whose lock the caller took. */
  run(record: MigrationRecord, lease: WorkloadLease): void {
    // PLANNED is journalled by MigrationService, not by the saga: its crash point is here, after the
    // journal row and the lock exist and before the saga's first step (the reply may never leave).
    this.options.checkpoint("PLANNED");
    this.launch(record, lease);
  }

  /** Runs a saga whose lock is held (fresh, or taken over by recovery). */
  private launch(record: MigrationRecord, lease: WorkloadLease): void {
    if (this.stopping) {
      void this.lock.release(lease).catch(() => undefined);
      return;
    }
    const controller = new AbortController();
    const done = this.execute(record, lease, controller).finally(() => {
      this.running.delete(record.id);
      this.metrics.migrationsRunning.set(this.running.size);
    });
    this.running.set(record.id, { controller, done });
    this.metrics.migrationsRunning.set(this.running.size);
  }

  /** One recovery scan (also called by tests through the interval). */
  recover(): Promise<void> {
    if (this.recovering !== undefined || this.stopping) return this.recovering ?? Promise.resolve();
    this.recovering = this.scan()
      .catch((error: unknown) => this.logger.error({ err: String(error) }, "migration recovery scan failed"))
      .finally(() => {
        this.recovering = undefined;
      });
    return this.recovering;
  }

  private async scan(): Promise<void> {
    for (const record of await this.journal.listActive()) {
      if (this.stopping) return;
      if (this.running.has(record.id)) continue;
      const acquired = await this.lock.acquire(record.workloadKey, record.id, record.fencingToken);
      if (!("lease" in acquired)) continue; // its owner is alive (or its lock has not expired yet)
      let resumed: MigrationRecord;
      try {
        resumed = await this.journal.takeOver(
          record,
          acquired.lease.token,
          `resumed from the journal by coordinator ${this.instanceId} in state ${record.state}; fencing token ${record.fencingToken} → ${acquired.lease.token}`,
          Date.now(),
        );
      } catch (error) {
        await this.lock.release(acquired.lease).catch(() => undefined);
        // ABORTED: it moved on since the scan read it (e.g. it just finished here); nothing to do.
        const level = SentraError.from(error).code === "ABORTED" ? "debug" : "warn";
        this.logger[level]({ migrationId: record.id, err: String(error) }, "could not take over a migration");
        continue;
      }
      this.metrics.recoveries.inc();
      this.logger.info(
        {
          migrationId: record.id,
          workload: record.workloadKey,
          state: record.state,
          fencingToken: acquired.lease.token,
        },
        "migration resumed from the journal",
      );
      this.events.publish(toMigrationMessage(resumed));
      this.launch(resumed, acquired.lease);
    }
  }

  private async execute(record: MigrationRecord, lease: WorkloadLease, controller: AbortController): Promise<void> {
    const renewEveryMs = Math.max(100, Math.floor(this.lock.ttlMs / 3));
    let renewedAtMs = Date.now();
    const renewal = setInterval(() => {
      this.lock.renew(lease).then(
        (held) => {
          if (held) renewedAtMs = Date.now();
          else controller.abort(new SentraError("ABORTED", `lost the lock of ${record.workloadKey}`));
        },
        (error: unknown) => {
          // Redis unreachable: the lock may have expired; stop once it surely has.
          if (Date.now() - renewedAtMs >= this.lock.ttlMs) {
            controller.abort(new SentraError("ABORTED", `could not renew the lock of ${record.workloadKey}: ${error}`));
          }
        },
      );
    }, renewEveryMs);
    try {
      const final = await runMigrationSaga(
        record,
        {
          journal: this.sagaJournal(),
          satellites: this.satellites,
          clock: { nowMs: () => Date.now() },
          options: this.options,
          sleep: (ms, signal) => sleep(ms, signal),
          checkpoint: this.options.checkpoint,
        },
        controller.signal,
      );
      this.metrics.migrationsFinished.inc({ outcome: final.state.toLowerCase() });
    } catch (error) {
      const cause = SentraError.from(controller.signal.aborted ? (controller.signal.reason ?? error) : error);
      this.metrics.sagaInterruptions.inc({ reason: cause.code.toLowerCase() });
      this.logger.warn(
        { migrationId: record.id, workload: record.workloadKey, code: cause.code, err: cause.message },
        "migration saga stopped before its end; it resumes from the journal",
      );
    } finally {
      clearInterval(renewal);
      await this.lock.release(lease).catch((error: unknown) => {
        this.logger.warn({ migrationId: record.id, err: String(error) }, "could not release a workload lock");
      });
    }
  }

  /** The journal as the saga writes it: one structured log line, metrics and an event per transition. */
  private sagaJournal(): SagaJournal {
    return {
      advance: async (record, to, change) => {
        const nowMs = Date.now();
        const next = await this.journal.advance(record, to, change, nowMs);
        this.metrics.stepDuration.observe({ state: record.state }, Math.max(0, nowMs - record.updatedAtMs) / 1000);
        this.logTransition(record.state, next, change.detail);
        this.events.publish(toMigrationMessage(next));
        return next;
      },
    };
  }

  private logTransition(from: MigrationStateName, next: MigrationRecord, detail: string): void {
    const fields = {
      migrationId: next.id,
      workload: next.workloadKey,
      from,
      to: next.state,
      fencingToken: next.fencingToken,
      source: `${next.source.satelliteId}/${next.source.cluster}`,
      target: `${next.target.satelliteId}/${next.target.cluster}`,
      detail,
    };
    if (next.state === "FAILED") this.logger.error(fields, "migration transition");
    else if (next.state === "COMPENSATING" || (isTerminal(next.state) && next.state !== "DONE"))
      this.logger.warn(fields, "migration transition");
    else this.logger.info(fields, "migration transition");
  }
}
