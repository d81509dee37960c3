import type { NatsConnection } from "@nats-io/transport-node";
import { Controller, Get, Header, HttpException, Inject } from "@nestjs/common";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import type { Registry } from "prom-client";
import { METRICS_REGISTRY, MYSQL_POOL, NATS_CONNECTION, REDIS_CLIENT } from "../config/coordinator-config.js";
import { PublicRoute } from "../security/route-access.js";

/**
 * /livez (the process answers), /healthz (each dependency checked: readiness) and /metrics
 * (Prometheus text): open, for probes and scrapers.
 */
@Controller()
export class OpsController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(MYSQL_POOL) private readonly mysql: Pool,
  ) {}

  @PublicRoute()
  @Get("metrics")
  @Header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Liveness: answers while the process serves HTTP, whatever NATS, Redis or MySQL do. A restart
   * cannot mend a dependency, and a liveness probe on /healthz would restart every coordinator at
   * once when, say, MySQL is down; readiness (/healthz) takes them out of the Service instead.
   */
  @PublicRoute()
  @Get("livez")
  livez(): { status: "ok" } {
    return { status: "ok" };
  }

  /** Readiness: 503 naming the failed checks while a dependency is unreachable. */
  @PublicRoute()
  @Get("healthz")
  async healthz(): Promise<Record<string, string>> {
    const checks: Record<string, string> = {
      nats: this.nats.isClosed() ? "closed" : "ok",
      redis: await this.redis.ping().then(
        () => "ok",
        (error: unknown) => String(error),
      ),
      mysql: await this.mysql.query("SELECT 1").then(
        () => "ok",
        (error: unknown) => String(error),
      ),
    };
    const ok = Object.values(checks).every((value) => value === "ok");
    if (!ok) throw new HttpException({ status: "unhealthy", checks }, 503);
    return { status: "ok", ...checks };
  }
}
