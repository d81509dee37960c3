import type { NatsConnection } from "@nats-io/transport-node";
import { Module } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Pool } from "mysql2/promise";
import {
  COORDINATOR_CONFIG,
  type CoordinatorConfig,
  LOGGER,
  MYSQL_POOL,
  NATS_CONNECTION,
} from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateChangeRelay } from "./estate-change-relay.js";
import { EstateEvents } from "./estate-events.js";
import { EstateServiceHandlers } from "./estate-service.handlers.js";
import { EstateStore } from "./estate-store.js";
import { LiveEstate, LiveEstateIndex } from "./live-estate-index.js";
import { LivenessMonitor } from "./liveness-monitor.service.js";
import { SatelliteAdmission } from "./satellite-admission.js";
import { SatelliteBindingRepository } from "./satellite-binding.repository.js";
import { SatelliteIngestService } from "./satellite-ingest.service.js";
import { SatelliteRecordRepository } from "./satellite-record.repository.js";
import { SatelliteRecorder } from "./satellite-recorder.js";
import { WorkloadInventoryService } from "./workload-inventory.service.js";

/** The live estate: ingest, liveness, workload inventory and the estate's gRPC reads. */
@Module({
  providers: [
    {
      provide: SatelliteRecordRepository,
      inject: [MYSQL_POOL],
      useFactory: (mysql: Pool) => new SatelliteRecordRepository(mysql),
    },
    {
      provide: SatelliteBindingRepository,
      inject: [MYSQL_POOL],
      useFactory: (mysql: Pool) => new SatelliteBindingRepository(mysql),
    },
    {
      provide: SatelliteAdmission,
      inject: [SatelliteBindingRepository, COORDINATOR_CONFIG, LOGGER, CoordinatorMetrics],
      useFactory: (
        repository: SatelliteBindingRepository,
        config: CoordinatorConfig,
        logger: Logger,
        metrics: CoordinatorMetrics,
      ) =>
        new SatelliteAdmission(repository, config.ingest.admission, logger, {
          onError: () => metrics.bindingErrors.inc(),
          onWaiting: (count) => metrics.admissionWaiting.set(count),
        }),
    },
    {
      provide: SatelliteRecorder,
      inject: [SatelliteRecordRepository, LOGGER, CoordinatorMetrics],
      useFactory: (repository: SatelliteRecordRepository, logger: Logger, metrics: CoordinatorMetrics) =>
        new SatelliteRecorder(repository, logger, (error) => {
          metrics.recordErrors.inc();
          logger.warn({ err: String(error) }, "could not write satellite records to MySQL; retrying");
        }),
    },
    {
      provide: EstateChangeRelay,
      inject: [NATS_CONNECTION, COORDINATOR_CONFIG, EstateEvents, CoordinatorMetrics, LOGGER],
      useFactory: (
        nats: NatsConnection,
        config: CoordinatorConfig,
        events: EstateEvents,
        metrics: CoordinatorMetrics,
        logger: Logger,
      ) => new EstateChangeRelay(nats, config.subjectPrefix, events, metrics, logger),
    },
    EstateEvents,
    {
      provide: LiveEstate,
      inject: [EstateEvents, EstateStore],
      useFactory: (events: EstateEvents, store: EstateStore) => {
        const index = new LiveEstateIndex();
        events.on("satelliteChanged", ({ health, receivedAtMs }) => index.heartbeat(health, receivedAtMs));
        events.on("satelliteForgotten", ({ satelliteId }) => index.forget(satelliteId));
        return new LiveEstate(index, (nowMs) => store.satellites(nowMs));
      },
    },
    LivenessMonitor,
    SatelliteIngestService,
    WorkloadInventoryService,
    EstateServiceHandlers,
  ],
  exports: [EstateServiceHandlers, WorkloadInventoryService, EstateEvents, LiveEstate],
})
export class EstateModule {}
