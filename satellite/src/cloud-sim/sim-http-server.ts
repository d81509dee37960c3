import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { WeightedVersionTraffic } from "./weighted-version-traffic.js";

/**
 * Starts `server` listening on a free loopback port (127.0.0.1); resolves with the port, rejects
 * when it cannot listen. The HTTP plumbing every simulated cloud API shares.
 */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Stops `server` and drops its open (keep-alive) connections, so it closes at once; resolves when closed. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Answers a scrape with the per-version traffic metrics in the Prometheus text format (the request body is discarded). */
export async function serveTrafficMetrics(
  traffic: WeightedVersionTraffic,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  request.resume();
  const text = await traffic.metrics();
  response.writeHead(200, { "content-type": traffic.contentType }).end(text);
}
