import { Module } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import type { Registry } from "prom-client";
import {
  COORDINATOR_CONFIG,
  type CoordinatorConfig,
  LOGGER,
  METRICS_REGISTRY,
  MYSQL_POOL,
  REDIS_CLIENT,
} from "../config/coordinator-config.js";
import { EstateStore } from "../estate/estate-store.js";
import { SatelliteClientPool } from "../estate/satellite-client-pool.js";
import { LeaderLease } from "../infrastructure/leader-lease.js";
import { RolloutController } from "./rollout.controller.js";
import { RolloutService } from "./rollout.service.js";
import { RolloutChangeFeed } from "./rollout-change-feed.js";
import { RolloutEventConsumer } from "./rollout-event-consumer.service.js";
import { RolloutMetrics } from "./rollout-metrics.js";
import { RolloutRepository } from "./rollout-repository.js";
import { GrpcRolloutSatelliteGateway } from "./rollout-satellite-gateway.js";
import { RolloutServiceHandlers } from "./rollout-service.handlers.js";
import { ROLLOUT_SATELLITE_GATEWAY, WaveOrchestrator } from "./wave-orchestrator.service.js";

/**
 * Rollouts at the coordinator: the MySQL record fed by the satellites' JetStream events, the
 * multi-cluster wave orchestrator, and the gRPC and REST edges (docs/release-guard.md).
 */
@Module({
  controllers: [RolloutController],
  providers: [
    {
      provide: RolloutRepository,
      inject: [MYSQL_POOL],
      useFactory: (mysql: Pool) => new RolloutRepository(mysql),
    },
    {
      provide: RolloutMetrics,
      inject: [METRICS_REGISTRY, RolloutRepository],
      useFactory: (registry: Registry, repository: RolloutRepository) =>
        new RolloutMetrics(registry, () => repository.countByPhase()),
    },
    {
      provide: RolloutChangeFeed,
      inject: [REDIS_CLIENT, COORDINATOR_CONFIG, LOGGER],
      useFactory: async (redis: Redis, config: CoordinatorConfig, logger: Logger) => {
        const feed = new RolloutChangeFeed(redis, `${config.redisPrefix}rollout-changes`, logger);
        await feed.start();
        return feed;
      },
    },
    {
      provide: LeaderLease,
      inject: [REDIS_CLIENT, COORDINATOR_CONFIG],
      useFactory: (redis: Redis, config: CoordinatorConfig) =>
        new LeaderLease(redis, `${config.redisPrefix}rollout-orchestrator:leader`, config.rollout.leaderLeaseMs),
    },
    {
      provide: ROLLOUT_SATELLITE_GATEWAY,
      inject: [EstateStore, SatelliteClientPool],
      useFactory: (estate: EstateStore, clients: SatelliteClientPool) =>
        new GrpcRolloutSatelliteGateway(estate, clients),
    },
    WaveOrchestrator,
    RolloutEventConsumer,
    RolloutService,
    RolloutServiceHandlers,
  ],
  exports: [RolloutServiceHandlers, RolloutService, RolloutChangeFeed],
})
export class RolloutModule {}
