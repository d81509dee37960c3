import type { NatsConnection } from "@nats-io/transport-node";
import { type DynamicModule, Global, Module } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import type { Registry } from "prom-client";
import {
  API_TRANSPORT,
  COORDINATOR_CONFIG,
  type CoordinatorConfig,
  LOGGER,
  METRICS_REGISTRY,
  MIGRATION_JOURNAL_POOL,
  MYSQL_POOL,
  NATS_CONNECTION,
  REDIS_CLIENT,
  SATELLITE_TRANSPORT,
} from "../config/coordinator-config.js";
import { EstateStore } from "../estate/estate-store.js";
import { SatelliteClientPool, type SatelliteTransport } from "../estate/satellite-client-pool.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import type { ApiTransport } from "../security/api-transport.js";
import { RecordRetentionService } from "./record-retention.service.js";

/** What the composition root opened before Nest starts: config, logger and connections. */
export interface CoordinatorInfrastructure {
  config: CoordinatorConfig;
  logger: Logger;
  registry: Registry;
  nats: NatsConnection;
  redis: Redis;
  mysql: Pool;
  /** The saga journal's own pool, so a busy shared pool cannot hold up a migration's next step. */
  journalMysql: Pool;
  /** mTLS (or plaintext) to the satellites, read and checked at start. */
  satelliteTransport: SatelliteTransport;
  /** TLS (following its certificate files) or plaintext for the gRPC and HTTP API, opened at start. */
  apiTransport: ApiTransport;
}

const EXPORTED = [
  COORDINATOR_CONFIG,
  LOGGER,
  METRICS_REGISTRY,
  NATS_CONNECTION,
  REDIS_CLIENT,
  MYSQL_POOL,
  MIGRATION_JOURNAL_POOL,
  SATELLITE_TRANSPORT,
  API_TRANSPORT,
  CoordinatorMetrics,
  EstateStore,
  SatelliteClientPool,
];

/** Global module: the connections and shared ports every feature module injects. */
@Global()
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest dynamic modules are classes with a static factory
export class InfrastructureModule {
  static register(infrastructure: CoordinatorInfrastructure): DynamicModule {
    const { config, logger, registry, nats, redis, mysql, journalMysql, satelliteTransport, apiTransport } =
      infrastructure;
    return {
      module: InfrastructureModule,
      providers: [
        { provide: COORDINATOR_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: METRICS_REGISTRY, useValue: registry },
        { provide: NATS_CONNECTION, useValue: nats },
        { provide: REDIS_CLIENT, useValue: redis },
        { provide: MYSQL_POOL, useValue: mysql },
        { provide: MIGRATION_JOURNAL_POOL, useValue: journalMysql },
        { provide: SATELLITE_TRANSPORT, useValue: satelliteTransport },
        { provide: API_TRANSPORT, useValue: apiTransport },
        { provide: CoordinatorMetrics, useFactory: () => new CoordinatorMetrics(registry) },
        { provide: EstateStore, useFactory: () => new EstateStore(redis, config.redisPrefix) },
        { provide: SatelliteClientPool, useFactory: () => new SatelliteClientPool(satelliteTransport) },
        RecordRetentionService,
      ],
      exports: EXPORTED,
    };
  }
}
