import { type RolloutDecision, RolloutPhase, type SatelliteService, type ServiceClient } from "@sentra/proto";
import { eventually, type RunningPrometheus, startPrometheus, type TestNamespace } from "@sentra/testkit";
import { expect } from "vitest";
import { connectToSatellite, type SatelliteProcess, startSatelliteProcess } from "./estate-processes.js";
import { fastReleasePolicy } from "./fast-release-policy.js";
import { deleteSatelliteEventStreamOnDispose, readSatelliteEvents } from "./satellite-events.js";

/** The policy every scenario's rollout starts with, before its `router:` block: short steps and 2 s decisions, so each rollout ends within ~20 s. */
export const ADAPTER_ROLLOUT_POLICY = fastReleasePolicy({ steps: [20, 30, 50] });

/** The three rollouts each router adapter test runs side by side: a failing canary, a healthy one, one whose router breaks mid-rollout. */
export const ADAPTER_SCENARIOS = ["bad", "good", "flaky"] as const;
/** One of {@link ADAPTER_SCENARIOS}. */
export type AdapterScenario = (typeof ADAPTER_SCENARIOS)[number];

/** How a scenario's rollout ended: its final phase and the decisions its satellite recorded for it. */
export interface AdapterScenarioOutcome {
  readonly phase: RolloutPhase;
  readonly decisions: RolloutDecision[];
}

/** What a scenario's rollout runs: the StartRollout fields but its id, and the `router:` block its policy ends with. */
export interface AdapterScenarioRollout {
  readonly namespace: string;
  readonly service: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
  /** Appended to the policy as it is; ends with a line break. */
  readonly routerYaml: string;
}

/** Options of {@link startAdapterRolloutSatellite}. */
export interface AdapterRolloutSatelliteOptions {
  readonly cloud: string;
  readonly region: string;
  /** The `/metrics` URLs of the simulated cloud APIs, which Prometheus scrapes. */
  readonly metricsUrls: readonly string[];
  /** The `service`/`version` label pairs whose requests Prometheus must have before the satellite starts. */
  readonly scrapedBeforeStart: readonly { readonly service: string; readonly version: string }[];
  /** More satellite environment: the adapters' endpoints and the SDKs' credentials. */
  readonly env: Readonly<Record<string, string>>;
}

/** A real satellite process, the Prometheus it reads, and the rollouts it runs through router adapters. */
export interface AdapterRolloutSatellite {
  readonly satellite: SatelliteProcess;
  readonly prometheus: RunningPrometheus;
  readonly client: ServiceClient<typeof SatelliteService>;
  /** Starts one rollout a scenario over gRPC, in scenario order, each with {@link ADAPTER_ROLLOUT_POLICY} and its router block. */
  startRollouts(
    ids: Readonly<Record<AdapterScenario, string>>,
    rollout: (scenario: AdapterScenario) => AdapterScenarioRollout,
  ): Promise<void>;
  /** Waits (up to 90 s) until every scenario's rollout has ended; returns how each one ended. */
  outcomes(ids: Readonly<Record<AdapterScenario, string>>): Promise<Record<AdapterScenario, AdapterScenarioOutcome>>;
}

const TERMINAL_PHASES = [RolloutPhase.PROMOTED, RolloutPhase.ROLLED_BACK, RolloutPhase.ABORTED, RolloutPhase.FAILED];

/**
 * Starts a real Prometheus scraping the simulated cloud APIs, waits until it has their requests,
 * then starts a satellite process reading it (its own simulated cluster carries no traffic: the
 * rollouts are in the clouds) and connects to it as the coordinator does. All is disposed with the
 * namespace, the satellite's event stream last.
 */
export async function startAdapterRolloutSatellite(
  namespace: TestNamespace,
  options: AdapterRolloutSatelliteOptions,
): Promise<AdapterRolloutSatellite> {
  deleteSatelliteEventStreamOnDispose(namespace);
  const prometheus = await startPrometheus({ targets: [...options.metricsUrls] });
  namespace.defer(() => prometheus.dispose());
  for (const { service, version } of options.scrapedBeforeStart) {
    await prometheus.waitForValue(`sum(http_requests_total{service="${service}",version="${version}"})`, 30_000);
  }
  const satellite = await startSatelliteProcess(namespace, options.cloud, options.region, {
    SENTRA_PROMETHEUS_URL: prometheus.url,
    SENTRA_SIM_TRAFFIC_RPS: "0",
    ...options.env,
    SENTRA_LOG_LEVEL: "info",
  });
  const client = await connectToSatellite(namespace, satellite);
  return {
    satellite,
    prometheus,
    client,
    async startRollouts(ids, rollout) {
      for (const scenario of ADAPTER_SCENARIOS) {
        const { routerYaml, ...fields } = rollout(scenario);
        await client.startRollout({
          rolloutId: ids[scenario],
          ...fields,
          policyYaml: `${ADAPTER_ROLLOUT_POLICY}${routerYaml}`,
        });
      }
    },
    async outcomes(ids) {
      await eventually(async () => {
        for (const id of Object.values(ids)) {
          const { rollout } = await client.getRollout({ rolloutId: id });
          expect(TERMINAL_PHASES).toContain(rollout?.phase);
        }
      }, 90_000);
      const events = await readSatelliteEvents(await namespace.nats(), namespace.subjectPrefix, satellite.satelliteId);
      const decisions = events.flatMap(({ event }) =>
        event.body.case === "rolloutDecision" ? [event.body.value] : [],
      );
      const result = {} as Record<AdapterScenario, AdapterScenarioOutcome>;
      for (const scenario of ADAPTER_SCENARIOS) {
        const { rollout } = await client.getRollout({ rolloutId: ids[scenario] });
        result[scenario] = {
          phase: rollout?.phase ?? RolloutPhase.UNSPECIFIED,
          decisions: decisions.filter((decision) => decision.rolloutId === ids[scenario]),
        };
      }
      return result;
    },
  };
}

/** The decision that ended a rollback (`rollbackComplete`), if there is one. */
export function rollbackComplete(decisions: readonly RolloutDecision[]): RolloutDecision | undefined {
  return decisions.find((decision) => decision.decision === "rollbackComplete");
}
