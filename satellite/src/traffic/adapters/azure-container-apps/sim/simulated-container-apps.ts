import { z } from "zod";
import { ArmError, SimulatedArm, type SimulatedArmOptions } from "../../azure/sim/simulated-arm.js";
import { failRequestsControlSchema, failureRule } from "../../sim-admin.js";

/** The body of `POST /sentra-sim/v1/controls` on the simulated Container Apps API. */
export const containerAppsSimControlSchema = z.discriminatedUnion("type", [
  failRequestsControlSchema,
  z.strictObject({
    type: z.literal("deactivateRevision"),
    containerApp: z.string().min(1),
    revision: z.string().min(1),
  }),
  z.strictObject({ type: z.literal("reset") }),
]);

/** One container app the simulated API serves. */
export interface SimulatedContainerAppOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  /** @default "westeurope" */
  readonly location?: string;
  /** Versions with a revision `<name>--<version>`; the first one takes 100 %. */
  readonly versions: readonly string[];
  /** @default "Multiple" (traffic splitting needs it) */
  readonly activeRevisionsMode?: "Single" | "Multiple";
}

interface TrafficEntry {
  readonly revisionName: string;
  readonly weight: number;
  readonly label?: string;
}

interface AppState {
  readonly id: string;
  readonly name: string;
  readonly location: string;
  readonly revisions: string[];
  /** Revisions deactivated (`az containerapp revision deactivate`): traffic may no longer name them. */
  readonly inactive: Set<string>;
  readonly activeRevisionsMode: "Single" | "Multiple";
  traffic: TrafficEntry[];
}

const APP_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/containerApps\/([^/]+)$/i;

/**
 * A simulated Azure Container Apps management API (`Microsoft.App/containerApps`, ARM over HTTPS)
 * that the unmodified `@azure/arm-appcontainers` `ContainerAppsAPIClient` works against with its
 * `endpoint` pointed here: `GET` a container app, `PATCH` it as a long-running operation (202,
 * `Azure-AsyncOperation` polled to `Succeeded`, then the final `GET`), with
 * `configuration.ingress.traffic` validated as the real service does (weights summing to 100,
 * revisions that exist, several active revisions only in `Multiple` mode) and each revision's
 * requests following it. ARM's errors and failures come from {@link SimulatedArm}.
 */
export class SimulatedContainerApps {
  readonly arm: SimulatedArm;
  readonly #apps = new Map<string, AppState>();
  /** Successful PATCHes, for tests. */
  updates = 0;

  private constructor(options: SimulatedArmOptions) {
    this.arm = new SimulatedArm(options);
    this.arm.route("GET", APP_PATH, ({ match }) => ({ status: 200, body: this.#json(this.#app(match)) }));
    this.arm.route("PATCH", APP_PATH, ({ match, body }) => {
      const app = this.#app(match);
      this.#patch(app, body);
      this.updates += 1;
      return this.arm.accepted(app.location, "Microsoft.App");
    });
    this.arm.serveAdmin({
      controlSchema: containerAppsSimControlSchema,
      state: () => this.state(),
      setBehaviour: ({ service, version, ...behaviour }) => this.arm.setBehaviour(service, version, behaviour),
      control: (control) => {
        if (control.type === "failRequests") this.arm.failures.failRequests(failureRule(control));
        else if (control.type === "reset") this.arm.failures.clear();
        else {
          const app = [...this.#apps.values()].find((candidate) => candidate.name === control.containerApp);
          if (app === undefined) throw new Error(`containerApp: no simulated container app ${control.containerApp}`);
          if (!app.revisions.includes(control.revision))
            throw new Error(`revision: ${control.revision} is not a revision of ${app.name}`);
          app.inactive.add(control.revision);
        }
      },
    });
  }

  /** Every app's revisions and traffic, as `GET /sentra-sim/v1/state` answers. */
  state(): unknown {
    return {
      containerApps: [...this.#apps.values()].map((app) => ({
        id: app.id,
        revisions: app.revisions,
        inactive: [...app.inactive],
        traffic: app.traffic,
      })),
      failures: this.arm.failures.snapshot(),
    };
  }

  /** Starts the API (HTTPS) and its metrics port. */
  static async start(
    options: SimulatedArmOptions & { readonly apps?: readonly SimulatedContainerAppOptions[] },
  ): Promise<SimulatedContainerApps> {
    const sim = new SimulatedContainerApps(options);
    await sim.arm.listen();
    for (const app of options.apps ?? []) sim.addApp(app);
    return sim;
  }

  /** Creates a container app whose first version's revision takes 100 %. */
  addApp(options: SimulatedContainerAppOptions): void {
    const id = `/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.App/containerApps/${options.name}`;
    const revisions = options.versions.map((version) => `${options.name}--${version}`);
    const state: AppState = {
      id,
      name: options.name,
      location: options.location ?? "westeurope",
      revisions,
      inactive: new Set(),
      activeRevisionsMode: options.activeRevisionsMode ?? "Multiple",
      traffic: [{ revisionName: revisions[0] ?? "", weight: 100 }],
    };
    this.#apps.set(id.toLowerCase(), state);
    this.#sync(state);
  }

  /** Weight per revision the app serves now. */
  traffic(subscriptionId: string, resourceGroup: string, name: string): Record<string, number> {
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.App/containerApps/${name}`;
    const app = this.#apps.get(id.toLowerCase());
    if (app === undefined) throw new Error(`no simulated container app ${id}`);
    return Object.fromEntries(app.traffic.map((entry) => [entry.revisionName, entry.weight]));
  }

  /**
   * Deactivates a revision, as `az containerapp revision deactivate` (or a failed revision) does: it
   * keeps the traffic it has until the next write, which may no longer name it.
   */
  deactivateRevision(subscriptionId: string, resourceGroup: string, name: string, revision: string): void {
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.App/containerApps/${name}`;
    const app = this.#apps.get(id.toLowerCase());
    if (app === undefined) throw new Error(`no simulated container app ${id}`);
    app.inactive.add(revision);
  }

  close(): Promise<void> {
    return this.arm.close();
  }

  #app(match: RegExpExecArray): AppState {
    const [path = ""] = match;
    const app = this.#apps.get(path.toLowerCase());
    if (app === undefined) {
      throw new ArmError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.App/containerApps/${match[3]}' under resource group '${match[2]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return app;
  }

  #patch(app: AppState, body: unknown): void {
    const traffic = (body as { properties?: { configuration?: { ingress?: { traffic?: unknown } } } } | undefined)
      ?.properties?.configuration?.ingress?.traffic;
    if (traffic === undefined) return;
    if (!Array.isArray(traffic)) throw new ArmError(400, "InvalidRequestContent", "ingress.traffic must be an array");
    const entries: TrafficEntry[] = [];
    for (const [index, raw] of traffic.entries()) {
      const entry = raw as { revisionName?: string; weight?: number; latestRevision?: boolean; label?: string };
      const revisionName = entry.latestRevision ? app.revisions.at(-1) : entry.revisionName;
      if (revisionName === undefined || !app.revisions.includes(revisionName)) {
        throw new ArmError(
          400,
          "ContainerAppInvalidRevisionName",
          `properties.configuration.ingress.traffic[${index}].revisionName: revision '${entry.revisionName ?? ""}' of container app '${app.name}' does not exist`,
        );
      }
      if (app.inactive.has(revisionName)) {
        throw new ArmError(
          400,
          "ContainerAppRevisionNotActive",
          `properties.configuration.ingress.traffic[${index}].revisionName: revision '${revisionName}' is not active`,
        );
      }
      const weight = entry.weight ?? 0;
      if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
        throw new ArmError(
          400,
          "ContainerAppInvalidTrafficWeight",
          `traffic[${index}].weight must be an integer 0-100`,
        );
      }
      entries.push({ revisionName, weight, ...(entry.label ? { label: entry.label } : {}) });
    }
    const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
    if (total !== 100) {
      throw new ArmError(
        400,
        "ContainerAppInvalidTrafficWeights",
        `The sum of traffic weights must be 100, got ${total}.`,
      );
    }
    if (app.activeRevisionsMode === "Single" && entries.filter((entry) => entry.weight > 0).length > 1) {
      throw new ArmError(
        400,
        "ContainerAppInvalidTrafficWeights",
        "Traffic can be split between revisions only when activeRevisionsMode is Multiple.",
      );
    }
    app.traffic = entries;
    this.#sync(app);
  }

  /** Each revision's requests follow the traffic (revision `<app>--<version>`). */
  #sync(app: AppState): void {
    this.arm.traffic.setEntry(app.id, [
      app.traffic.map((entry) => ({
        service: app.name,
        version: entry.revisionName.slice(app.name.length + 2),
        weight: entry.weight,
      })),
    ]);
  }

  #json(app: AppState) {
    const latest = app.revisions.at(-1) ?? "";
    return {
      id: app.id,
      name: app.name,
      type: "Microsoft.App/containerApps",
      location: app.location,
      properties: {
        provisioningState: "Succeeded",
        runningStatus: "Running",
        latestRevisionName: latest,
        latestReadyRevisionName: latest,
        latestRevisionFqdn: `${latest}.sim.westeurope.azurecontainerapps.io`,
        configuration: {
          activeRevisionsMode: app.activeRevisionsMode,
          ingress: {
            fqdn: `${app.name}.sim.westeurope.azurecontainerapps.io`,
            external: true,
            targetPort: 8080,
            transport: "Auto",
            allowInsecure: false,
            traffic: app.traffic.map((entry) => ({ ...entry })),
          },
        },
        template: { containers: [{ name: app.name, image: `registry.example/${app.name}:${latest}` }] },
      },
    };
  }
}
