import "reflect-metadata";
import type { Server as HttpsServer } from "node:https";
import type { INestApplication } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import {
  COORDINATOR_COMMON_NAME,
  createLogger,
  createMetricsRegistry,
  type GrpcTransportSecurity,
  type Logger,
  loadGrpcTransportSecurity,
  redactUrl,
} from "@sentra/common";
import { Counter, Gauge, type Registry } from "prom-client";
import { AppModule } from "./app.module.js";
import type { CoordinatorConfig } from "./config/coordinator-config.js";
import type { SatelliteTransport } from "./estate/satellite-client-pool.js";
import { CoordinatorGrpcServer } from "./grpc/coordinator-grpc.server.js";
import { SentraErrorFilter } from "./http/sentra-error.filter.js";
import {
  connectToMysql,
  connectToNats,
  connectToRedis,
  JOURNAL_POOL_CONNECTIONS,
  openMysqlPool,
} from "./infrastructure/connections.js";
import { migrateSchema } from "./infrastructure/schema-migrator.js";
import { PinoNestLogger } from "./pino-nest-logger.js";
import {
  followCertificateRotations,
  httpsOptionsOf,
  openApiTransport,
  registerApiTlsMetrics,
} from "./security/api-transport.js";

/** A started coordinator: its endpoints, and `close()` which stops all it opened. */
export interface RunningCoordinator {
  readonly app: INestApplication;
  readonly grpcPort: number;
  readonly httpUrl: string;
  close(): Promise<void>;
}

/** Composition root: connections and schema first (clear errors), then the Nest application. */
export async function startCoordinator(
  config: CoordinatorConfig,
  logger: Logger = createLogger("coordinator", config.logLevel),
): Promise<RunningCoordinator> {
  // Read first: a wrong TLS file fails the start before any connection is opened.
  const satelliteSecurity = loadGrpcTransportSecurity(config.satelliteTls, COORDINATOR_COMMON_NAME, logger);
  const apiTransport = openApiTransport(config.apiTls, logger);
  const closers: Array<() => Promise<unknown> | undefined> = [async () => apiTransport.close()];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: String(error) }, "error while stopping");
      }
    }
    closers.length = 0;
  };
  try {
    const nats = await connectToNats(config.natsUrl, config.natsAuth, logger);
    closers.push(() => nats.drain());
    const redis = await connectToRedis(config.redisUrl);
    closers.push(() => redis.quit());
    const mysql = await connectToMysql(config.mysqlUrl);
    closers.push(() => mysql.end());
    await migrateSchema(mysql, logger);
    const journalMysql = openMysqlPool(config.mysqlUrl, JOURNAL_POOL_CONNECTIONS);
    closers.push(() => journalMysql.end());

    const registry = createMetricsRegistry("coordinator");
    const satelliteTransport = createSatelliteTransport(satelliteSecurity, registry, logger);
    registerApiTlsMetrics(apiTransport, registry);
    const app = await NestFactory.create(
      AppModule.register({
        config,
        logger,
        registry,
        nats,
        redis,
        mysql,
        journalMysql,
        satelliteTransport,
        apiTransport,
      }),
      { logger: new PinoNestLogger(logger), abortOnError: false, httpsOptions: httpsOptionsOf(apiTransport) },
    );
    // One place maps SentraError to HTTP status and the `{ error: { code, message, field?, details? } }` body.
    app.useGlobalFilters(new SentraErrorFilter(logger, app.getHttpAdapter()));
    // Closed on any later failure too: a half-started app must not keep its timers alive.
    closers.push(() => app.close());
    if (apiTransport.mode === "tls") {
      // REST, the dashboard, Socket.IO, /metrics and /healthz share this one server.
      const stopFollowing = followCertificateRotations(app.getHttpServer() as HttpsServer, apiTransport.identity);
      closers.push(async () => stopFollowing());
    }
    await app.listen(config.http.port, config.http.host);
    const address = app.getHttpServer().address() as { port: number };
    const httpUrl = `${apiTransport.mode === "tls" ? "https" : "http"}://${config.http.host}:${address.port}`;
    const grpcPort = app.get(CoordinatorGrpcServer).port;
    logger.info(
      {
        httpUrl,
        grpcPort,
        apiTransport: apiTransport.mode,
        nats: redactUrl(config.natsUrl),
        natsAuth: config.natsAuth.nkeySeedFile ? "nkey" : config.natsAuth.credsFile ? "creds" : "none",
        redis: redactUrl(config.redisUrl),
        mysql: redactUrl(config.mysqlUrl),
      },
      "coordinator started",
    );
    return { app, grpcPort, httpUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * How the coordinator reaches satellites: its transport security, plus the metrics and log line of
 * a satellite whose certificate names another satellite (an impostor, or a misrouted endpoint).
 */
function createSatelliteTransport(
  security: GrpcTransportSecurity,
  registry: Registry,
  logger: Logger,
): SatelliteTransport {
  if (security.mode === "insecure") return { security };
  new Gauge({
    name: "sentra_coordinator_tls_certificate_expiry_timestamp_seconds",
    help: "When the coordinator's gRPC client certificate expires (Unix time): alert well before it",
    registers: [registry],
  }).set(security.notAfter.getTime() / 1000);
  const refusals = new Counter({
    name: "sentra_coordinator_satellite_identity_refusals_total",
    help: "Satellite connections refused because the certificate named another satellite",
    labelNames: ["satellite_id"],
    registers: [registry],
  });
  return {
    security,
    onIdentityRefused: (satelliteId, refusal) => {
      refusals.inc({ satellite_id: satelliteId });
      logger.warn({ satelliteId, refusal }, "satellite refused: its certificate names another party");
    },
  };
}
