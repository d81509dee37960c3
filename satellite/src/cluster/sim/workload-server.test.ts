import { eventually } from "@sentra/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { DEPLOYMENT_RESOURCE } from "./deployment-kind.js";
import { SimulatedCluster } from "./simulated-cluster.js";
import { versionedServiceManifests } from "./versioned-service-manifests.js";
import { SIM_ERROR_RATE_ANNOTATION, SIM_LATENCY_ANNOTATION } from "./workload-server.js";
import type { WorkloadServerInfo } from "./workload-servers.js";

/** Open TCP servers and sockets of this process (a closed handle leaves the list a moment later). */
function tcpHandles(): { servers: number; sockets: number } {
  const kinds = process.getActiveResourcesInfo();
  return {
    servers: kinds.filter((kind) => kind === "TCPServerWrap").length,
    sockets: kinds.filter((kind) => kind === "TCPSocketWrap").length,
  };
}

/** One sample of a text exposition, or undefined. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the versions' real HTTP servers", () => {
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
  });

  async function start(): Promise<{ sim: SimulatedCluster; advance: (seconds: number) => Promise<void> }> {
    const sim = await SimulatedCluster.start({
      name: "servers",
      readinessDelayMs: 0,
      traffic: { requestsPerSecond: 50, tickMs: 3_600_000 },
    });
    cluster = sim;
    sim.ensureNamespace("shop");
    let now = performance.now();
    await sim.traffic?.tick(now);
    return {
      sim,
      advance: async (seconds) => {
        now += seconds * 1000;
        await sim.traffic?.tick(now);
      },
    };
  }

  const serverOf = (sim: SimulatedCluster, name: string): WorkloadServerInfo | undefined =>
    sim.workloadServers()?.find((server) => server.name === name);

  it("starts one per version on its first request, answers at the annotations' error rate and latency, changed at run time", async () => {
    const { sim, advance } = await start();
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "checkout",
      versions: [{ version: "v1", replicas: 2, latencyMs: 200 }],
    })) {
      sim.createObject(object);
    }
    expect(sim.workloadServers()).toEqual([]);
    await advance(2);
    const server = serverOf(sim, "checkout-v1");
    expect(server).toMatchObject({
      namespace: "shop",
      service: "checkout",
      version: "v1",
      errorRate: 0,
      latencyMs: 200,
    });

    // A real server: anyone can send it requests, and it counts them as it counts the gateway's.
    const url = server?.url ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const sentAt = performance.now();
    expect((await fetch(`${url}/any/path`)).status).toBe(200);
    // The answer really waited: at least half the median of 200 ms.
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(95);
    let own = await (await fetch(`${url}/metrics`)).text();
    expect(sample(own, 'http_requests_total{service="checkout",version="v1",code="200"}')).toBe(101);
    // Every recorded duration is within [0.5, 1.5) × the median: none under 100 ms, all under 300 ms.
    expect(sample(own, 'http_request_duration_seconds_bucket{le="0.05",service="checkout",version="v1"}')).toBe(0);
    expect(sample(own, 'http_request_duration_seconds_bucket{le="0.3",service="checkout",version="v1"}')).toBe(101);
    expect(sample(own, 'http_request_duration_seconds_count{service="checkout",version="v1"}')).toBe(101);

    // The annotations change at run time; the same server answers the next requests accordingly.
    sim.patchObject(DEPLOYMENT_RESOURCE, "shop", "checkout-v1", {
      metadata: { annotations: { [SIM_ERROR_RATE_ANNOTATION]: "0.25", [SIM_LATENCY_ANNOTATION]: "0" } },
    });
    expect(serverOf(sim, "checkout-v1")).toMatchObject({ url, errorRate: 0.25, latencyMs: 0 });
    await advance(2);
    own = await (await fetch(`${url}/metrics`)).text();
    expect(sample(own, 'http_requests_total{service="checkout",version="v1",code="500"}')).toBe(25);
    expect(sample(own, 'http_requests_total{service="checkout",version="v1",code="200"}')).toBe(101 + 75);
    // The cluster's exposition is gathered from the servers' registries (and the gateway's).
    const gathered = (await sim.metrics())?.text ?? "";
    expect(sample(gathered, 'http_requests_total{service="checkout",version="v1",code="500"}')).toBe(25);
    expect(
      sample(
        gathered,
        'sentra_sim_gateway_requests_total{namespace="shop",route="checkout",backend="checkout-v1",code="500"}',
      ),
    ).toBe(25);

    // The admin API lists the servers, for people and scripts.
    const listed = (await (await fetch(`${sim.url}/sentra-sim/v1/workloads`)).json()) as {
      workloads: WorkloadServerInfo[];
    };
    expect(listed.workloads.map((workload) => [workload.name, workload.url])).toEqual([["checkout-v1", url]]);
  });

  it("adds up the series of two Deployments that claim the same service and version", async () => {
    const { sim, advance } = await start();
    for (const namespace of ["shop", "shop-copy"]) {
      sim.ensureNamespace(namespace);
      for (const object of versionedServiceManifests({
        namespace,
        service: "cart",
        versions: [{ version: "v1", replicas: 1 }],
      })) {
        sim.createObject(object);
      }
    }
    await advance(2);
    expect(sim.workloadServers()?.map((server) => server.namespace)).toEqual(["shop", "shop-copy"]);
    const gathered = (await sim.metrics())?.text ?? "";
    const series = 'http_requests_total{service="cart",version="v1",code="200"}';
    // One series, not two with the same labels (Prometheus would reject the scrape).
    expect(gathered.split("\n").filter((line) => line.startsWith(`${series} `))).toHaveLength(1);
    expect(sample(gathered, series)).toBe(200);
  });

  it("closes a version's server when its Deployment is deleted, and every server when the cluster stops", async () => {
    // Nothing left open by the tests before (their clusters closed everything).
    await eventually(() => expect(tcpHandles()).toEqual({ servers: 0, sockets: 0 }));
    const { sim, advance } = await start();
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "search",
      route: "shared",
      versions: [
        { version: "v1", replicas: 1 },
        { version: "v2", replicas: 1 },
      ],
    })) {
      sim.createObject(object);
    }
    await advance(1);
    const [v1, v2] = ["search-v1", "search-v2"].map((name) => serverOf(sim, name)?.url ?? "");
    expect((await fetch(`${v1}/`)).status).toBe(200);
    expect((await fetch(`${v2}/`)).status).toBe(200);
    // The cluster's API server and one server per version.
    expect(tcpHandles().servers).toBe(3);

    sim.deleteObject(DEPLOYMENT_RESOURCE, "shop", "search-v2");
    expect(serverOf(sim, "search-v2")).toBeUndefined();
    await expect(fetch(`${v2}/`)).rejects.toThrow();
    // Its series went with it; the remaining version takes every request.
    await advance(1);
    const gathered = (await sim.metrics())?.text ?? "";
    expect(gathered).not.toContain('version="v2"');
    expect(sample(gathered, 'http_requests_total{service="search",version="v1",code="200"}')).toBe(25 + 50 + 1);

    await sim.close();
    await expect(fetch(`${v1}/`)).rejects.toThrow();
    // No server, connection or keep-alive socket outlives the cluster.
    await eventually(() => expect(tcpHandles()).toEqual({ servers: 0, sockets: 0 }));
  });
});
