import { readFileSync } from "node:fs";
import type { SatelliteService, ServiceClient } from "@sentra/proto";
import { canaryShareOf, parseUpstreamServers, WorkloadServer } from "@sentra/satellite";
import {
  freePort,
  type RunningHaproxy,
  type RunningLoadGenerator,
  type RunningNginx,
  type RunningPrometheus,
  startHaproxy,
  startLoadGenerator,
  startNginx,
  startPrometheus,
  type TestNamespace,
} from "@sentra/testkit";
import { connectToSatellite, type SatelliteProcess, startSatelliteProcess } from "./estate-processes.js";

/** The service on the VMs behind the proxy: versions v1 (stable) and v2 (the release). */
export const LEGACY_SERVICE = { namespace: "vm", service: "web", stable: "v1", canary: "v2" } as const;

/** Requests per second the load generator sends through the proxy. */
const LOAD_REQUESTS_PER_SECOND = 60;

/** Options of {@link startLegacyRouterEstate}. */
export interface LegacyRouterEstateOptions {
  /** Share of v2's requests that fail from the start. @default 0 */
  readonly canaryErrorRate?: number;
}

/**
 * A real proxy (HAProxy or NGINX) in front of two versions of `web` (node HTTP servers with the
 * simulated cluster's workload model and metrics), a steady load through the proxy, a real
 * Prometheus scraping both versions, and a real satellite process whose rollouts move the proxy's
 * weights through its router adapter.
 */
export interface LegacyRouterEstate {
  /** The satellite process now (a new one after {@link crashAndRestartSatellite}). */
  readonly satellite: SatelliteProcess;
  readonly client: ServiceClient<typeof SatelliteService>;
  /** Kills the satellite (SIGKILL) and starts a new one with the same settings, which resumes from its events. */
  crashAndRestartSatellite(): Promise<void>;
  readonly prometheus: RunningPrometheus;
  readonly load: RunningLoadGenerator;
  /** The policy's `router:` section for this proxy, as YAML (indented for a mapping at column 0). */
  readonly routerYaml: string;
  /** The canary's share the proxy serves now (read from HAProxy's runtime API / NGINX's upstream file). */
  canaryWeight(): Promise<number>;
  /** Requests a version has served so far (its own counter). */
  served(version: "v1" | "v2"): Promise<number>;
  /** Sets a version's error rate for the requests from now on. */
  setErrorRate(version: "v1" | "v2", errorRate: number): void;
  /** Makes the router adapter's weight call fail: HAProxy's unix socket removed / the nginx binary removed. */
  breakPrimary(): void;
}

/** Starts the estate for `proxy`; everything is stopped with the namespace. */
export async function startLegacyRouterEstate(
  namespace: TestNamespace,
  proxy: "haproxy" | "nginx",
  options: LegacyRouterEstateOptions = {},
): Promise<LegacyRouterEstate> {
  const { service } = LEGACY_SERVICE;
  const servers = {
    v1: new WorkloadServer({ service, version: "v1", errorRate: 0, latencyMs: 5 }),
    v2: new WorkloadServer({ service, version: "v2", errorRate: options.canaryErrorRate ?? 0, latencyMs: 5 }),
  };
  for (const server of Object.values(servers)) namespace.defer(() => server.close());
  const [v1Port, v2Port] = [await servers.v1.listening(), await servers.v2.listening()];
  const v1Address = `127.0.0.1:${v1Port}`;
  const v2Address = `127.0.0.1:${v2Port}`;

  let frontendUrl: string;
  let routerYaml: string;
  let canaryWeight: () => Promise<number>;
  let breakPrimary: () => void;
  if (proxy === "haproxy") {
    const haproxy: RunningHaproxy = await startHaproxy({
      servers: [
        { name: "web-v1", address: v1Address, weight: 100 },
        { name: "web-v2", address: v2Address, weight: 0 },
      ],
    });
    namespace.defer(() => haproxy.dispose());
    frontendUrl = haproxy.url;
    routerYaml = [
      "router:",
      "  adapter: haproxy",
      `  runtimeApi: ${haproxy.socketPath}`,
      `  fallbackRuntimeApi: "${haproxy.tcpAddress}"`,
      "  backend: web",
      '  stableServer: "{{service}}-{{stableVersion}}"',
      '  canaryServer: "{{service}}-{{version}}"',
    ].join("\n");
    canaryWeight = async () => {
      const state = await haproxy.command("show servers state web", "tcp");
      const rows = state
        .split("\n")
        .filter((line) => / web-v[12] /.test(line))
        .map((line) => line.split(" "));
      // Columns: … srv_name (4th) … srv_admin_state (7th), srv_uweight (8th).
      const of = (name: string) => rows.find((row) => row[3] === name) ?? [];
      const canary = of("web-v2");
      const maint = (Number(canary[6]) & 0x23) !== 0;
      const stableWeight = Number(of("web-v1")[7]);
      const canaryWeightNow = maint ? 0 : Number(canary[7]);
      return Math.round((canaryWeightNow / (stableWeight + canaryWeightNow)) * 100);
    };
    breakPrimary = () => haproxy.removeSocket();
  } else {
    const nginx: RunningNginx = await startNginx({ servers: [{ address: v1Address, parameters: "weight=100" }] });
    namespace.defer(() => nginx.dispose());
    frontendUrl = nginx.url;
    routerYaml = [
      "router:",
      "  adapter: nginx-upstream",
      `  upstreamFile: ${nginx.upstreamFile}`,
      "  upstream: web",
      `  stableServer: "${v1Address}"`,
      `  canaryServer: "${v2Address}"`,
      `  pidFile: ${nginx.pidFile}`,
      `  nginx: ${nginx.binary}`,
      `  prefix: ${nginx.prefix}`,
      `  config: ${nginx.configFile}`,
      '  directives: ["keepalive 16"]',
    ].join("\n");
    canaryWeight = async () =>
      canaryShareOf(parseUpstreamServers(readFileSync(nginx.upstreamFile, "utf8"), "web") ?? [], v1Address, v2Address);
    breakPrimary = () => nginx.removeBinary();
  }

  const load = startLoadGenerator({ url: `${frontendUrl}/`, requestsPerSecond: LOAD_REQUESTS_PER_SECOND });
  namespace.defer(() => load.stop());
  // The satellite must know its Prometheus URL before it starts; Prometheus needs only the versions.
  const prometheusPort = await freePort();
  const prometheus = await startPrometheus({
    targets: [`${servers.v1.url}/metrics`, `${servers.v2.url}/metrics`],
    port: prometheusPort,
  });
  namespace.defer(() => prometheus.dispose());
  const satelliteEnv = {
    SENTRA_PROMETHEUS_URL: prometheus.url,
    // No simulated traffic: the only requests are the load generator's, through the real proxy.
    SENTRA_SIM_TRAFFIC_RPS: "0",
    SENTRA_LOG_LEVEL: "info",
  };
  let satellite = await startSatelliteProcess(namespace, "aws", "eu-west-1", satelliteEnv);
  let client = await connectToSatellite(namespace, satellite);
  await prometheus.waitForValue(`sum(http_requests_total{service="${service}",version="v1"})`, 30_000);

  return {
    get satellite() {
      return satellite;
    },
    get client() {
      return client;
    },
    async crashAndRestartSatellite() {
      await satellite.process.kill();
      satellite = await startSatelliteProcess(namespace, "aws", "eu-west-1", satelliteEnv);
      client = await connectToSatellite(namespace, satellite);
    },
    prometheus,
    load,
    routerYaml,
    canaryWeight,
    async served(version) {
      const metrics = await servers[version].registry.getMetricsAsJSON();
      const requests = metrics.find((metric) => metric.name === "http_requests_total");
      return (requests?.values ?? []).reduce((total, sample) => total + Number(sample.value), 0);
    },
    setErrorRate(version, errorRate) {
      const server = servers[version];
      server.configure({ ...server.behaviour, errorRate });
    },
    breakPrimary,
  };
}
