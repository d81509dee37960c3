import { type protos, ServicesClient } from "@google-cloud/run";
import { SentraError } from "@sentra/common";
import type { RolloutTarget } from "../../../rollout/index.js";
import { retryVendorCall, type VendorRetryOptions } from "../retry-vendor-call.js";
import type { RouterAdapter, RouterAdapterContext, RouterAdapterDefinition } from "../router-adapter.js";
import { CLOUD_RUN_ADAPTER_NAME, type CloudRunTarget, cloudRunTargetSchema } from "./cloud-run-target.js";
import { googleApiError } from "./google-api-error.js";

/** @default 1000 — first wait between polls of an UpdateService operation, in ms (×1.3 each, at most 5 s). */
export const DEFAULT_CLOUD_RUN_OPERATION_POLL_MS = 1_000;
/**
 * @default 60000 — how long the adapter polls an UpdateService operation, in ms. A traffic change
 * takes seconds; the router deadline (SENTRA_ROUTER_TIMEOUT_MS) fails the call sooner anyway.
 */
export const CLOUD_RUN_OPERATION_TIMEOUT_MS = 60_000;

const REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION";

/** Tuning of the Cloud Run adapter (tests shorten the waits; production takes the defaults). */
export interface CloudRunAdapterOptions {
  /** Retries of a throttled, conflicting or unavailable call. */
  readonly retry?: VendorRetryOptions;
  /** @default DEFAULT_CLOUD_RUN_OPERATION_POLL_MS */
  readonly operationPollMs?: number;
}

type ServiceMessage = protos.google.cloud.run.v2.IService;
type TrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;

/**
 * Splits a Cloud Run service's traffic between two revisions through the official
 * `@google-cloud/run` `ServicesClient` (REST transport): `UpdateService` with the service's `traffic`
 * pinned to revisions, the long-running operation awaited, and the split read back from
 * `trafficStatuses` with `GetService`. Every update carries the `etag` it read, so a concurrent
 * change (ABORTED / FAILED_PRECONDITION) is re-read and the edit applied again, never overwritten.
 * The stable and canary revisions are `<service>-<version>`. Credentials come from
 * google-auth-library's Application Default Credentials (Workload Identity's metadata server,
 * `GOOGLE_APPLICATION_CREDENTIALS`), never logged.
 */
export class CloudRunAdapter implements RouterAdapter {
  readonly #target: CloudRunTarget;
  readonly #context: RouterAdapterContext;
  readonly #options: CloudRunAdapterOptions;
  readonly #client: ServicesClient;
  readonly #name: string;

  constructor(target: CloudRunTarget, context: RouterAdapterContext, options: CloudRunAdapterOptions = {}) {
    this.#target = target;
    this.#context = context;
    this.#options = options;
    this.#name = `projects/${target.project}/locations/${target.location}/services/${target.service}`;
    this.#client = new ServicesClient({ fallback: true, ...endpointOptions(context.endpoint) });
  }

  async check(rollout: RolloutTarget): Promise<void> {
    const stable = this.#revision(stableVersionOf(rollout));
    const service = await this.#read("check");
    const served = servedTraffic(service);
    if (!served.some((entry) => entry.revision === stable && (entry.percent ?? 0) > 0)) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `Cloud Run service ${this.#name} sends no traffic to the stable revision ${stable} (it serves ${describe(served)}); deploy the stable version with --revision-suffix ${rollout.stableVersion}`,
        { field: "stable_version" },
      );
    }
  }

  async setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const stable = this.#revision(stableVersionOf(rollout));
    const canary = this.#revision(rollout.version);
    await this.#call("setCanaryWeight", async () => {
      const service = await this.#client.getService({ name: this.#name });
      const kept = (service[0].traffic ?? []).filter(
        (entry) => (entry.percent ?? 0) === 0 && entry.tag && entry.revision !== stable && entry.revision !== canary,
      );
      await this.#update(service[0].etag ?? "", [...split(stable, canary, weight), ...kept]);
    });
    await this.#expectWeight(rollout, weight);
    this.#context.log("cloud run traffic set", { service: this.#name, canary, weight });
  }

  async readCanaryWeight(rollout: RolloutTarget): Promise<number> {
    const canary = this.#revision(rollout.version);
    const service = await this.#read("readCanaryWeight");
    return servedTraffic(service)
      .filter((entry) => entry.revision === canary)
      .reduce((sum, entry) => sum + (entry.percent ?? 0), 0);
  }

  /** Replaces the whole traffic block with 100 % on the stable revision, without an etag (last writer wins). */
  async sendAllToStable(rollout: RolloutTarget): Promise<void> {
    const stable = this.#revision(stableVersionOf(rollout));
    await this.#call("sendAllToStable", () => this.#update("", [{ type: REVISION, revision: stable, percent: 100 }]));
    await this.#expectWeight(rollout, 0);
    this.#context.log("cloud run traffic all to stable", { service: this.#name, stable });
  }

  /** Closes the client's connections. */
  close(): Promise<void> {
    return this.#client.close();
  }

  #revision(version: string): string {
    return `${this.#target.service}-${version}`;
  }

  async #read(what: string): Promise<ServiceMessage> {
    return this.#call(what, async () => (await this.#client.getService({ name: this.#name }))[0]);
  }

  async #update(etag: string, traffic: TrafficTarget[]): Promise<void> {
    const pollMs = this.#options.operationPollMs ?? DEFAULT_CLOUD_RUN_OPERATION_POLL_MS;
    const [operation] = await this.#client.updateService(
      { service: { name: this.#name, etag, traffic }, updateMask: { paths: ["traffic"] } },
      {
        longrunning: {
          initialRetryDelayMillis: pollMs,
          retryDelayMultiplier: 1.3,
          maxRetryDelayMillis: Math.max(pollMs, 5_000),
          totalTimeoutMillis: CLOUD_RUN_OPERATION_TIMEOUT_MS,
        },
      },
    );
    await operation.promise();
  }

  async #expectWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const served = await this.readCanaryWeight(rollout);
    if (served !== weight) {
      throw new SentraError(
        "UNAVAILABLE",
        `Cloud Run service ${this.#name} serves ${served} % on ${this.#revision(rollout.version)} after the update to ${weight} %`,
      );
    }
  }

  #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return retryVendorCall(call, (error) => asConflict(googleApiError(error, `Cloud Run ${what} ${this.#name}`)), {
      ...this.#options.retry,
      onRetry: (attempt, error) =>
        this.#context.log("cloud run call retried", { service: this.#name, call: what, attempt, code: error.code }),
    });
  }
}

/** Builds the Cloud Run adapter (the definition's `create`, with tuning for tests). */
export function createCloudRunAdapter(
  target: CloudRunTarget,
  context: RouterAdapterContext,
  options: CloudRunAdapterOptions = {},
): CloudRunAdapter {
  return new CloudRunAdapter(target, context, options);
}

/** `router.adapter: gcp-cloud-run`. */
export const CLOUD_RUN_ADAPTER: RouterAdapterDefinition<CloudRunTarget> = {
  name: CLOUD_RUN_ADAPTER_NAME,
  targetSchema: cloudRunTargetSchema,
  create: (target, context) => createCloudRunAdapter(target, context),
};

/** The client options that point it at an endpoint override (`http(s)://host[:port]`); none: run.googleapis.com. */
function endpointOptions(endpoint: string | undefined): { apiEndpoint?: string; port?: number; protocol?: string } {
  if (endpoint === undefined) return {};
  const url = new URL(endpoint.includes("://") ? endpoint : `https://${endpoint}`);
  const protocol = url.protocol.replace(":", "");
  return { apiEndpoint: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)), protocol };
}

/**
 * Cloud Run answers a stale etag with ABORTED, and with FAILED_PRECONDITION on some paths (the
 * service changed state underneath): both are a concurrent change, re-read and retried.
 */
function asConflict(error: SentraError): SentraError {
  return error.code === "FAILED_PRECONDITION"
    ? new SentraError("ABORTED", error.message, { cause: error.cause, details: { vendorCode: "FAILED_PRECONDITION" } })
    : error;
}

function stableVersionOf(rollout: RolloutTarget): string {
  if (rollout.stableVersion === undefined || rollout.stableVersion === "") {
    throw SentraError.invalidArgument("stable_version", "the Cloud Run adapter needs the stable version");
  }
  return rollout.stableVersion;
}

/**
 * The traffic split for `weight` % on the canary: both revisions, always (0 % included), so the
 * service keeps its normal shape at 0 and 100; only sendAllToStable writes the stable one alone.
 */
function split(stable: string, canary: string, weight: number): TrafficTarget[] {
  return [
    { type: REVISION, revision: stable, percent: 100 - weight },
    { type: REVISION, revision: canary, percent: weight },
  ];
}

/** What the service serves: `trafficStatuses` (the applied split), else the requested `traffic`. */
function servedTraffic(service: ServiceMessage): TrafficTarget[] {
  const statuses = service.trafficStatuses ?? [];
  return statuses.length > 0 ? statuses : (service.traffic ?? []);
}

function describe(traffic: readonly TrafficTarget[]): string {
  return traffic.map((entry) => `${entry.revision || "latest"} ${entry.percent ?? 0} %`).join(", ") || "nothing";
}
