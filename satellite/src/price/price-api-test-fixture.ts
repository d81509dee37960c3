import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded request the test server received. */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

/** What the test server answers one request with. */
export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

/** A local HTTP server standing in for a pricing API: answers from a script, records every request. */
export interface PriceApiTestServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
}

/** Reads a fixture of `satellite/src/price/fixtures/` (API-shaped samples, see README there). */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/**
 * Starts a server on 127.0.0.1 (port from the OS) that answers each request with
 * `answer(request, index)`; `index` counts requests from 0.
 */
export async function startPriceApiTestServer(
  answer: (request: RecordedRequest, index: number) => ScriptedAnswer,
): Promise<PriceApiTestServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      const index = requests.length;
      requests.push(recorded);
      let scripted: ScriptedAnswer;
      try {
        scripted = answer(recorded, index);
      } catch (error) {
        scripted = { status: 500, body: String(error) };
      }
      res.writeHead(scripted.status ?? 200, scripted.headers ?? {});
      res.end(scripted.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
