import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Registry } from "prom-client";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, METRICS_REGISTRY } from "../config/coordinator-config.js";
import { EstateModule } from "../estate/estate.module.js";
import { MigrationModule } from "../migration/migration.module.js";
import { RolloutModule } from "../rollout/rollout.module.js";
import { DashboardGateway } from "./dashboard.gateway.js";
import { DashboardAccess, resolveDashboardToken } from "./dashboard-access.js";
import { DashboardActions } from "./dashboard-actions.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";
import { DashboardSiteMiddleware } from "./dashboard-site.middleware.js";
import { OperationsFeed } from "./operations-feed.service.js";

/**
 * The dashboard: its live feed (the estate, and the opportunities, migrations and rollouts of the
 * capabilities' modules), the Socket.IO gateway with the operators' actions, sign-in, and the
 * built page at `/`.
 */
@Module({
  imports: [EstateModule, MigrationModule, RolloutModule],
  providers: [
    {
      provide: DashboardAccess,
      inject: [COORDINATOR_CONFIG, LOGGER],
      useFactory: async (config: CoordinatorConfig, logger: Logger) => {
        const { token, source } = await resolveDashboardToken(config.dashboard);
        if (source.kind === "environment") {
          logger.info("dashboard sign-in token from SENTRA_DASHBOARD_TOKEN");
        } else {
          logger.info(
            { tokenFile: source.path, generated: source.generated },
            source.generated
              ? "dashboard sign-in token generated (SENTRA_DASHBOARD_TOKEN unset): read it from tokenFile"
              : "dashboard sign-in token read from tokenFile (SENTRA_DASHBOARD_TOKEN unset)",
          );
          if (source.permissionsTightened)
            logger.warn({ tokenFile: source.path }, "token file was readable by others: now 0600");
        }
        const { viewerToken } = config.dashboard;
        if (viewerToken !== undefined && viewerToken === token) {
          throw new Error("SENTRA_DASHBOARD_VIEWER_TOKEN: must differ from the operator's token");
        }
        if (viewerToken !== undefined) logger.info("dashboard viewer token from SENTRA_DASHBOARD_VIEWER_TOKEN");
        return new DashboardAccess(token, viewerToken);
      },
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
  exports: [DashboardAccess, DashboardFeed],
})
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DashboardSiteMiddleware).forRoutes({ path: "{*path}", method: RequestMethod.GET });
  }
}
