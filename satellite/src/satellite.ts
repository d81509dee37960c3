import { create } from "@bufbuild/protobuf";
import { connect, credsAuthenticator, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import {
  COORDINATOR_COMMON_NAME,
  createLogger,
  createMetricsRegistry,
  type Logger,
  loadGrpcTransportSecurity,
  readNatsCredentials,
  redactUrl,
  SentraError,
  satelliteCommonName,
} from "@sentra/common";
import {
  addHealth,
  addReflection,
  addService,
  createSecuredServer,
  RegionSchema,
  SatelliteService,
  satelliteInboxPrefix,
  type TransportRefusal,
} from "@sentra/proto";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { ClusterRegistry } from "./cluster/cluster-registry.js";
import type { SatelliteConfig } from "./config/satellite-config.js";
import { ReleasePolicyController } from "./gitops/release-policy-controller.js";
import { createRolloutHandlers } from "./grpc/rollout-handlers.js";
import { createSatelliteServiceHandlers } from "./grpc/satellite-service-handlers.js";
import { startOpsServer } from "./ops/ops-server.js";
import { simulatedWorkloadMetrics, WORKLOAD_METRICS_PATH } from "./ops/simulated-workload-metrics.js";
import type { LivePriceMetrics } from "./price/index.js";
import { findRegion } from "./region/index.js";
import { startReleaseGuard } from "./release-guard/index.js";
import type { SatelliteIdentity } from "./satellite-identity.js";
import { createPriceSource } from "./telemetry/price-source-factory.js";
import { SatellitePublisher } from "./telemetry/satellite-publisher.js";

/** @default 10000 — how long one connection attempt to NATS may take. */
const NATS_CONNECT_TIMEOUT_MS = 10_000;
/**
 * @default 60000 — how long start-up keeps retrying an unreachable NATS before failing with a clear
 * message. Estates start all at once (a demo, a cluster reboot): NATS may come up a little later,
 * or answer slowly on a loaded node; refused credentials fail at once.
 */
const NATS_START_DEADLINE_MS = 60_000;
export const SATELLITE_VERSION = "0.1.0";

/** A started satellite: its endpoints, and `close()` which stops everything it started. */
export interface RunningSatellite {
  readonly identity: SatelliteIdentity;
  readonly grpcEndpoint: string;
  readonly opsUrl: string;
  readonly clusters: ClusterRegistry;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Composition root: clusters, price source, NATS publisher, gRPC service, ops endpoints. */
export async function startSatellite(
  config: SatelliteConfig,
  logger = createLogger("satellite", config.logLevel),
): Promise<RunningSatellite> {
  const startedAt = new Date();
  const identity = resolveIdentity(config);
  const log = logger.child({ satelliteId: identity.satelliteId });
  const registry = createMetricsRegistry("satellite");
  // Read first: a wrong TLS file fails the start before anything is opened.
  const transportSecurity = loadGrpcTransportSecurity(config.grpc.tls, satelliteCommonName(identity.satelliteId), log);
  const closers: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        log.warn({ err: String(error) }, "error while stopping");
      }
    }
    closers.length = 0;
  };

  try {
    const clusters = await ClusterRegistry.start(config, log);
    closers.push(() => clusters.stop());
    const { source: prices, live: livePrices } = await createPriceSource(config, startedAt, {
      logger: log,
      metrics: livePriceMetrics(registry),
    });
    if (livePrices !== undefined) {
      livePrices.start();
      closers.push(() => livePrices.close());
    }

    // Before gRPC: the rollout methods need the release guard, and the guard resumes its rollouts
    // from the JetStream event stream.
    const nats = await connectNatsWithRetry(config, identity.satelliteId, log);
    closers.push(() => nats.drain());
    const releaseGuard = await startReleaseGuard(config, identity, clusters, nats, registry, log);
    closers.push(() => releaseGuard.close());
    if (config.releasePolicies.intervalMs !== undefined) {
      const releasePolicies = new ReleasePolicyController({
        satelliteId: identity.satelliteId,
        clusters,
        guard: releaseGuard.guard,
        logger: log,
        registry,
        intervalMs: config.releasePolicies.intervalMs,
      });
      releasePolicies.start();
      // Stopped before the guard: no rollout starts while the guard closes.
      closers.push(() => releasePolicies.close());
    }

    const refusals = new Counter({
      name: "sentra_satellite_grpc_refusals_total",
      help: "gRPC connections refused at the TLS handshake and calls refused because the certificate may not call",
      labelNames: ["stage", "reason"],
      registers: [registry],
    });
    if (transportSecurity.mode === "mtls") {
      new Gauge({
        name: "sentra_satellite_tls_certificate_expiry_timestamp_seconds",
        help: "When the satellite's gRPC certificate expires (Unix time): alert well before it",
        registers: [registry],
      }).set(transportSecurity.notAfter.getTime() / 1000);
    }
    // Only the coordinator may call: any service, health and reflection included (docs/security.md).
    const { server: grpcServer, listen } = createSecuredServer({
      security: transportSecurity,
      allowedClientCommonNames: [COORDINATOR_COMMON_NAME],
      onRefused: (refusal: TransportRefusal) => {
        refusals.inc({ stage: refusal.stage, reason: refusal.reason });
        log.warn({ refusal }, "gRPC caller refused");
      },
    });
    const grpcCalls = new Histogram({
      name: "sentra_satellite_grpc_call_duration_seconds",
      help: "SatelliteService call duration by method and status code",
      labelNames: ["method", "code"],
      registers: [registry],
    });
    const handlers = {
      ...createSatelliteServiceHandlers(identity, clusters),
      ...createRolloutHandlers(releaseGuard.guard),
    };
    addService(grpcServer, SatelliteService, handlers, {
      onCallEnd: (method, code, ms) => grpcCalls.observe({ method, code }, ms / 1000),
    });
    addReflection(grpcServer, [SatelliteService]);
    addHealth(grpcServer, [SatelliteService]);
    const grpcPort = await listen(`${config.grpc.host}:${config.grpc.port}`);
    closers.push(() => new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve())));
    const grpcEndpoint = config.grpc.advertisedEndpoint ?? `${config.grpc.host}:${grpcPort}`;

    const publisher = new SatellitePublisher(
      nats,
      identity,
      clusters,
      prices,
      {
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        priceIntervalMs: config.priceIntervalMs,
        subjectPrefix: config.subjectPrefix,
        grpcEndpoint,
        startedAt,
      },
      {
        published: new Counter({
          name: "sentra_satellite_messages_published_total",
          help: "NATS messages published",
          labelNames: ["kind"],
          registers: [registry],
        }),
        publishErrors: new Counter({
          name: "sentra_satellite_publish_errors_total",
          help: "NATS publishes that failed",
          labelNames: ["kind"],
          registers: [registry],
        }),
        clusterReachable: new Gauge({
          name: "sentra_satellite_cluster_reachable",
          help: "1 when the cluster's API answers",
          labelNames: ["cluster"],
          registers: [registry],
        }),
        spotPrice: new Gauge({
          name: "sentra_satellite_spot_price_usd_per_hour",
          help: "Latest spot price",
          labelNames: ["instance_type", "zone"],
          registers: [registry],
        }),
      },
      log,
    );
    publisher.start();
    closers.push(() => publisher.stop());

    const ops = await startOpsServer(
      config.http.host,
      config.http.port,
      registry,
      () => {
        const clusterStates = clusters.all().map((cluster) => ({ cluster: cluster.name, ...cluster.health() }));
        return {
          ok: !nats.isClosed(),
          satelliteId: identity.satelliteId,
          nats: nats.isClosed() ? "closed" : "open",
          clusters: clusterStates,
          // For people, not for readiness: a pricing API outage must not take the release guard down.
          prices:
            livePrices === undefined
              ? { source: config.price.source }
              : {
                  source: config.price.source,
                  confirmedAt: livePrices.confirmedAt()?.toISOString() ?? null,
                  lastError: livePrices.lastError()?.message ?? null,
                },
        };
      },
      { [WORKLOAD_METRICS_PATH]: () => simulatedWorkloadMetrics(clusters) },
    );
    closers.push(() => ops.close());

    log.info(
      {
        grpcEndpoint,
        grpcTransport: transportSecurity.mode,
        opsUrl: ops.url,
        ...(clusters.simulatedClusters().length > 0
          ? { workloadMetricsUrl: `${ops.url}${WORKLOAD_METRICS_PATH}` }
          : {}),
        clusters: clusters.names(),
        region: identity.region.name,
        priceSource: config.price.source,
        ...(livePrices !== undefined
          ? {
              priceRefreshIntervalMs: config.price.refreshIntervalMs,
              priceCache: config.price.cache.redisUrl ? "redis" : "memory",
            }
          : {}),
        nats: redactUrl(config.natsUrl),
        natsAuth: natsAuthKind(config),
      },
      "satellite started",
    );
    return { identity, grpcEndpoint, opsUrl: ops.url, clusters, logger: log, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The live price sources' metrics, labelled by API (`aws`, `azure`, `gcp`). */
function livePriceMetrics(registry: Registry): LivePriceMetrics {
  const refreshes = new Counter({
    name: "sentra_satellite_price_refreshes_total",
    help: "Live spot price refreshes by API and outcome (success, cached, failure, throttled)",
    labelNames: ["source", "outcome"],
    registers: [registry],
  });
  const throttles = new Counter({
    name: "sentra_satellite_price_throttles_total",
    help: "Throttled answers of a live pricing API (each retried page counts)",
    labelNames: ["source"],
    registers: [registry],
  });
  const age = new Gauge({
    name: "sentra_satellite_price_age_seconds",
    help: "Seconds since the live pricing API last confirmed the prices being published",
    labelNames: ["source"],
    registers: [registry],
  });
  return {
    refresh: (source, outcome) => refreshes.inc({ source, outcome }),
    throttled: (source) => throttles.inc({ source }),
    age: (source, seconds) => age.set({ source }, seconds),
  };
}

function resolveIdentity(config: SatelliteConfig): SatelliteIdentity {
  const known = findRegion(config.cloud, config.region);
  const coordinates =
    config.coordinates ?? (known ? { latitude: known.latitude, longitude: known.longitude } : undefined);
  if (!coordinates) {
    throw SentraError.invalidArgument(
      "SENTRA_REGION_LATITUDE",
      `region ${config.cloud}/${config.region} is not in the built-in catalogue: set SENTRA_REGION_LATITUDE and SENTRA_REGION_LONGITUDE`,
    );
  }
  return {
    satelliteId: config.satelliteId,
    version: SATELLITE_VERSION,
    region: create(RegionSchema, {
      cloud: config.cloud,
      name: config.region,
      displayName: known?.displayName ?? config.region,
      city: known?.city ?? "",
      latitude: coordinates.latitude,
      longitude: coordinates.longitude,
    }),
  };
}

/** How the satellite authenticates to NATS, for the start-up log (never the secret). */
function natsAuthKind(config: SatelliteConfig): "nkey" | "creds" | "none" {
  return config.natsAuth.nkeySeedFile ? "nkey" : config.natsAuth.credsFile ? "creds" : "none";
}

/** {@link connectNats}, retried while NATS is unreachable, up to {@link NATS_START_DEADLINE_MS}. */
async function connectNatsWithRetry(
  config: SatelliteConfig,
  satelliteId: string,
  logger: Logger,
): Promise<NatsConnection> {
  const deadline = Date.now() + NATS_START_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectNats(config, satelliteId, logger);
    } catch (error) {
      if (!(error instanceof SentraError) || error.code !== "UNAVAILABLE" || Date.now() >= deadline) throw error;
      logger.warn({ attempt, err: error.message }, "NATS not reachable yet: retrying");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * Connects with the satellite's own NATS identity, if configured, and an inbox under
 * `satelliteInboxPrefix(id)`: its NATS user may receive replies (JetStream acks, API answers)
 * only there (docs/security.md, "NATS").
 */
async function connectNats(config: SatelliteConfig, satelliteId: string, logger: Logger): Promise<NatsConnection> {
  const credentials = readNatsCredentials(config.natsAuth);
  if (credentials?.othersCanRead) {
    logger.warn({ file: credentials.file }, "NATS credentials file is readable by group or others: chmod 600 it");
  }
  const url = config.natsUrl;
  try {
    const connection = await connect({
      servers: url,
      name: `sentra-satellite-${satelliteId}`,
      inboxPrefix: satelliteInboxPrefix(satelliteId),
      ...(credentials
        ? {
            authenticator:
              credentials.kind === "nkey"
                ? nkeyAuthenticator(credentials.secret)
                : credsAuthenticator(credentials.secret),
          }
        : {}),
      timeout: NATS_CONNECT_TIMEOUT_MS,
      // After the first connection, never give up: a satellite keeps guarding its cluster offline.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === "disconnect" || status.type === "reconnect")
          logger.warn({ nats: status.type }, "NATS connection status");
        // A permission violation means this satellite tried something its NATS user may not do.
        if (status.type === "error") logger.warn({ err: String(status.error) }, "NATS error");
      }
    })();
    return connection;
  } catch (error) {
    if (isAuthorizationError(error)) {
      throw new SentraError(
        "UNAUTHENTICATED",
        `NATS at ${redactUrl(url)} refused the satellite's credentials (${credentials ? credentials.file : "none given"}): set SENTRA_NATS_NKEY_SEED_FILE to this satellite's seed from 'sentra nats-config'`,
        { cause: error },
      );
    }
    throw new SentraError(
      "UNAVAILABLE",
      `cannot reach NATS at ${redactUrl(url)}: start nats-server with JetStream (nats-server -js) or set NATS_URL`,
      { cause: error },
    );
  }
}

function isAuthorizationError(error: unknown): boolean {
  return error instanceof Error && /authorization|authentication/i.test(`${error.name} ${error.message}`);
}
