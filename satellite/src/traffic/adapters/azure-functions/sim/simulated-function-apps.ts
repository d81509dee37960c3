import { z } from "zod";
import { ArmError, SimulatedArm, type SimulatedArmOptions } from "../../azure/sim/simulated-arm.js";
import { failRequestsControlSchema, failureRule } from "../../sim-admin.js";

/** The body of `POST /sentra-sim/v1/controls` on the simulated App Service API. */
export const functionAppsSimControlSchema = z.discriminatedUnion("type", [
  failRequestsControlSchema,
  z.strictObject({ type: z.literal("reset") }),
]);

/** One Function App (production site and one staging slot) the simulated API serves. */
export interface SimulatedFunctionAppOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly site: string;
  /** The deployment slot holding the canary. */
  readonly slot: string;
  /** Version the production slot runs (the `version` label of its requests). */
  readonly productionVersion: string;
  /** Version the slot runs. */
  readonly slotVersion: string;
  /** @default "westeurope" */
  readonly location?: string;
}

/** A ramp-up rule as the simulated API keeps it. */
export interface SimulatedRampUpRule {
  readonly name: string;
  readonly actionHostName: string;
  readonly reroutePercentage: number;
}

interface SiteState {
  readonly id: string;
  readonly options: SimulatedFunctionAppOptions;
  readonly location: string;
  rampUpRules: SimulatedRampUpRule[];
}

const SITE_PREFIX = "^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.Web/sites/([^/]+)";
const SITE_PATH = new RegExp(`${SITE_PREFIX}$`, "i");
const SLOT_PATH = new RegExp(`${SITE_PREFIX}/slots/([^/]+)$`, "i");
const CONFIG_PATH = new RegExp(`${SITE_PREFIX}/config/web$`, "i");

/**
 * A simulated App Service management API for Function Apps (`Microsoft.Web/sites`, ARM over HTTPS)
 * that the unmodified `@azure/arm-appservice` `WebSiteManagementClient` works against with its
 * `endpoint` pointed here: `GET` a site and its slots, `GET` and `PATCH` the production site's
 * `config/web`, whose `experiments.rampUpRules` (App Service "testing in production") send
 * `reroutePercentage` % of the production requests to the slot named by `actionHostName`
 * (`<site>-<slot>.azurewebsites.net`), validated as the service does. The production and slot
 * requests follow the rules, labelled with each slot's version. ARM's errors and injectable
 * failures come from {@link SimulatedArm}.
 */
export class SimulatedFunctionApps {
  readonly arm: SimulatedArm;
  readonly #sites = new Map<string, SiteState>();
  /** Successful config PATCHes, for tests. */
  updates = 0;

  private constructor(options: SimulatedArmOptions) {
    this.arm = new SimulatedArm(options);
    this.arm.route("GET", SITE_PATH, ({ match }) => ({ status: 200, body: siteJson(this.#site(match)) }));
    this.arm.route("GET", SLOT_PATH, ({ match }) => {
      const site = this.#site(match);
      if (match[4]?.toLowerCase() !== site.options.slot.toLowerCase()) {
        throw new ArmError(
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.Web/sites/${site.options.site}/slots/${match[4]}' under resource group '${match[2]}' was not found.`,
        );
      }
      return { status: 200, body: siteJson(site, site.options.slot) };
    });
    this.arm.route("GET", CONFIG_PATH, ({ match }) => ({ status: 200, body: configJson(this.#site(match)) }));
    this.arm.route("PATCH", CONFIG_PATH, ({ match, body }) => {
      const site = this.#site(match);
      this.#patch(site, body);
      this.updates += 1;
      return { status: 200, body: configJson(site) };
    });
    this.arm.serveAdmin({
      controlSchema: functionAppsSimControlSchema,
      state: () => this.state(),
      setBehaviour: ({ service, version, ...behaviour }) => this.arm.setBehaviour(service, version, behaviour),
      control: (control) => {
        if (control.type === "failRequests") this.arm.failures.failRequests(failureRule(control));
        else this.arm.failures.clear();
      },
    });
  }

  /** Every site's slot, versions and ramp-up rules, as `GET /sentra-sim/v1/state` answers. */
  state(): unknown {
    return {
      functionApps: [...this.#sites.values()].map((site) => ({
        id: site.id,
        slot: site.options.slot,
        productionVersion: site.options.productionVersion,
        slotVersion: site.options.slotVersion,
        rampUpRules: site.rampUpRules,
      })),
      failures: this.arm.failures.snapshot(),
    };
  }

  /** Starts the API (HTTPS) and its metrics port. */
  static async start(
    options: SimulatedArmOptions & { readonly sites?: readonly SimulatedFunctionAppOptions[] },
  ): Promise<SimulatedFunctionApps> {
    const sim = new SimulatedFunctionApps(options);
    await sim.arm.listen();
    for (const site of options.sites ?? []) sim.addSite(site);
    return sim;
  }

  /** Creates a Function App whose production slot takes every request. */
  addSite(options: SimulatedFunctionAppOptions): void {
    const id = `/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Web/sites/${options.site}`;
    const state: SiteState = { id, options, location: options.location ?? "westeurope", rampUpRules: [] };
    this.#sites.set(id.toLowerCase(), state);
    this.#sync(state);
  }

  /** The production site's ramp-up rules now. */
  rampUpRules(subscriptionId: string, resourceGroup: string, site: string): SimulatedRampUpRule[] {
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${site}`;
    const state = this.#sites.get(id.toLowerCase());
    if (state === undefined) throw new Error(`no simulated function app ${id}`);
    return state.rampUpRules.map((rule) => ({ ...rule }));
  }

  close(): Promise<void> {
    return this.arm.close();
  }

  #site(match: RegExpExecArray): SiteState {
    const id = `/subscriptions/${match[1]}/resourceGroups/${match[2]}/providers/Microsoft.Web/sites/${match[3]}`;
    const site = this.#sites.get(id.toLowerCase());
    if (site === undefined) {
      throw new ArmError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.Web/sites/${match[3]}' under resource group '${match[2]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return site;
  }

  #patch(site: SiteState, body: unknown): void {
    const rules = (body as { properties?: { experiments?: { rampUpRules?: unknown } } } | undefined)?.properties
      ?.experiments?.rampUpRules;
    if (rules === undefined) return;
    if (!Array.isArray(rules)) throw new ArmError(400, "BadRequest", "experiments.rampUpRules must be an array");
    const slotHost = `${site.options.site}-${site.options.slot}.azurewebsites.net`.toLowerCase();
    const parsed: SimulatedRampUpRule[] = [];
    for (const [index, raw] of rules.entries()) {
      const rule = raw as { name?: string; actionHostName?: string; reroutePercentage?: number };
      if ((rule.actionHostName ?? "").toLowerCase() !== slotHost) {
        throw new ArmError(
          400,
          "BadRequest",
          `experiments.rampUpRules[${index}].actionHostName: '${rule.actionHostName ?? ""}' is not a slot of site '${site.options.site}'`,
        );
      }
      const percentage = rule.reroutePercentage ?? 0;
      if (!Number.isFinite(percentage) || percentage < 0 || percentage > 100) {
        throw new ArmError(400, "BadRequest", `experiments.rampUpRules[${index}].reroutePercentage must be 0-100`);
      }
      parsed.push({ name: rule.name ?? "", actionHostName: rule.actionHostName ?? "", reroutePercentage: percentage });
    }
    site.rampUpRules = parsed;
    this.#sync(site);
  }

  /** Production's requests minus what the rules reroute to the slot. */
  #sync(site: SiteState): void {
    const rerouted = Math.min(
      100,
      site.rampUpRules.reduce((sum, rule) => sum + rule.reroutePercentage, 0),
    );
    const service = site.options.site;
    this.arm.traffic.setEntry(site.id, [
      [
        { service, version: site.options.productionVersion, weight: 100 - rerouted },
        { service, version: site.options.slotVersion, weight: rerouted },
      ],
    ]);
  }
}

function siteJson(site: SiteState, slot?: string) {
  const name = slot === undefined ? site.options.site : `${site.options.site}/${slot}`;
  const host =
    slot === undefined ? `${site.options.site}.azurewebsites.net` : `${site.options.site}-${slot}.azurewebsites.net`;
  return {
    id: slot === undefined ? site.id : `${site.id}/slots/${slot}`,
    name,
    type: slot === undefined ? "Microsoft.Web/sites" : "Microsoft.Web/sites/slots",
    kind: "functionapp,linux",
    location: site.location,
    properties: {
      state: "Running",
      enabled: true,
      hostNames: [host],
      defaultHostName: host,
      availabilityState: "Normal",
    },
  };
}

function configJson(site: SiteState) {
  return {
    id: `${site.id}/config/web`,
    name: "web",
    type: "Microsoft.Web/sites/config",
    location: site.location,
    properties: {
      numberOfWorkers: 1,
      alwaysOn: false,
      http20Enabled: true,
      experiments: { rampUpRules: site.rampUpRules.map((rule) => ({ ...rule })) },
    },
  };
}
