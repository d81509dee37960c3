import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import { closeServer, listenOnLoopback, serveTrafficMetrics } from "../../../../cloud-sim/sim-http-server.js";
import { type VersionBehaviour, WeightedVersionTraffic } from "../../../../cloud-sim/weighted-version-traffic.js";
import { FailureInjector } from "../../../../cluster/sim/failure-injector.js";
import { readBody, sendJson } from "../../../../cluster/sim/http-json.js";
import { failRequestsControlSchema, failureRule, handleSimAdmin, type SimAdminTarget } from "../../sim-admin.js";

/** `TrafficTargetAllocationType` as its JSON name and its number (the client asks for `enum-encoding=int`). */
const ALLOCATION_TYPES: Record<string, string> = {
  "0": "TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED",
  "1": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST",
  "2": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
};
const ALLOCATION_NUMBERS: Record<string, number> = Object.fromEntries(
  Object.entries(ALLOCATION_TYPES).map(([number, name]) => [name, Number(number)]),
);

/** A traffic entry as the simulated Cloud Run Admin API v2 keeps it (JSON names). */
export interface SimulatedTrafficTarget {
  readonly type: string;
  readonly revision?: string;
  readonly percent: number;
  readonly tag?: string;
}

/** The body of `POST /sentra-sim/v1/controls` on the simulated Cloud Run API. */
export const cloudRunSimControlSchema = z.discriminatedUnion("type", [
  failRequestsControlSchema,
  z.strictObject({
    type: z.literal("interleaveWrites"),
    count: z.union([z.number().int().min(0), z.literal("always")]),
    service: z.string().min(1).optional(),
  }),
  z.strictObject({ type: z.literal("reset") }),
]);

/** A control of the simulated Cloud Run API. */
export type CloudRunSimControl = z.infer<typeof cloudRunSimControlSchema>;

/** One service the simulated API serves. */
export interface SimulatedCloudRunServiceOptions {
  readonly project: string;
  readonly location: string;
  readonly service: string;
  /** Versions with a ready revision `<service>-<version>`; the first one takes 100 %. */
  readonly versions: readonly string[];
}

/** Options of {@link SimulatedCloudRun}. */
export interface SimulatedCloudRunOptions {
  readonly services?: readonly SimulatedCloudRunServiceOptions[];
  /**
   * The bearer token every Admin API request must carry (401 UNAUTHENTICATED otherwise); it is
   * also what the simulated metadata server hands out. @default "sim-cloud-run-token"
   */
  readonly token?: string;
  /** Polls of an update's operation before it is done. @default 1 */
  readonly operationPolls?: number;
  /** Requests per second each service receives. @default 50 */
  readonly requestsPerSecond?: number;
}

interface ServiceState {
  readonly project: string;
  readonly location: string;
  readonly service: string;
  readonly uid: string;
  readonly revisions: Set<string>;
  generation: number;
  etag: string;
  traffic: SimulatedTrafficTarget[];
}

interface OperationState {
  readonly name: string;
  readonly service: ServiceState;
  pollsLeft: number;
}

const SERVICE_PATH = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/;
const OPERATION_PATH = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/operations\/([^/]+)$/;
const METADATA_PREFIX = "/computeMetadata/v1/";
/** Where Prometheus scrapes the services' per-version traffic (plain HTTP, no token). */
export const CLOUD_RUN_SIM_METRICS_PATH = "/sentra-sim/v1/metrics";

/** Google's canonical codes as the HTTP statuses the simulated API answers with. */
const STATUS_OF_HTTP: Record<number, { code: string; reason?: string }> = {
  400: { code: "FAILED_PRECONDITION" },
  401: { code: "UNAUTHENTICATED" },
  403: { code: "PERMISSION_DENIED", reason: "IAM_PERMISSION_DENIED" },
  404: { code: "NOT_FOUND" },
  409: { code: "ABORTED" },
  429: { code: "RESOURCE_EXHAUSTED", reason: "RATE_LIMIT_EXCEEDED" },
  500: { code: "INTERNAL" },
  503: { code: "UNAVAILABLE" },
};

/**
 * A simulated Cloud Run Admin API v2, in the spirit of the simulated cluster: it speaks the REST
 * (HTTP/JSON) transcoding of `google.cloud.run.v2.Services` closely enough that the unmodified
 * `@google-cloud/run` `ServicesClient` (REST transport, `apiEndpoint` pointed here) works against
 * it — `GetService`, `UpdateService` as a long-running operation polled through
 * `google.longrunning.Operations.GetOperation`, `etag` checked (a stale one is ABORTED), traffic
 * validated (percentages summing to 100, revisions that exist) and served back in `traffic` and
 * `trafficStatuses`. Errors are `google.rpc.Status` JSON (`{ error: { code, message, status,
 * details } }`); `failures` injects them (404 NOT_FOUND, 403 PERMISSION_DENIED, 429
 * RESOURCE_EXHAUSTED, 409 ABORTED, 503 UNAVAILABLE). It also answers as a GCE/GKE metadata server
 * under `/computeMetadata/v1/` (token, project id), so a process whose `GCE_METADATA_HOST` points
 * here gets its credentials from google-auth-library's standard chain, as a pod with Workload
 * Identity does. Each service's revisions receive steady traffic split by the traffic it serves, through
 * the simulated cluster's traffic model ({@link WeightedVersionTraffic}), with per-version error
 * rate and latency settable at run time, scraped at {@link CLOUD_RUN_SIM_METRICS_PATH}.
 */
export class SimulatedCloudRun {
  /** Request failures to inject into the Admin API (never the metadata server). */
  readonly failures = new FailureInjector();
  readonly #server: Server;
  readonly #services = new Map<string, ServiceState>();
  readonly #operations = new Map<string, OperationState>();
  readonly #token: string;
  readonly #operationPolls: number;
  readonly #traffic: WeightedVersionTraffic;
  /** Outside writes still to interleave, per service name (`*`: any service). */
  readonly #interleavedWrites = new Map<string, number>();
  #url = "";
  #updates = 0;

  private constructor(options: SimulatedCloudRunOptions) {
    this.#token = options.token ?? "sim-cloud-run-token";
    this.#operationPolls = options.operationPolls ?? 1;
    this.#traffic = new WeightedVersionTraffic({ requestsPerSecond: options.requestsPerSecond ?? 50 });
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) =>
        this.#error(response, 500, `simulated Cloud Run failed: ${String(error)}`),
      );
    });
  }

  /** Starts the API on a free loopback port. */
  static async start(options: SimulatedCloudRunOptions = {}): Promise<SimulatedCloudRun> {
    const sim = new SimulatedCloudRun(options);
    sim.#url = `http://127.0.0.1:${await listenOnLoopback(sim.#server)}`;
    for (const service of options.services ?? []) sim.addService(service);
    return sim;
  }

  /** `http://127.0.0.1:PORT`: the endpoint override of the adapter. */
  get url(): string {
    return this.#url;
  }

  /** `127.0.0.1:PORT`: what `GCE_METADATA_HOST` takes to use the simulated metadata server. */
  get metadataHost(): string {
    return new URL(this.#url).host;
  }

  /** The bearer token the API requires and the metadata server hands out. */
  get token(): string {
    return this.#token;
  }

  /** UpdateService calls accepted so far. */
  get updates(): number {
    return this.#updates;
  }

  /** Creates a service whose first version's revision serves 100 %. */
  addService(options: SimulatedCloudRunServiceOptions): void {
    const revisions = options.versions.map((version) => `${options.service}-${version}`);
    const state: ServiceState = {
      project: options.project,
      location: options.location,
      service: options.service,
      uid: randomUUID(),
      revisions: new Set(revisions),
      generation: 1,
      etag: "",
      traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: revisions[0] ?? "", percent: 100 }],
    };
    state.etag = etagOf(state);
    this.#services.set(servicePath(options.project, options.location, options.service), state);
    this.#syncTraffic(state);
  }

  /** Percent per revision the service serves now. */
  traffic(project: string, location: string, service: string): Record<string, number> {
    const state = this.#state(project, location, service);
    return Object.fromEntries(state.traffic.map((target) => [target.revision ?? "", target.percent]));
  }

  /** Sets a version's error rate and latency. */
  setBehaviour(project: string, location: string, service: string, version: string, behaviour: VersionBehaviour): void {
    this.#traffic.setBehaviour(this.#state(project, location, service).service, version, behaviour);
  }

  /** Where Prometheus scrapes every service's per-version traffic (`service` = the Cloud Run service, `version`). */
  get metricsUrl(): string {
    return `${this.#url}${CLOUD_RUN_SIM_METRICS_PATH}`;
  }

  /**
   * Makes another writer change each service (a label, as `gcloud` would) just before each of the
   * next `count` UpdateService calls is applied, so an update carrying the etag it read is ABORTED.
   * `service` limits it to that service's updates (default: every service's).
   */
  interleaveWrites(count: number, service = "*"): void {
    this.#interleavedWrites.set(service, count);
  }

  /** Every service's traffic, etag and generation, as `GET /sentra-sim/v1/state` answers. */
  state(): unknown {
    return {
      services: [...this.#services.values()].map((state) => ({
        name: servicePath(state.project, state.location, state.service),
        etag: state.etag,
        generation: state.generation,
        revisions: [...state.revisions],
        traffic: state.traffic,
      })),
      failures: this.failures.snapshot(),
    };
  }

  readonly #admin: SimAdminTarget<CloudRunSimControl> = {
    controlSchema: cloudRunSimControlSchema,
    state: () => this.state(),
    setBehaviour: ({ service, version, ...behaviour }) => {
      const state = [...this.#services.values()].find((candidate) => candidate.service === service);
      if (state === undefined) throw new Error(`service: no simulated Cloud Run service ${service}`);
      this.#traffic.setBehaviour(service, version, behaviour);
    },
    control: (control) => {
      if (control.type === "failRequests") {
        this.failures.failRequests(failureRule(control));
      } else if (control.type === "interleaveWrites") {
        this.interleaveWrites(control.count === "always" ? Number.POSITIVE_INFINITY : control.count, control.service);
      } else {
        this.failures.clear();
        this.#interleavedWrites.clear();
      }
    },
  };

  /** Stops the API and every service's traffic. */
  async close(): Promise<void> {
    await this.#traffic.close();
    await closeServer(this.#server);
  }

  #state(project: string, location: string, service: string): ServiceState {
    const state = this.#services.get(servicePath(project, location, service));
    if (state === undefined)
      throw new Error(`no simulated Cloud Run service ${servicePath(project, location, service)}`);
    return state;
  }

  /** The revisions' requests follow the traffic the service serves (revision `<service>-<version>`). */
  #syncTraffic(state: ServiceState): void {
    this.#traffic.setEntry(servicePath(state.project, state.location, state.service), [
      state.traffic.map((target) => ({
        service: state.service,
        version: (target.revision ?? "").slice(state.service.length + 1),
        weight: target.percent,
      })),
    ]);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://sim");
    const path = decodeURIComponent(url.pathname);
    if (path === CLOUD_RUN_SIM_METRICS_PATH && request.method === "GET") {
      await serveTrafficMetrics(this.#traffic, request, response);
      return;
    }
    if (await handleSimAdmin(this.#admin, request, response)) return;
    if (path.startsWith(METADATA_PREFIX)) {
      this.#metadata(request, response, path.slice(METADATA_PREFIX.length));
      return;
    }
    const body = await readBody(request);
    const method = request.method ?? "GET";
    if (request.headers.authorization !== `Bearer ${this.#token}`) {
      this.#error(response, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token.");
      return;
    }
    const failure = this.failures.take(method, path);
    if (failure !== undefined) {
      this.#error(response, failure.status, failure.message);
      return;
    }
    const servicePathMatch = SERVICE_PATH.exec(path);
    if (servicePathMatch !== null) {
      const [, project = "", location = "", name = ""] = servicePathMatch;
      const state = this.#services.get(servicePath(project, location, name));
      if (state === undefined) {
        this.#error(
          response,
          404,
          `Resource '${name}' of kind 'SERVICE' in region '${location}' in project '${project}' does not exist.`,
        );
        return;
      }
      if (method === "GET") {
        sendJson(response, 200, serviceJson(state));
        return;
      }
      if (method === "PATCH") {
        this.#update(state, body, url, response);
        return;
      }
    }
    const operationMatch = OPERATION_PATH.exec(path);
    if (operationMatch !== null && method === "GET") {
      const operation = this.#operations.get(path.slice("/v2/".length));
      if (operation === undefined) {
        this.#error(response, 404, `Operation ${path} not found.`);
        return;
      }
      operation.pollsLeft -= 1;
      sendJson(response, 200, operationJson(operation));
      return;
    }
    this.#error(response, 404, `${method} ${path} is not part of the simulated Cloud Run Admin API v2`);
  }

  #update(state: ServiceState, body: string, url: URL, response: ServerResponse): void {
    const requested = JSON.parse(body || "{}") as {
      etag?: string;
      traffic?: { type?: unknown; revision?: string; percent?: number; tag?: string }[];
    };
    const key = this.#interleavedWrites.has(state.service) ? state.service : "*";
    const pending = this.#interleavedWrites.get(key) ?? 0;
    if (pending > 0) {
      this.#interleavedWrites.set(key, pending - 1);
      state.generation += 1;
      state.etag = etagOf(state);
    }
    if (requested.etag !== undefined && requested.etag !== "" && requested.etag !== state.etag) {
      this.#error(response, 409, `Etag mismatch: the service changed since it was read (expected ${state.etag}).`);
      return;
    }
    const updateMask = url.searchParams.get("updateMask");
    if (updateMask !== null && updateMask !== "" && !updateMask.split(",").includes("traffic")) {
      this.#error(
        response,
        400,
        `only traffic updates are simulated, got updateMask=${updateMask}`,
        "INVALID_ARGUMENT",
      );
      return;
    }
    const traffic: SimulatedTrafficTarget[] = [];
    for (const [index, entry] of (requested.traffic ?? []).entries()) {
      const type = ALLOCATION_TYPES[String(entry.type ?? 0)] ?? String(entry.type);
      const percent = entry.percent ?? 0;
      if (type !== "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION") {
        this.#error(
          response,
          400,
          `spec.traffic[${index}].type: only TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION is simulated`,
          "INVALID_ARGUMENT",
        );
        return;
      }
      if (entry.revision === undefined || !state.revisions.has(entry.revision)) {
        this.#error(
          response,
          400,
          `spec.traffic[${index}].revision: Revision named '${entry.revision ?? ""}' does not exist.`,
          "INVALID_ARGUMENT",
        );
        return;
      }
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        this.#error(response, 400, `spec.traffic[${index}].percent: must be an integer 0-100`, "INVALID_ARGUMENT");
        return;
      }
      traffic.push({ type, revision: entry.revision, percent, ...(entry.tag ? { tag: entry.tag } : {}) });
    }
    const total = traffic.reduce((sum, target) => sum + target.percent, 0);
    if (total !== 100) {
      this.#error(
        response,
        400,
        `spec.traffic: Traffic percentages must sum to 100, got ${total}.`,
        "INVALID_ARGUMENT",
      );
      return;
    }
    state.traffic = traffic;
    this.#syncTraffic(state);
    state.generation += 1;
    state.etag = etagOf(state);
    this.#updates += 1;
    const name = `projects/${state.project}/locations/${state.location}/operations/${randomUUID()}`;
    const operation: OperationState = { name, service: state, pollsLeft: this.#operationPolls };
    this.#operations.set(name, operation);
    // Finished operations stay readable; only the latest thousand are kept.
    for (const old of this.#operations.keys()) {
      if (this.#operations.size <= 1000) break;
      this.#operations.delete(old);
    }
    sendJson(response, 200, operationJson(operation));
  }

  #metadata(request: IncomingMessage, response: ServerResponse, path: string): void {
    const headers = { "Metadata-Flavor": "Google" };
    if (request.headers["metadata-flavor"] !== "Google") {
      response.writeHead(403, headers).end("Missing Metadata-Flavor: Google header.");
      return;
    }
    const texts: Record<string, string> = {
      instance: "",
      "instance/": "",
      "project/project-id": [...this.#services.values()][0]?.project ?? "sim-project",
      "universe/universe-domain": "googleapis.com",
      "instance/service-accounts/default/email": "sentra-satellite@sim-project.iam.gserviceaccount.com",
    };
    const text = texts[path];
    if (text !== undefined) {
      response.writeHead(200, { ...headers, "Content-Type": "application/text" }).end(text);
      return;
    }
    if (path === "instance/service-accounts/default/token") {
      const body = JSON.stringify({ access_token: this.#token, expires_in: 3599, token_type: "Bearer" });
      response.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(body);
      return;
    }
    response.writeHead(404, headers).end("not found");
  }

  #error(response: ServerResponse, httpStatus: number, message: string, code?: string): void {
    const status = STATUS_OF_HTTP[httpStatus] ?? { code: "UNKNOWN" };
    const details = status.reason
      ? [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: status.reason, domain: "run.googleapis.com" }]
      : [];
    sendJson(response, httpStatus, { error: { code: httpStatus, message, status: code ?? status.code, details } });
  }
}

function servicePath(project: string, location: string, service: string): string {
  return `projects/${project}/locations/${location}/services/${service}`;
}

function etagOf(state: ServiceState): string {
  return `"${Buffer.from(`${state.uid}/${state.generation}`).toString("base64url")}"`;
}

function trafficJson(traffic: readonly SimulatedTrafficTarget[]) {
  return traffic.map((target) => ({ ...target, type: ALLOCATION_NUMBERS[target.type] ?? 0 }));
}

/** A `google.cloud.run.v2.Service` in proto3 JSON (int64 as strings, enums as numbers). */
function serviceJson(state: ServiceState) {
  const name = servicePath(state.project, state.location, state.service);
  const latest = [...state.revisions].at(-1) ?? "";
  return {
    name,
    uid: state.uid,
    generation: String(state.generation),
    observedGeneration: String(state.generation),
    etag: state.etag,
    reconciling: false,
    traffic: trafficJson(state.traffic),
    trafficStatuses: trafficJson(state.traffic),
    latestReadyRevision: `${name}/revisions/${latest}`,
    latestCreatedRevision: `${name}/revisions/${latest}`,
    uri: `https://${state.service}-sim.a.run.app`,
  };
}

/** A `google.longrunning.Operation` whose metadata and response are the service. */
function operationJson(operation: OperationState) {
  const service = { "@type": "type.googleapis.com/google.cloud.run.v2.Service", ...serviceJson(operation.service) };
  return operation.pollsLeft > 0
    ? { name: operation.name, metadata: service, done: false }
    : { name: operation.name, metadata: service, done: true, response: service };
}
