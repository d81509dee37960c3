import { Module } from "@nestjs/common";
import type { Pool } from "mysql2/promise";
import { MYSQL_POOL } from "../config/coordinator-config.js";
import { EstateEvents } from "./estate-events.js";
import { EstateServiceHandlers } from "./estate-service.handlers.js";
import { LivenessMonitor } from "./liveness-monitor.service.js";
import { SatelliteIngestService } from "./satellite-ingest.service.js";
import { SatelliteRecordRepository } from "./satellite-record.repository.js";
import { WorkloadInventoryService } from "./workload-inventory.service.js";

/** The live estate: ingest, liveness, workload inventory and the estate's gRPC reads. */
@Module({
  providers: [
    {
      provide: SatelliteRecordRepository,
      inject: [MYSQL_POOL],
      useFactory: (mysql: Pool) => new SatelliteRecordRepository(mysql),
    },
    EstateEvents,
    LivenessMonitor,
    SatelliteIngestService,
    WorkloadInventoryService,
    EstateServiceHandlers,
  ],
  exports: [EstateServiceHandlers, WorkloadInventoryService, EstateEvents],
})
export class EstateModule {}
