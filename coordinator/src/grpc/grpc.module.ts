import { Module } from "@nestjs/common";
import { EstateModule } from "../estate/estate.module.js";
import { MigrationModule } from "../migration/migration.module.js";
import { RolloutModule } from "../rollout/rollout.module.js";
import { SecurityModule } from "../security/security.module.js";
import { CoordinatorGrpcServer } from "./coordinator-grpc.server.js";
import { CoordinatorServiceHandlers } from "./coordinator-service.handlers.js";

/** The gRPC edge: joins the feature modules' handlers into one CoordinatorService, behind the security interceptor. */
@Module({
  imports: [EstateModule, MigrationModule, RolloutModule, SecurityModule],
  providers: [CoordinatorServiceHandlers, CoordinatorGrpcServer],
  exports: [CoordinatorGrpcServer],
})
export class GrpcModule {}
