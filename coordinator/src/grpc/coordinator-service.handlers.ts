import { Injectable } from "@nestjs/common";
import type { CoordinatorService, ServiceImplementation } from "@sentra/proto";
import { EstateServiceHandlers } from "../estate/estate-service.handlers.js";
import { MigrationServiceHandlers } from "../migration/migration-service.handlers.js";
import { RolloutServiceHandlers } from "../rollout/rollout-service.handlers.js";
import { SecurityServiceHandlers } from "../security/security-service.handlers.js";

/**
 * CoordinatorService is one gRPC service; each feature module implements its own methods and
 * this class joins them. addService refuses to start if a method has no handler.
 */
@Injectable()
export class CoordinatorServiceHandlers {
  constructor(
    private readonly estate: EstateServiceHandlers,
    private readonly migrations: MigrationServiceHandlers,
    private readonly rollouts: RolloutServiceHandlers,
    private readonly security: SecurityServiceHandlers,
  ) {}

  implementation(): ServiceImplementation<typeof CoordinatorService> {
    return {
      ...this.estate.implementation(),
      ...this.migrations.implementation(),
      ...this.rollouts.implementation(),
      ...this.security.implementation(),
    } as ServiceImplementation<typeof CoordinatorService>;
  }
}
