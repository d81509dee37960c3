import { Inject, Module, type OnModuleDestroy, type OnModuleInit } from "@nestjs/common";
import { APP_GUARD, APP_INTERCEPTOR } from "@nestjs/core";
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
import { AccessControl } from "./access-control.js";
import { AdminTokenBootstrap } from "./admin-token-bootstrap.js";
import { ApiTokenStore } from "./api-token-store.js";
import { AuditLog } from "./audit-log.js";
import { AuditRecorder } from "./audit-recorder.js";
import { createGrpcSecurity } from "./grpc-security.js";
import { requiredRole } from "./method-roles.js";
import { MutationRateLimiter } from "./mutation-rate-limiter.js";
import { OpenGrpcStreams } from "./open-grpc-streams.js";
import { RestAccessGuard } from "./rest-access.guard.js";
import { RestAuditInterceptor } from "./rest-audit.interceptor.js";
import { REFUSALS_PER_SOURCE_PER_SECOND } from "./security-defaults.js";
import { SecurityMetrics } from "./security-metrics.js";
import { SecurityServiceHandlers } from "./security-service.handlers.js";
import { TokenRevocations } from "./token-revocations.js";

/**
 * The gRPC hooks of CoordinatorService: the interceptor in front of every method, the audit at its
 * end, and the open streams a revocation ends (followed from module init to destroy).
 */
export class GrpcSecurity implements OnModuleInit, OnModuleDestroy {
  private stopWatching: (() => void) | undefined;

  constructor(
    readonly hooks: ReturnType<typeof createGrpcSecurity>,
    private readonly streams: OpenGrpcStreams,
    private readonly revocations: TokenRevocations,
    private readonly recheckIntervalMs: number,
  ) {}

  onModuleInit(): void {
    this.stopWatching = this.streams.watch(this.revocations, this.recheckIntervalMs);
  }

  onModuleDestroy(): void {
    this.stopWatching?.();
  }
}

/**
 * API tokens (hashed in MySQL), roles, the audit log and the mutation rate limit, and the doors
 * that use them: the gRPC interceptor (GrpcSecurity), the global REST guard and audit interceptor,
 * and AccessControl for the dashboard socket. Provisions the bootstrap admin token at start.
 */
@Module({
  providers: [
    { provide: SecurityMetrics, inject: [METRICS_REGISTRY], useFactory: (r: Registry) => new SecurityMetrics(r) },
    { provide: ApiTokenStore, inject: [MYSQL_POOL], useFactory: (pool: Pool) => new ApiTokenStore(pool) },
    { provide: AuditLog, inject: [MYSQL_POOL], useFactory: (pool: Pool) => new AuditLog(pool) },
    {
      provide: MutationRateLimiter,
      inject: [REDIS_CLIENT, COORDINATOR_CONFIG],
      useFactory: (redis: Redis, config: CoordinatorConfig) =>
        new MutationRateLimiter(redis, config.redisPrefix, config.security.mutationRateLimitPerMinute),
    },
    {
      provide: AccessControl,
      inject: [ApiTokenStore, MutationRateLimiter, SecurityMetrics, COORDINATOR_CONFIG],
      useFactory: (
        tokens: ApiTokenStore,
        limiter: MutationRateLimiter,
        metrics: SecurityMetrics,
        config: CoordinatorConfig,
      ) =>
        new AccessControl(tokens, limiter, metrics, {
          burst: config.security.refusedSigninsPerSourceBurst,
          perSecond: config.security.refusedSigninsPerSourceBurst > 0 ? REFUSALS_PER_SOURCE_PER_SECOND : 0,
        }),
    },
    {
      provide: AuditRecorder,
      inject: [AuditLog, SecurityMetrics, LOGGER],
      useFactory: (audit: AuditLog, metrics: SecurityMetrics, logger: Logger) =>
        new AuditRecorder(audit, metrics, logger),
    },
    {
      provide: GrpcSecurity,
      inject: [AccessControl, AuditRecorder, ApiTokenStore, TokenRevocations, COORDINATOR_CONFIG, LOGGER],
      useFactory: (
        access: AccessControl,
        audit: AuditRecorder,
        tokens: ApiTokenStore,
        revocations: TokenRevocations,
        config: CoordinatorConfig,
        logger: Logger,
      ) => {
        const streams = new OpenGrpcStreams(tokens, logger, config.security.maxStreamsPerToken);
        return new GrpcSecurity(
          createGrpcSecurity({ access, audit, requiredRole, streams }),
          streams,
          revocations,
          config.security.tokenRecheckIntervalMs,
        );
      },
    },
    { provide: TokenRevocations, useFactory: () => new TokenRevocations() },
    AdminTokenBootstrap,
    SecurityServiceHandlers,
    { provide: APP_GUARD, useClass: RestAccessGuard },
    { provide: APP_INTERCEPTOR, useClass: RestAuditInterceptor },
  ],
  exports: [ApiTokenStore, AccessControl, AuditRecorder, GrpcSecurity, SecurityServiceHandlers, TokenRevocations],
})
export class SecurityModule implements OnModuleDestroy {
  constructor(@Inject(AuditRecorder) private readonly audit: AuditRecorder) {}

  /** The window's aggregated refusals are written before the pool closes (it closes after the modules). */
  onModuleDestroy(): void {
    this.audit.close();
  }
}
