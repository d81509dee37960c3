import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@sentra/common";
import { satelliteEventStream, satelliteSubject } from "@sentra/proto";
import type { Registry } from "prom-client";
import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import type { SatelliteConfig } from "../config/satellite-config.js";
import { createEventOutboxMetrics, EventOutbox } from "../events/event-outbox.js";
import { ensureEventStream } from "../events/event-stream.js";
import {
  createLokiProvider,
  createPrometheusProvider,
  createTempoProvider,
  type ProviderRegistry,
} from "../rollout/index.js";
import type { SatelliteIdentity } from "../satellite-identity.js";
import { readRolloutRecords } from "./read-rollout-records.js";
import { ReleaseGuard } from "./release-guard.js";

/** A running release guard and what it owns. */
export interface RunningReleaseGuard {
  readonly guard: ReleaseGuard;
  /** Stops the engines, then publishes what is still queued (briefly) and closes the outbox. */
  close(): Promise<void>;
}

/** Share of the router deadline the replica-ratio router may spend waiting for readiness. */
const READINESS_SHARE_OF_ROUTER_TIMEOUT = 0.8;

/**
 * Starts the satellite's release guard: the event stream and outbox on JetStream, the telemetry
 * providers from the configuration, and the rollouts found in the satellite's own events, resumed.
 */
export async function startReleaseGuard(
  config: SatelliteConfig,
  identity: SatelliteIdentity,
  clusters: ClusterRegistry,
  nats: NatsConnection,
  registry: Registry,
  logger: Logger,
): Promise<RunningReleaseGuard> {
  const log = logger.child({ component: "release-guard" });
  const subject = satelliteSubject(identity.satelliteId, "event", config.subjectPrefix);
  const stream = satelliteEventStream(config.subjectPrefix).name;
  // No stream (or no JetStream) yet means nothing to resume; the stream is created by the first
  // StartRollout, so satellites that never roll out anything leave JetStream alone.
  const recovered = await readRolloutRecords(nats, stream, subject, log).catch((error: unknown) => {
    // The client does not export JetStreamNotEnabled from its entry point; its name is stable.
    if (!(error instanceof Error && error.name === "JetStreamNotEnabled")) throw error;
    log.error({ err: error.message }, "NATS has no JetStream: rollouts cannot be recorded, resumed or started");
    return [];
  });

  const { telemetry } = config;
  const http = { timeoutMs: telemetry.timeoutMs };
  const providers: ProviderRegistry = {
    prometheus: createPrometheusProvider({ baseUrl: telemetry.prometheusUrl, ...http }),
    ...(telemetry.lokiUrl ? { loki: createLokiProvider({ baseUrl: telemetry.lokiUrl, ...http }) } : {}),
    ...(telemetry.tempoUrl ? { tempo: createTempoProvider({ baseUrl: telemetry.tempoUrl, ...http }) } : {}),
  };

  const outbox = new EventOutbox(nats, {
    subject,
    ackWaitMs: config.rollouts.eventAckWaitMs,
    logger: log,
    metrics: createEventOutboxMetrics(registry),
  });
  const guard = await ReleaseGuard.create(
    {
      satelliteId: identity.satelliteId,
      clusters,
      providers,
      providerHints: {
        prometheus: "set SENTRA_PROMETHEUS_URL",
        loki: "set SENTRA_LOKI_URL",
        tempo: "set SENTRA_TEMPO_URL",
      },
      events: outbox,
      prepareEvents: async () => {
        await ensureEventStream(nats, config.subjectPrefix, log);
      },
      registry,
      logger: log,
      routerTimeoutMs: config.rollouts.routerTimeoutMs,
      adapterEndpoints: config.adapters.endpoints,
      replicaReadinessTimeoutMs: Math.floor(config.rollouts.routerTimeoutMs * READINESS_SHARE_OF_ROUTER_TIMEOUT),
    },
    recovered,
  );
  log.info(
    {
      stream,
      prometheus: telemetry.prometheusUrl,
      loki: telemetry.lokiUrl ?? null,
      tempo: telemetry.tempoUrl ?? null,
      resumed: recovered.length,
    },
    "release guard started",
  );
  return {
    guard,
    async close() {
      await guard.close();
      await outbox.close();
    },
  };
}
