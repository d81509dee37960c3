import { type ContainerApp, ContainerAppsAPIClient, type TrafficWeight } from "@azure/arm-appcontainers";
import { SentraError } from "@sentra/common";
import type { RolloutTarget } from "../../../rollout/index.js";
import { armError } from "../azure/arm-error.js";
import {
  ARM_SCOPE,
  type AzureAdapterOptions,
  armPipelineOptions,
  azureCredential,
  DEFAULT_ARM_POLL_INTERVAL_MS,
} from "../azure/azure-client-options.js";
import { retryVendorCall } from "../retry-vendor-call.js";
import type { RouterAdapter, RouterAdapterContext, RouterAdapterDefinition } from "../router-adapter.js";
import {
  CONTAINER_APPS_ADAPTER_NAME,
  type ContainerAppsTarget,
  containerAppsTargetSchema,
} from "./container-apps-target.js";

/** The ARM permissions the adapter uses (for the access-denied hint and the docs). */
const ACTIONS = "Microsoft.App/containerApps/read and Microsoft.App/containerApps/write";

/**
 * Splits an Azure Container App's ingress traffic between two revisions through the official
 * `@azure/arm-appcontainers` client: `configuration.ingress.traffic = [{ revisionName, weight }, …]`
 * written with `containerApps.beginUpdateAndWait` (the ARM long-running operation polled to its
 * end) and read back with `containerApps.get`. Revisions are `<containerApp>--<version>`; the app
 * must be in `Multiple` revision mode. A 429 is waited out by the SDK's retry policy (its
 * `Retry-After`); a 409 (another operation in progress) re-reads and writes again. Credentials:
 * `DefaultAzureCredential` (workload identity, managed identity), never logged.
 */
export class ContainerAppsAdapter implements RouterAdapter {
  readonly #target: ContainerAppsTarget;
  readonly #context: RouterAdapterContext;
  readonly #options: AzureAdapterOptions;
  readonly #client: ContainerAppsAPIClient;
  readonly #where: string;

  constructor(target: ContainerAppsTarget, context: RouterAdapterContext, options: AzureAdapterOptions = {}) {
    this.#target = target;
    this.#context = context;
    this.#options = options;
    this.#where = `container app ${target.containerApp} (resource group ${target.resourceGroup}, subscription ${target.subscriptionId})`;
    this.#client = new ContainerAppsAPIClient(azureCredential(options), target.subscriptionId, {
      ...armPipelineOptions(context, options),
      credentialScopes: ARM_SCOPE,
    });
  }

  async check(rollout: RolloutTarget): Promise<void> {
    const stable = this.#revision(stableVersionOf(rollout));
    const app = await this.#call("check", () => this.#get());
    const traffic = this.#ingress(app).traffic ?? [];
    if (weightOf(app, traffic, stable) <= 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${this.#where} sends no traffic to the stable revision ${stable} (it serves ${describe(app, traffic)}); deploy the stable version with --revision-suffix ${rollout.stableVersion}`,
        { field: "stable_version" },
      );
    }
  }

  async setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const stable = this.#revision(stableVersionOf(rollout));
    const canary = this.#revision(rollout.version);
    await this.#call("setCanaryWeight", async () => {
      const app = await this.#get();
      const ingress = this.#ingress(app);
      // Labelled revisions at 0 % (their own URLs for testing) stay as they are.
      const kept = (ingress.traffic ?? []).filter(
        (entry) =>
          (entry.weight ?? 0) === 0 && entry.label && entry.revisionName !== stable && entry.revisionName !== canary,
      );
      await this.#update(app, [...split(stable, canary, weight), ...kept]);
    });
    await this.#expectWeight(rollout, weight);
    this.#context.log("container apps traffic set", { containerApp: this.#target.containerApp, canary, weight });
  }

  async readCanaryWeight(rollout: RolloutTarget): Promise<number> {
    const canary = this.#revision(rollout.version);
    const app = await this.#call("readCanaryWeight", () => this.#get());
    return weightOf(app, this.#ingress(app).traffic ?? [], canary);
  }

  /** Writes the stable revision alone at 100 % (labels and any other entry dropped). */
  async sendAllToStable(rollout: RolloutTarget): Promise<void> {
    const stable = this.#revision(stableVersionOf(rollout));
    await this.#call("sendAllToStable", async () => {
      const app = await this.#get();
      await this.#update(app, [{ revisionName: stable, weight: 100, latestRevision: false }]);
    });
    await this.#expectWeight(rollout, 0);
    this.#context.log("container apps traffic all to stable", { containerApp: this.#target.containerApp, stable });
  }

  #revision(version: string): string {
    return `${this.#target.containerApp}--${version}`;
  }

  #get(): Promise<ContainerApp> {
    return this.#client.containerApps.get(this.#target.resourceGroup, this.#target.containerApp);
  }

  #ingress(app: ContainerApp) {
    const ingress = app.configuration?.ingress;
    if (ingress === undefined) {
      throw new SentraError("FAILED_PRECONDITION", `${this.#where} has no ingress: nothing to split`);
    }
    if (app.configuration?.activeRevisionsMode?.toLowerCase() !== "multiple") {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${this.#where} is in ${app.configuration?.activeRevisionsMode ?? "Single"} revision mode; traffic splitting needs Multiple (az containerapp revision set-mode --mode multiple)`,
      );
    }
    return ingress;
  }

  async #update(app: ContainerApp, traffic: TrafficWeight[]): Promise<void> {
    await this.#client.containerApps.beginUpdateAndWait(
      this.#target.resourceGroup,
      this.#target.containerApp,
      { location: app.location, configuration: { ingress: { ...this.#ingress(app), traffic } } },
      { updateIntervalInMs: this.#options.pollIntervalMs ?? DEFAULT_ARM_POLL_INTERVAL_MS },
    );
  }

  async #expectWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const served = await this.readCanaryWeight(rollout);
    if (served !== weight) {
      throw new SentraError(
        "UNAVAILABLE",
        `${this.#where} serves ${served} % on ${this.#revision(rollout.version)} after the update to ${weight} %`,
      );
    }
  }

  #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return retryVendorCall(call, (error) => armError(error, `Container Apps ${what} of ${this.#where}`, ACTIONS), {
      ...this.#options.retry,
      onRetry: (attempt, error) =>
        this.#context.log("container apps call retried", {
          containerApp: this.#target.containerApp,
          call: what,
          attempt,
          code: error.code,
        }),
    });
  }
}

/** Builds the Container Apps adapter (the definition's `create`; tests pass a credential and CA). */
export function createContainerAppsAdapter(
  target: ContainerAppsTarget,
  context: RouterAdapterContext,
  options: AzureAdapterOptions = {},
): ContainerAppsAdapter {
  return new ContainerAppsAdapter(target, context, options);
}

/** `router.adapter: azure-container-apps`. */
export const CONTAINER_APPS_ADAPTER: RouterAdapterDefinition<ContainerAppsTarget> = {
  name: CONTAINER_APPS_ADAPTER_NAME,
  targetSchema: containerAppsTargetSchema,
  create: (target, context) => createContainerAppsAdapter(target, context),
};

function stableVersionOf(rollout: RolloutTarget): string {
  if (rollout.stableVersion === undefined || rollout.stableVersion === "") {
    throw SentraError.invalidArgument("stable_version", "the Container Apps adapter needs the stable version");
  }
  return rollout.stableVersion;
}

/** Both revisions, always (0 % included): the normal shape; only sendAllToStable writes the stable one alone. */
function split(stable: string, canary: string, weight: number): TrafficWeight[] {
  return [
    { revisionName: stable, weight: 100 - weight, latestRevision: false },
    { revisionName: canary, weight, latestRevision: false },
  ];
}

/** The weight a revision gets, an entry with `latestRevision: true` counting for the latest revision. */
function weightOf(app: ContainerApp, traffic: readonly TrafficWeight[], revision: string): number {
  return traffic
    .filter((entry) => (entry.latestRevision ? app.latestRevisionName : entry.revisionName) === revision)
    .reduce((sum, entry) => sum + (entry.weight ?? 0), 0);
}

function describe(app: ContainerApp, traffic: readonly TrafficWeight[]): string {
  return (
    traffic
      .map(
        (entry) =>
          `${entry.latestRevision ? `latest (${app.latestRevisionName})` : entry.revisionName} ${entry.weight ?? 0} %`,
      )
      .join(", ") || "nothing"
  );
}
