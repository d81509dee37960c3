import { type RampUpRule, type SiteConfigResource, WebSiteManagementClient } from "@azure/arm-appservice";
import { SentraError } from "@sentra/common";
import type { RolloutTarget } from "../../../rollout/index.js";
import { armError } from "../azure/arm-error.js";
import {
  ARM_SCOPE,
  type AzureAdapterOptions,
  armPipelineOptions,
  azureCredential,
} from "../azure/azure-client-options.js";
import { retryVendorCall } from "../retry-vendor-call.js";
import type { RouterAdapter, RouterAdapterContext, RouterAdapterDefinition } from "../router-adapter.js";
import { FUNCTION_APP_ADAPTER_NAME, type FunctionAppTarget, functionAppTargetSchema } from "./function-app-target.js";

/** The ARM permissions the adapter uses (for the access-denied hint and the docs). */
const ACTIONS =
  "Microsoft.Web/sites/read, Microsoft.Web/sites/slots/read, Microsoft.Web/sites/config/read and Microsoft.Web/sites/config/write";

/**
 * Sends a share of an Azure Function App's production traffic to the deployment slot holding the
 * canary, through the official `@azure/arm-appservice` client: the production site's
 * `siteConfig.experiments.rampUpRules` (App Service "testing in production") carry one rule named
 * after the slot, `actionHostName` the slot's host and `reroutePercentage` the canary weight,
 * written with `webApps.updateConfiguration` and read back with `webApps.getConfiguration`. At 0 %
 * the rule is removed. At 100 % the rule reroutes everything to the slot: promotion stays a traffic
 * change that a revert undoes, and the slot swap that makes the canary the production build is the
 * operator's (or pipeline's) next step, with its warm-up and slot-sticky settings (docs/adapters.md).
 * Rules for other slots are kept. sendAllToStable writes an empty rule list without reading first
 * and checks the write's answer.
 * A 429 is waited out by the SDK (Retry-After), a 409 re-reads and writes again. Credentials:
 * `DefaultAzureCredential`, never logged.
 */
export class FunctionAppAdapter implements RouterAdapter {
  readonly #target: FunctionAppTarget;
  readonly #context: RouterAdapterContext;
  readonly #options: AzureAdapterOptions;
  readonly #client: WebSiteManagementClient;
  readonly #where: string;
  readonly #slotHost: string;

  constructor(target: FunctionAppTarget, context: RouterAdapterContext, options: AzureAdapterOptions = {}) {
    this.#target = target;
    this.#context = context;
    this.#options = options;
    this.#where = `function app ${target.site} slot ${target.slot} (resource group ${target.resourceGroup}, subscription ${target.subscriptionId})`;
    this.#slotHost = target.slotHostName ?? `${target.site}-${target.slot}.azurewebsites.net`;
    this.#client = new WebSiteManagementClient(azureCredential(options), target.subscriptionId, {
      ...armPipelineOptions(context, options),
      credentials: { scopes: [ARM_SCOPE] },
    });
  }

  async check(_rollout: RolloutTarget): Promise<void> {
    const { resourceGroup, site, slot } = this.#target;
    await this.#call("check", async () => {
      await this.#client.webApps.get(resourceGroup, site);
      await this.#client.webApps.getSlot(resourceGroup, site, slot);
    });
    const rules = await this.#rules("check");
    const others = rules.filter((rule) => !this.#isOurs(rule) && (rule.reroutePercentage ?? 0) > 0);
    if (others.length > 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${this.#where}: production already reroutes to ${others.map((rule) => `${rule.name} (${rule.reroutePercentage} %)`).join(", ")}; remove those ramp-up rules first`,
      );
    }
  }

  async setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    await this.#call("setCanaryWeight", async () => {
      const config = await this.#client.webApps.getConfiguration(this.#target.resourceGroup, this.#target.site);
      const others = (config.experiments?.rampUpRules ?? []).filter((rule) => !this.#isOurs(rule));
      const ours: RampUpRule[] =
        weight > 0 ? [{ name: this.#target.slot, actionHostName: this.#slotHost, reroutePercentage: weight }] : [];
      await this.#write([...others, ...ours]);
    });
    await this.#expectWeight(rollout, weight);
    this.#context.log("function app traffic set", { site: this.#target.site, slot: this.#target.slot, weight });
  }

  async readCanaryWeight(_rollout: RolloutTarget): Promise<number> {
    const rules = await this.#rules("readCanaryWeight");
    return rules.filter((rule) => this.#isOurs(rule)).reduce((sum, rule) => sum + (rule.reroutePercentage ?? 0), 0);
  }

  /**
   * Clears every ramp-up rule of the production site in one write, without reading the configuration
   * first; the write's answer (the configuration the site now has) is the read back.
   */
  async sendAllToStable(_rollout: RolloutTarget): Promise<void> {
    const applied = await this.#call("sendAllToStable", () => this.#write([]));
    const left = (applied.experiments?.rampUpRules ?? []).filter((rule) => (rule.reroutePercentage ?? 0) > 0);
    if (left.length > 0) {
      throw new SentraError(
        "UNAVAILABLE",
        `${this.#where} still reroutes to ${left.map((rule) => rule.name).join(", ")} after clearing its ramp-up rules`,
      );
    }
    this.#context.log("function app traffic all to stable", { site: this.#target.site, slot: this.#target.slot });
  }

  #isOurs(rule: RampUpRule): boolean {
    return (
      rule.name?.toLowerCase() === this.#target.slot.toLowerCase() ||
      rule.actionHostName?.toLowerCase() === this.#slotHost.toLowerCase()
    );
  }

  async #rules(what: string): Promise<RampUpRule[]> {
    const config = await this.#call(what, () =>
      this.#client.webApps.getConfiguration(this.#target.resourceGroup, this.#target.site),
    );
    return config.experiments?.rampUpRules ?? [];
  }

  #write(rampUpRules: RampUpRule[]): Promise<SiteConfigResource> {
    return this.#client.webApps.updateConfiguration(this.#target.resourceGroup, this.#target.site, {
      experiments: { rampUpRules },
    });
  }

  async #expectWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const served = await this.readCanaryWeight(rollout);
    if (served !== weight) {
      throw new SentraError(
        "UNAVAILABLE",
        `${this.#where} reroutes ${served} % to the slot after the update to ${weight} %`,
      );
    }
  }

  #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return retryVendorCall(call, (error) => armError(error, `Azure Functions ${what} of ${this.#where}`, ACTIONS), {
      ...this.#options.retry,
      onRetry: (attempt, error) =>
        this.#context.log("function app call retried", {
          site: this.#target.site,
          call: what,
          attempt,
          code: error.code,
        }),
    });
  }
}

/** Builds the Azure Functions adapter (the definition's `create`; tests pass a credential and CA). */
export function createFunctionAppAdapter(
  target: FunctionAppTarget,
  context: RouterAdapterContext,
  options: AzureAdapterOptions = {},
): FunctionAppAdapter {
  return new FunctionAppAdapter(target, context, options);
}

/** `router.adapter: azure-functions`. */
export const FUNCTION_APP_ADAPTER: RouterAdapterDefinition<FunctionAppTarget> = {
  name: FUNCTION_APP_ADAPTER_NAME,
  targetSchema: functionAppTargetSchema,
  create: (target, context) => createFunctionAppAdapter(target, context),
};
