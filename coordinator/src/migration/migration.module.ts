import { Module } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import type { Registry } from "prom-client";
import type { ArbitrageOptions } from "../arbitrage/arbitrage-options.js";
import { createOpportunityFinder, type OpportunityFinder } from "../arbitrage/opportunity-finder.js";
import {
  COORDINATOR_CONFIG,
  type CoordinatorConfig,
  LOGGER,
  METRICS_REGISTRY,
  MIGRATION_JOURNAL_POOL,
  REDIS_CLIENT,
  SATELLITE_TRANSPORT,
} from "../config/coordinator-config.js";
import { EstateModule } from "../estate/estate.module.js";
import { EstateStore } from "../estate/estate-store.js";
import { LiveEstate } from "../estate/live-estate-index.js";
import { SatelliteClientPool, type SatelliteTransport } from "../estate/satellite-client-pool.js";
import { AutoMigrationService } from "./auto-migration.service.js";
import { EstateSnapshotReader, LIVE_ESTATE_SNAPSHOT_READER } from "./estate-snapshot-reader.js";
import { createCrashHook } from "./fault-injection.js";
import { IdempotencyClaims } from "./idempotency-claims.js";
import { MigrationController } from "./migration.controller.js";
import { MigrationService } from "./migration.service.js";
import { MigrationDryRun } from "./migration-dry-run.js";
import { MigrationEventBus } from "./migration-event-bus.js";
import { MigrationJournal } from "./migration-journal.js";
import { MigrationMetrics } from "./migration-metrics.js";
import { MigrationRunner } from "./migration-runner.js";
import { MigrationServiceHandlers } from "./migration-service.handlers.js";
import { OPPORTUNITY_FINDER, OpportunityMonitor } from "./opportunity-monitor.service.js";
import { GrpcSatelliteGateway } from "./satellite-gateway.js";
import { WorkloadLock } from "./workload-lock.js";

/** @default 30000 — how long an idempotency claim outlives a request that died holding it. */
const IDEMPOTENCY_CLAIM_TTL_MS = 30_000;

/** The finder/planner options from configuration; the price TTL is the estate's (the Redis TTL). */
export function arbitrageOptionsOf(config: CoordinatorConfig): ArbitrageOptions {
  return {
    minMarginUsd: config.arbitrage.minMarginUsd,
    priceTtlMs: config.priceTtlMs,
    defaultStateGb: config.arbitrage.defaultStateGb,
    readinessEstimateSeconds: config.arbitrage.readinessEstimateSeconds,
    horizonHours: config.arbitrage.horizonHours,
    egressPriceOverrides: config.arbitrage.egressPriceOverrides,
  };
}

/**
 * Arbitrage and migrations: the opportunity ranking (interval, stream), dry runs, the
 * make-before-break saga with its journal, lock and recovery, automatic mode, and their gRPC
 * handlers and REST endpoints.
 */
@Module({
  imports: [EstateModule],
  providers: [
    {
      provide: MigrationMetrics,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => new MigrationMetrics(registry),
    },
    {
      provide: OPPORTUNITY_FINDER,
      inject: [COORDINATOR_CONFIG],
      useFactory: (config: CoordinatorConfig) => createOpportunityFinder(arbitrageOptionsOf(config)),
    },
    {
      provide: EstateSnapshotReader,
      inject: [EstateStore],
      useFactory: (store: EstateStore) => new EstateSnapshotReader(store),
    },
    {
      provide: LIVE_ESTATE_SNAPSHOT_READER,
      inject: [EstateStore, LiveEstate],
      useFactory: (store: EstateStore, live: LiveEstate) =>
        new EstateSnapshotReader(store, Date.now, (nowMs) => live.satellites(nowMs)),
    },
    {
      provide: MigrationDryRun,
      inject: [EstateSnapshotReader, OPPORTUNITY_FINDER],
      useFactory: (reader: EstateSnapshotReader, finder: OpportunityFinder) =>
        new MigrationDryRun(reader, finder.options),
    },
    {
      provide: MigrationJournal,
      inject: [MIGRATION_JOURNAL_POOL],
      useFactory: (pool: Pool) => new MigrationJournal(pool),
    },
    {
      provide: WorkloadLock,
      inject: [REDIS_CLIENT, COORDINATOR_CONFIG],
      useFactory: (redis: Redis, config: CoordinatorConfig) =>
        new WorkloadLock(redis, config.redisPrefix, config.migration.lockTtlMs),
    },
    {
      provide: IdempotencyClaims,
      inject: [REDIS_CLIENT, COORDINATOR_CONFIG],
      useFactory: (redis: Redis, config: CoordinatorConfig) =>
        new IdempotencyClaims(redis, config.redisPrefix, IDEMPOTENCY_CLAIM_TTL_MS),
    },
    {
      provide: MigrationEventBus,
      inject: [REDIS_CLIENT, COORDINATOR_CONFIG, LOGGER],
      useFactory: (redis: Redis, config: CoordinatorConfig, logger: Logger) =>
        new MigrationEventBus(redis, `${config.redisPrefix}migration:events`, logger),
    },
    {
      provide: MigrationRunner,
      inject: [
        MigrationJournal,
        WorkloadLock,
        EstateStore,
        MigrationEventBus,
        MigrationMetrics,
        LOGGER,
        COORDINATOR_CONFIG,
        SATELLITE_TRANSPORT,
      ],
      useFactory: (
        journal: MigrationJournal,
        lock: WorkloadLock,
        store: EstateStore,
        events: MigrationEventBus,
        metrics: MigrationMetrics,
        logger: Logger,
        config: CoordinatorConfig,
        satelliteTransport: SatelliteTransport,
      ) =>
        new MigrationRunner(
          journal,
          lock,
          new GrpcSatelliteGateway(store, new SatelliteClientPool(satelliteTransport), config.redisPrefix),
          events,
          metrics,
          logger,
          {
            readyTimeoutMs: config.migration.readyTimeoutMs,
            stepTimeoutMs: config.migration.stepTimeoutMs,
            callTimeoutMs: config.migration.callTimeoutMs,
            pollIntervalMs: config.migration.pollIntervalMs,
            readyConfirmDelayMs: config.migration.readyConfirmDelayMs,
            recoveryIntervalMs: config.migration.recoveryIntervalMs,
            checkpoint: createCrashHook(config.migration.crashAtStep, logger),
          },
        ),
    },
    MigrationService,
    OpportunityMonitor,
    AutoMigrationService,
    MigrationServiceHandlers,
  ],
  controllers: [MigrationController],
  exports: [MigrationServiceHandlers, MigrationService, MigrationEventBus, OpportunityMonitor],
})
export class MigrationModule {}
