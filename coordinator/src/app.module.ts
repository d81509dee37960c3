import { type DynamicModule, Module } from "@nestjs/common";
import { DashboardModule } from "./dashboard/dashboard.module.js";
import { EstateModule } from "./estate/estate.module.js";
import { GrpcModule } from "./grpc/grpc.module.js";
import { OpsController } from "./http/ops.controller.js";
import { type CoordinatorInfrastructure, InfrastructureModule } from "./infrastructure/infrastructure.module.js";
import { MigrationModule } from "./migration/migration.module.js";
import { RolloutModule } from "./rollout/rollout.module.js";
import { SecurityModule } from "./security/security.module.js";

export type { CoordinatorInfrastructure };

/** The coordinator: infrastructure (global), then one module per capability, then the edges. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest dynamic modules are classes with a static factory
export class AppModule {
  static register(infrastructure: CoordinatorInfrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.register(infrastructure),
        SecurityModule,
        EstateModule,
        MigrationModule,
        RolloutModule,
        GrpcModule,
        DashboardModule,
      ],
      controllers: [OpsController],
    };
  }
}
