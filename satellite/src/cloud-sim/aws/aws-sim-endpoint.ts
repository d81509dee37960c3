import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenOnLoopback, serveTrafficMetrics } from "../sim-http-server.js";
import { type VersionBehaviour, WeightedVersionTraffic } from "../weighted-version-traffic.js";
import { type AwsSimAdminTarget, handleAwsSimAdmin } from "./aws-sim-admin.js";
import { AWS_SIM_METRICS_PATH, AwsSimControls, readBody, requestId } from "./aws-sim-controls.js";

/** A complete HTTP answer of a simulated AWS API. */
export interface AwsSimAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options of {@link AwsSimEndpoint}. */
export interface AwsSimEndpointOptions {
  /** Requests per second through each routed resource (alias, listener). @default 100 */
  readonly requestsPerSecond?: number;
  /** @default 100 — traffic tick, in ms. */
  readonly tickMs?: number;
}

/**
 * What every simulated AWS endpoint shares: an HTTP server on a free loopback port that serves the
 * endpoint's per-version traffic at {@link AWS_SIM_METRICS_PATH}, its admin paths beside the API
 * (`/sentra-sim/v1/…`, driving {@link controls}), and every other request through the subclass's
 * protocol ({@link answer}, {@link fail}), each with an `x-amzn-RequestId`.
 */
export abstract class AwsSimEndpoint implements AwsSimAdminTarget {
  readonly controls = new AwsSimControls();
  /** The simulated requests through the endpoint's resources, by service and version. */
  protected readonly traffic: WeightedVersionTraffic;
  readonly #server: Server;
  #url = "";

  constructor(options: AwsSimEndpointOptions = {}) {
    this.traffic = new WeightedVersionTraffic({
      requestsPerSecond: options.requestsPerSecond ?? 100,
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    });
    this.#server = createServer((request, response) => void this.#handle(request, response));
  }

  /** Starts listening on 127.0.0.1 (a free port); resolves with the endpoint URL. */
  async start(): Promise<string> {
    this.#url = `http://127.0.0.1:${await listenOnLoopback(this.#server)}`;
    return this.#url;
  }

  /** The endpoint URL (after {@link start}). */
  get url(): string {
    return this.#url;
  }

  /** The Prometheus scrape URL of the per-version traffic. */
  get metricsUrl(): string {
    return `${this.#url}${AWS_SIM_METRICS_PATH}`;
  }

  /** The per-version traffic metrics, in the Prometheus text format. */
  metrics(): Promise<string> {
    return this.traffic.metrics();
  }

  /** Stops the traffic and the server. */
  async close(): Promise<void> {
    await this.traffic.close();
    if (!this.#server.listening) return;
    await closeServer(this.#server);
  }

  abstract setBehaviour(target: string, version: string | undefined, behaviour: VersionBehaviour): void;

  abstract state(): unknown;

  /** Answers one API call (`body` is the whole request body); throws what {@link fail} encodes. */
  protected abstract answer(request: IncomingMessage, body: string, requestId: string): AwsSimAnswer;

  /** The API's error answer for what {@link answer} threw (anything else as its internal failure). */
  protected abstract fail(error: unknown, requestId: string): AwsSimAnswer;

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === AWS_SIM_METRICS_PATH) {
      await serveTrafficMetrics(this.traffic, request, response);
      return;
    }
    if (await handleAwsSimAdmin(this, request, response)) return;
    const id = requestId();
    let answer: AwsSimAnswer;
    try {
      answer = this.answer(request, await readBody(request), id);
    } catch (error: unknown) {
      answer = this.fail(error, id);
    }
    response.writeHead(answer.status, answer.headers).end(answer.body);
  }
}
