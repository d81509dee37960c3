import "reflect-metadata";
import type { INestApplication } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { createLogger, createMetricsRegistry, type Logger, redactUrl } from "@sentra/common";
import { AppModule } from "./app.module.js";
import type { CoordinatorConfig } from "./config/coordinator-config.js";
import { CoordinatorGrpcServer } from "./grpc/coordinator-grpc.server.js";
import { SentraErrorFilter } from "./http/sentra-error.filter.js";
import { connectToMysql, connectToNats, connectToRedis } from "./infrastructure/connections.js";
import { migrateSchema } from "./infrastructure/schema-migrator.js";
import { PinoNestLogger } from "./pino-nest-logger.js";

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
  const closers: Array<() => Promise<unknown> | undefined> = [];
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

    const registry = createMetricsRegistry("coordinator");
    const app = await NestFactory.create(AppModule.register({ config, logger, registry, nats, redis, mysql }), {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    });
    // One place maps SentraError to HTTP status and the `{ error: { code, message, field?, details? } }` body.
    app.useGlobalFilters(new SentraErrorFilter(logger, app.getHttpAdapter()));
    // Closed on any later failure too: a half-started app must not keep its timers alive.
    closers.push(() => app.close());
    await app.listen(config.http.port, config.http.host);
    const address = app.getHttpServer().address() as { port: number };
    const httpUrl = `http://${config.http.host}:${address.port}`;
    const grpcPort = app.get(CoordinatorGrpcServer).port;
    logger.info(
      {
        httpUrl,
        grpcPort,
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
