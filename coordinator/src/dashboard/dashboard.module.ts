import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Registry } from "prom-client";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, METRICS_REGISTRY } from "../config/coordinator-config.js";
import { EstateModule } from "../estate/estate.module.js";
import { MigrationModule } from "../migration/migration.module.js";
import { RolloutModule } from "../rollout/rollout.module.js";
import { AccessControl } from "../security/access-control.js";
import { ApiTokenStore } from "../security/api-token-store.js";
import { AuditRecorder } from "../security/audit-recorder.js";
import { SecurityModule } from "../security/security.module.js";
import { TokenRevocations } from "../security/token-revocations.js";
import { DashboardGateway } from "./dashboard.gateway.js";
import { DashboardActions } from "./dashboard-actions.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";
import { DashboardSiteMiddleware } from "./dashboard-site.middleware.js";
import { DashboardSocketAccess } from "./dashboard-socket-access.js";
import { OperationsFeed } from "./operations-feed.service.js";

/**
 * The dashboard: its live feed (the estate, and the opportunities, migrations and rollouts of the
 * capabilities' modules), the Socket.IO gateway with the operators' actions, sign-in with an API
 * token, and the built page at `/`.
 */
@Module({
  imports: [EstateModule, MigrationModule, RolloutModule, SecurityModule],
  providers: [
    {
      provide: DashboardSocketAccess,
      inject: [
        AccessControl,
        ApiTokenStore,
        TokenRevocations,
        AuditRecorder,
        DashboardMetrics,
        COORDINATOR_CONFIG,
        LOGGER,
      ],
      useFactory: (
        access: AccessControl,
        tokens: ApiTokenStore,
        revocations: TokenRevocations,
        audit: AuditRecorder,
        metrics: DashboardMetrics,
        config: CoordinatorConfig,
        logger: Logger,
      ) =>
        new DashboardSocketAccess({
          access,
          tokens,
          revocations,
          audit,
          metrics,
          logger,
          recheckIntervalMs: config.security.tokenRecheckIntervalMs,
          maxSocketsPerToken: config.security.maxStreamsPerToken,
        }),
    },
    {
      provide: DashboardMetrics,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => new DashboardMetrics(registry),
    },
    DashboardFeed,
    OperationsFeed,
    DashboardActions,
    DashboardGateway,
  ],
  exports: [DashboardFeed],
})
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DashboardSiteMiddleware).forRoutes({ path: "{*path}", method: RequestMethod.GET });
  }
}
