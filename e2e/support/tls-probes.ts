import { get } from "node:https";
import { connect, type PeerCertificate, type TLSSocket } from "node:tls";

/**
 * The certificate a TLS port serves a new connection, checked against `ca`. `alpn` as its server
 * expects: `h2` for gRPC, `http/1.1` for the HTTP server.
 */
export function servedCertificate(port: number, ca: Buffer, alpn: "h2" | "http/1.1"): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost", ALPNProtocols: [alpn] }, () => {
      const certificate = socket.getPeerCertificate();
      socket.destroy();
      resolve(certificate);
    });
    socket.once("error", reject);
  });
}

export interface HttpsResponse {
  status: number;
  body: string;
  /** The certificate this request's (new) connection was served. */
  certificate: PeerCertificate;
}

/** GET over HTTPS trusting only `ca`, on a connection of its own (no keep-alive pool). */
export function httpsGet(
  url: string,
  ca: Buffer | undefined,
  headers: Record<string, string> = {},
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const request = get(url, { ca, headers, agent: false }, (response) => {
      const certificate = (response.socket as TLSSocket).getPeerCertificate();
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, certificate }));
      response.on("error", reject);
    });
    request.once("error", reject);
  });
}

/** The sum of the samples of `name` whose labels include `labels`, in a Prometheus text exposition. */
export function sampleOf(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}
