import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** An extra GET endpoint of the ops server: its body, or undefined for a 404. */
export type OpsRoute = () => Promise<{ contentType: string; body: string } | undefined>;

/**
 * Serves /metrics (Prometheus), /healthz (readiness: `health()` as JSON, 503 when not ok), /livez
 * (liveness) for a process, and any `routes` by exact path (e.g. the simulated workloads' metrics
 * on a satellite).
 */
export async function startOpsServer(
  host: string,
  port: number,
  registry: Registry,
  health: () => { ok: boolean; [key: string]: unknown },
  routes: Readonly<Record<string, OpsRoute>> = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") {
      response.writeHead(405).end();
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else if (path === "/livez") {
      // Answers while the process serves, whatever its dependencies do: a restart cannot mend
      // NATS, and the satellite keeps guarding its rollouts while NATS is away.
      response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    } else if (path === "/healthz") {
      const body = health();
      response.writeHead(body.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(body));
    } else if (path !== undefined && Object.hasOwn(routes, path)) {
      (routes[path] as OpsRoute)().then(
        (answer) =>
          answer === undefined
            ? response.writeHead(404).end()
            : response.writeHead(200, { "content-type": answer.contentType }).end(answer.body),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
