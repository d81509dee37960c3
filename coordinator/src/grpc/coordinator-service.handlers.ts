import { Injectable } from "@nestjs/common";
import type { CoordinatorService, ServiceImplementation } from "@sentra/proto";
import { EstateServiceHandlers } from "../estate/estate-service.handlers.js";

/**
 * CoordinatorService is one gRPC service; each feature module implements its own methods and
 * this class joins them. addService refuses to start if a method has no handler.
 */
@Injectable()
export class CoordinatorServiceHandlers {
  constructor(private readonly estate: EstateServiceHandlers) {}

  implementation(): ServiceImplementation<typeof CoordinatorService> {
    return {
      ...this.estate.implementation(),
    } as ServiceImplementation<typeof CoordinatorService>;
  }
}
