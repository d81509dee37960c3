import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Histogram, Registry } from "prom-client";
import type { DeploymentObject } from "./deployment-kind.js";

/** Deployment annotation: share of the requests its pods answer with a 500, 0–1. @default 0 */
export const SIM_ERROR_RATE_ANNOTATION = "sentra.io/sim-error-rate";
/** Deployment annotation: median request duration of its pods, in ms. @default DEFAULT_SIM_LATENCY_MS */
export const SIM_LATENCY_ANNOTATION = "sentra.io/sim-latency-ms";

/** @default 40 — median duration of a request to a simulated workload, in ms. */
export const DEFAULT_SIM_LATENCY_MS = 40;

/** Path of a workload server's own Prometheus metrics (every other path is an application request). */
export const WORKLOAD_SERVER_METRICS_PATH = "/metrics";

/**
 * @default 65000 — how long a workload server keeps an idle keep-alive connection, in ms. Longer
 * than the traffic client's idle-socket timeout, so the client always drops a socket first and
 * never sends a request down a connection the server is closing.
 */
export const WORKLOAD_SERVER_KEEP_ALIVE_MS = 65_000;

/** Histogram buckets of `http_request_duration_seconds`, in seconds (fine around the 400 ms gate). */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5];
/** Fractional part of the golden ratio: spreads request durations evenly without randomness. */
const GOLDEN_FRACTION = 0.618_033_988_749_895;

/** Who a workload server is (the labels of its metrics) and how it behaves. */
export interface WorkloadBehaviour {
  /** `service` label: the Deployment's `app.kubernetes.io/name` (else `app`, else its name). */
  readonly service: string;
  /** `version` label: the Deployment's `app.kubernetes.io/version`. */
  readonly version: string;
  /** Share of requests answered with a 500, 0–1. */
  readonly errorRate: number;
  /** Median request duration, in ms. */
  readonly latencyMs: number;
}

/** The behaviour a Deployment's labels and `sentra.io/sim-*` annotations (its own or its pod template's) ask for. */
export function workloadBehaviour(deployment: DeploymentObject): WorkloadBehaviour {
  const labels = deployment.spec.template?.metadata?.labels ?? deployment.metadata.labels ?? {};
  // The pod template's annotations travel with a release (a GitOps change of the template); the
  // Deployment's own override them, as tests and the demo set them at run time.
  const annotations = { ...deployment.spec.template?.metadata?.annotations, ...deployment.metadata.annotations };
  const latency = Number(annotations[SIM_LATENCY_ANNOTATION] ?? DEFAULT_SIM_LATENCY_MS);
  return {
    service: labels["app.kubernetes.io/name"] ?? labels.app ?? deployment.metadata.name ?? "",
    version: labels["app.kubernetes.io/version"] ?? "",
    errorRate: clamp(Number(annotations[SIM_ERROR_RATE_ANNOTATION] ?? 0), 0, 1),
    latencyMs: Number.isFinite(latency) ? Math.max(0, latency) : DEFAULT_SIM_LATENCY_MS,
  };
}

/**
 * The application of one version of a simulated service: a real HTTP server (`node:http` on
 * 127.0.0.1, a port of its own) standing for the pods of one Deployment. It answers every request
 * after the version's latency and fails its error rate of them with a 500, deterministically (an
 * error rate of 0.1 fails exactly every tenth request; durations spread evenly over [0.5, 1.5) ×
 * the median). It records what it served, as an instrumented service does, with prom-client in a
 * registry of its own, served at `GET /metrics`: `http_requests_total{service, version, code}` and
 * `http_request_duration_seconds{service, version}` — the metrics the built-in gates read.
 * `configure` changes the behaviour at run time, for the requests that arrive from then on.
 *
 * The duration recorded is the time the version spends on the request (what its pods would
 * measure on CPUs of their own), not the wall time until the answer leaves: every simulated pod
 * shares the satellite's event loop, and a satellite busy with its own work must not make a
 * healthy canary look slow to the latency gate.
 */
export class WorkloadServer {
  readonly registry = new Registry();
  readonly #server: Server;
  readonly #requests: Counter<"service" | "version" | "code">;
  readonly #durations: Histogram<"service" | "version">;
  /** Answers waiting for their latency to pass. */
  readonly #pending = new Set<NodeJS.Timeout>();
  readonly #listening: Promise<number>;
  #behaviour: WorkloadBehaviour;
  #served = 0;
  #errorDebt = 0;
  #port = 0;
  #closed: Promise<void> | undefined;

  constructor(behaviour: WorkloadBehaviour, host = "127.0.0.1") {
    this.#behaviour = behaviour;
    this.#requests = new Counter({
      name: "http_requests_total",
      help: "Requests served by the simulated workloads",
      labelNames: ["service", "version", "code"],
      registers: [this.registry],
    });
    this.#durations = new Histogram({
      name: "http_request_duration_seconds",
      help: "Duration of the requests served by the simulated workloads",
      labelNames: ["service", "version"],
      buckets: DURATION_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.#server = createServer({ keepAliveTimeout: WORKLOAD_SERVER_KEEP_ALIVE_MS }, (request, response) =>
      this.#handle(request, response),
    );
    this.#listening = new Promise<number>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, host, () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve(this.#port);
      });
    });
    // A failed listen is reported to whoever waits for the port; this keeps it from going unhandled.
    this.#listening.catch(() => undefined);
  }

  /** Resolves with the port once the server listens. */
  listening(): Promise<number> {
    return this.#listening;
  }

  /** The port it listens on (0 until it does). */
  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:PORT` once it listens. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get behaviour(): WorkloadBehaviour {
    return this.#behaviour;
  }

  /** Changes labels, error rate or latency for the requests that arrive from now on. */
  configure(behaviour: WorkloadBehaviour): void {
    this.#behaviour = behaviour;
  }

  /** Stops listening, drops the answers still waiting and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      for (const timer of this.#pending) clearTimeout(timer);
      this.#pending.clear();
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0];
    if (path === WORKLOAD_SERVER_METRICS_PATH && request.method === "GET") {
      this.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    // An application ignores a body it does not need, but must read it for keep-alive to work.
    request.resume();
    const { service, version, errorRate, latencyMs } = this.#behaviour;
    this.#served += 1;
    this.#errorDebt += errorRate;
    // The epsilon keeps float error (0.999…) from skipping a due failure.
    const failed = this.#errorDebt >= 1 - 1e-9;
    if (failed) this.#errorDebt -= 1;
    const delayMs = latencyMs * (0.5 + ((this.#served * GOLDEN_FRACTION) % 1));
    const answer = (): void => {
      const code = failed ? 500 : 200;
      response.writeHead(code, { "content-type": "text/plain" }).end(failed ? "simulated failure\n" : "ok\n");
      this.#requests.inc({ service, version, code: String(code) });
      this.#durations.observe({ service, version }, delayMs / 1000);
    };
    if (delayMs <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      answer();
    }, delayMs);
    this.#pending.add(timer);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}
