import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { closeServer, listenOnLoopback } from "../../../../cloud-sim/sim-http-server.js";
import { type VersionBehaviour, WeightedVersionTraffic } from "../../../../cloud-sim/weighted-version-traffic.js";
import { FailureInjector } from "../../../../cluster/sim/failure-injector.js";
import { readBody, sendJson } from "../../../../cluster/sim/http-json.js";
import { handleSimAdmin, type SimAdminTarget } from "../../sim-admin.js";

/** Path of the simulated App Service managed identity endpoint (what `IDENTITY_ENDPOINT` points at). */
export const SIM_MANAGED_IDENTITY_PATH = "/msi/token";
/** Path of the per-version traffic metrics on the plain-HTTP metrics port. */
export const ARM_SIM_METRICS_PATH = "/sentra-sim/v1/metrics";

/** An ARM error answer: `{ error: { code, message } }` with its HTTP status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a route handler answers. */
export interface ArmAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One request as a route handler sees it. */
export interface ArmRequest {
  readonly method: string;
  readonly path: string;
  readonly match: RegExpExecArray;
  readonly url: URL;
  readonly body: unknown;
}

type Handler = (request: ArmRequest) => ArmAnswer;

/** Options of a simulated ARM endpoint. */
export interface SimulatedArmOptions {
  /** The TLS identity it serves (ARM clients refuse bearer tokens over plain HTTP). */
  readonly tls: { readonly certificatePem: string; readonly privateKeyPem: string };
  /** The bearer token every ARM request must carry; the managed identity endpoint hands it out. @default "sim-arm-token" */
  readonly token?: string;
  /** The secret `X-IDENTITY-HEADER` of the managed identity endpoint. @default "sim-identity-header" */
  readonly identityHeader?: string;
  /** Seconds of `Retry-After` on an injected 429. @default 1 */
  readonly throttleRetryAfterSeconds?: number;
  /** Polls of an operation status before it is `Succeeded`. @default 1 */
  readonly operationPolls?: number;
  /** Requests per second each simulated app receives. @default 50 */
  readonly requestsPerSecond?: number;
}

/** @default 1000 — requests kept in `SimulatedArm.requests`. */
export const REQUEST_LOG_SIZE = 1000;

/** The ARM error code a failure of this HTTP status is answered with. */
const CODE_OF_STATUS: Record<number, string> = {
  400: "BadRequest",
  401: "InvalidAuthenticationToken",
  403: "AuthorizationFailed",
  404: "ResourceNotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  503: "ServiceUnavailable",
};

/**
 * The Azure Resource Manager front door shared by the simulated Azure Functions and Container Apps
 * APIs: HTTPS with a bearer token checked on every request (401 `InvalidAuthenticationToken`
 * otherwise), `api-version` required, ARM's error shape `{ error: { code, message } }`, injectable
 * failures (`failures`: 404 `ResourceNotFound`, 403 `AuthorizationFailed` naming the action and
 * scope, 409 `Conflict`, 429 `TooManyRequests` with `Retry-After`, 503), long-running operations
 * answered 202 with `Azure-AsyncOperation` and `Location` and polled to `Succeeded`, and an App
 * Service style managed identity endpoint (`IDENTITY_ENDPOINT` / `IDENTITY_HEADER`) handing out the
 * token, so `DefaultAzureCredential` in a satellite process gets it through its standard chain. The
 * per-version traffic ({@link WeightedVersionTraffic}) is served for Prometheus on a separate
 * plain-HTTP port ({@link metricsUrl}).
 */
export class SimulatedArm {
  /** Request failures to inject (never the identity or metrics endpoints). */
  readonly failures = new FailureInjector();
  readonly traffic: WeightedVersionTraffic;
  readonly #routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  readonly #operations = new Map<string, { pollsLeft: number; status: "Succeeded" | "Failed"; error?: ArmError }>();
  readonly #server: Server;
  readonly #metricsServer: Server;
  readonly #token: string;
  readonly #identityHeader: string;
  readonly #retryAfterSeconds: number;
  readonly #operationPolls: number;
  #url = "";
  #metricsUrl = "";
  // biome-ignore lint/suspicious/noExplicitAny: each sim has its own control type
  #admin: SimAdminTarget<any> | undefined;
  /** The last requests answered (`METHOD path`, at most {@link REQUEST_LOG_SIZE}), for tests. */
  readonly requests: string[] = [];

  constructor(options: SimulatedArmOptions) {
    this.#token = options.token ?? "sim-arm-token";
    this.#identityHeader = options.identityHeader ?? "sim-identity-header";
    this.#retryAfterSeconds = options.throttleRetryAfterSeconds ?? 1;
    this.#operationPolls = options.operationPolls ?? 1;
    this.traffic = new WeightedVersionTraffic({ requestsPerSecond: options.requestsPerSecond ?? 50 });
    this.#server = createHttpsServer(
      { cert: options.tls.certificatePem, key: options.tls.privateKeyPem },
      (req, res) => {
        this.#handle(req, res).catch((error: unknown) =>
          this.#error(res, new ArmError(500, "InternalServerError", `simulated ARM failed: ${String(error)}`)),
        );
      },
    );
    this.#metricsServer = createHttpServer((req, res) => {
      if (this.#admin !== undefined && (req.url ?? "").split("?")[0] !== ARM_SIM_METRICS_PATH) {
        const admin = this.#admin;
        handleSimAdmin(admin, req, res).then(
          (served) => {
            if (!served) res.writeHead(404).end();
          },
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
        return;
      }
      if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== ARM_SIM_METRICS_PATH) {
        res.writeHead(404).end();
        return;
      }
      this.traffic.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.traffic.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  }

  /** Listens on free loopback ports (ARM over HTTPS, metrics over HTTP). */
  async listen(): Promise<void> {
    this.#url = `https://127.0.0.1:${await listenOnLoopback(this.#server)}`;
    this.#metricsUrl = `http://127.0.0.1:${await listenOnLoopback(this.#metricsServer)}${ARM_SIM_METRICS_PATH}`;
  }

  /** `https://127.0.0.1:PORT`: the ARM endpoint override. */
  get url(): string {
    return this.#url;
  }

  /** Where Prometheus scrapes the per-version traffic. */
  get metricsUrl(): string {
    return this.#metricsUrl;
  }

  /** The bearer token ARM requires. */
  get token(): string {
    return this.#token;
  }

  /** `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` of the simulated managed identity (App Service style). */
  get managedIdentityEnvironment(): Record<string, string> {
    return { IDENTITY_ENDPOINT: `${this.#url}${SIM_MANAGED_IDENTITY_PATH}`, IDENTITY_HEADER: this.#identityHeader };
  }

  /** Sets a version's error rate and latency. */
  setBehaviour(service: string, version: string, behaviour: VersionBehaviour): void {
    this.traffic.setBehaviour(service, version, behaviour);
  }

  /**
   * Serves the sim's control paths (`GET state`, `POST behaviour`, `POST controls` under
   * `/sentra-sim/v1/`) on the plain-HTTP metrics port, beside the metrics.
   */
  serveAdmin<Control>(admin: SimAdminTarget<Control>): void {
    this.#admin = admin;
  }

  /** Adds a route; the first matching one answers. */
  route(method: string, pattern: RegExp, handler: Handler): void {
    this.#routes.push({ method, pattern, handler });
  }

  /**
   * Answers a change as a long-running operation (the change is already applied): 202 with
   * `Azure-AsyncOperation` and `Location` naming its status, `Succeeded` after the configured polls
   * (no `Retry-After`, so clients poll at their own interval).
   */
  accepted(location: string, provider: string, body?: unknown): ArmAnswer {
    const id = randomUUID();
    const statusPath = `/providers/${provider}/locations/${location}/operationStatuses/${id}`;
    this.#operations.set(id, { pollsLeft: this.#operationPolls, status: "Succeeded" });
    // Clients may poll a finished operation again (status, then Location): keep the latest ones.
    for (const old of this.#operations.keys()) {
      if (this.#operations.size <= REQUEST_LOG_SIZE) break;
      this.#operations.delete(old);
    }
    const statusUrl = `${this.#url}${statusPath}?api-version=2024-03-01`;
    return {
      status: 202,
      body,
      headers: { "Azure-AsyncOperation": statusUrl, Location: statusUrl },
    };
  }

  /** Stops both servers and the traffic. */
  async close(): Promise<void> {
    await this.traffic.close();
    for (const server of [this.#server, this.#metricsServer]) await closeServer(server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://sim");
    const method = (req.method ?? "GET").toUpperCase();
    const path = decodeURIComponent(url.pathname);
    const text = await readBody(req);
    if (path === SIM_MANAGED_IDENTITY_PATH) {
      this.#managedIdentity(req, url, res);
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      this.#error(res, new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid."));
      return;
    }
    if (!url.searchParams.get("api-version")) {
      this.#error(res, new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter is required."));
      return;
    }
    const failure = this.failures.take(method, path);
    if (failure !== undefined) {
      this.#error(res, this.#injected(failure.status, failure.message, method, path));
      return;
    }
    const operation = /^\/providers\/[^/]+\/locations\/[^/]+\/operationStatuses\/([^/]+)$/.exec(path);
    if (operation !== null && method === "GET") {
      const state = this.#operations.get(operation[1] ?? "");
      if (state === undefined) {
        this.#error(res, new ArmError(404, "OperationNotFound", `operation ${operation[1]} not found`));
        return;
      }
      state.pollsLeft -= 1;
      const status = state.pollsLeft > 0 ? "InProgress" : state.status;
      this.#logRequest(`${method} ${path}`);
      sendJson(res, 200, { id: path, name: operation[1], status });
      return;
    }
    for (const route of this.#routes) {
      const match = route.method === method ? route.pattern.exec(path) : null;
      if (match === null) continue;
      try {
        const body = text === "" ? undefined : (JSON.parse(text) as unknown);
        const answer = route.handler({ method, path, match, url, body });
        this.#logRequest(`${method} ${path}`);
        res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
        res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
      } catch (error) {
        if (error instanceof ArmError) this.#error(res, error);
        else throw error;
      }
      return;
    }
    this.#error(res, new ArmError(404, "InvalidResourceType", `${method} ${path} is not simulated`));
  }

  #logRequest(entry: string): void {
    this.requests.push(entry);
    if (this.requests.length > REQUEST_LOG_SIZE) this.requests.splice(0, this.requests.length - REQUEST_LOG_SIZE);
  }

  #managedIdentity(req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (req.headers["x-identity-header"] !== this.#identityHeader) {
      sendJson(res, 401, { statusCode: 401, message: "X-IDENTITY-HEADER is missing or wrong" });
      return;
    }
    const resource = url.searchParams.get("resource") ?? "https://management.azure.com";
    sendJson(res, 200, {
      access_token: this.#token,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource,
      token_type: "Bearer",
      client_id: "00000000-0000-0000-0000-00000000c1d0",
    });
  }

  #injected(status: number, message: string, method: string, path: string): ArmError {
    const code = CODE_OF_STATUS[status] ?? "InternalServerError";
    if (status === 403) {
      const action = `${resourceTypeOf(path)}/${method === "GET" ? "read" : "write"}`;
      return new ArmError(
        403,
        code,
        `The client 'sentra-satellite' with object id '00000000-0000-0000-0000-00000000c1d0' does not have authorization to perform action '${action}' over scope '${path}' or the scope is invalid. (${message})`,
      );
    }
    return new ArmError(status, code, message);
  }

  #error(res: ServerResponse, error: ArmError): void {
    const headers: Record<string, string> = { "Content-Type": "application/json", "x-ms-failure-cause": "gateway" };
    if (error.status === 429) headers["Retry-After"] = String(this.#retryAfterSeconds);
    res.writeHead(error.status, headers);
    res.end(JSON.stringify({ error: { code: error.code, message: error.message } }));
  }
}

/** `Microsoft.App/containerApps` of `/subscriptions/…/providers/Microsoft.App/containerApps/app/…`. */
function resourceTypeOf(path: string): string {
  const match = /\/providers\/([^/]+)\/([^/]+)(?:\/[^/]+\/([^/]+))?/.exec(path);
  if (match === null) return "Microsoft.Resources/resources";
  return [match[1], match[2], match[3]].filter(Boolean).join("/");
}
