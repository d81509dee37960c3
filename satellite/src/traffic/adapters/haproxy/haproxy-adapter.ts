import { SentraError, sleep } from "@sentra/common";
import { z } from "zod";
import type { RolloutTarget } from "../../../rollout/index.js";
import type { RouterAdapter, RouterAdapterContext, RouterAdapterDefinition } from "../router-adapter.js";
import { renderTargetTemplate, TARGET_TEMPLATE_VARIABLES, unknownTargetVariables } from "../target-template.js";
import {
  DEFAULT_HAPROXY_COMMAND_TIMEOUT_MS,
  HaproxyRuntimeApi,
  type HaproxyServerState,
  isInMaintenance,
  parseRuntimeApiAddress,
} from "./haproxy-runtime-api.js";

/** @default 3 — attempts of one weight change (all its commands and the read back) before it fails. */
export const HAPROXY_CHANGE_ATTEMPTS = 3;
/** Pause between two attempts of a change, in ms. */
const RETRY_DELAY_MS = 200;
/** HAProxy proxy and server names: letters, digits, `-`, `_`, `.` and `:`. */
const HAPROXY_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

const address = z.string().refine((value) => parseRuntimeApiAddress(value) !== undefined, {
  message: "must be an absolute unix socket path or host:port of HAProxy's admin stats socket",
});
const serverTemplate = z
  .string()
  .min(1)
  .refine((value) => unknownTargetVariables(value).length === 0, {
    message: `may name only ${TARGET_TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(", ")}`,
  })
  .refine((value) => HAPROXY_NAME.test(value.replace(/\{\{\s*\w+\s*\}\}/g, "x")), {
    message: "must be an HAProxy server name (letters, digits, '-', '_', '.', ':'), with {{…}} variables",
  });

/** The policy's `router:` section for HAProxy. */
export const haproxyTargetSchema = z.strictObject({
  adapter: z.literal("haproxy"),
  /** The admin runtime API: a unix socket path or `host:port`. SENTRA_ADAPTER_ENDPOINT_HAPROXY overrides it. */
  runtimeApi: address,
  /** A second admin socket of the same HAProxy, tried first by `sendAllToStable`. */
  fallbackRuntimeApi: address.optional(),
  backend: z.string().regex(HAPROXY_NAME, "must be an HAProxy backend name (letters, digits, '-', '_', '.', ':')"),
  /** @default "{{stableVersion}}" */
  stableServer: serverTemplate.default("{{stableVersion}}"),
  /** @default "{{version}}" */
  canaryServer: serverTemplate.default("{{version}}"),
  /** One command's deadline, in ms. @default 2000 */
  timeoutMs: z.number().int().min(100).max(10_000).default(DEFAULT_HAPROXY_COMMAND_TIMEOUT_MS),
});

/** A validated HAProxy target. */
export type HaproxyTarget = z.output<typeof haproxyTargetSchema>;

/**
 * Moves a rollout's traffic between two servers of an HAProxy backend through its runtime API:
 * weights `100 − w` and `w` (`set weight`), read back with `get weight`; the last resort puts the
 * canary server in maintenance. No reload: new requests follow the weights at once.
 *
 * Calls run one at a time; a `sendAllToStable` supersedes a weight change still retrying (which
 * stops before its next command), so a late retry can never take the canary out of maintenance.
 */
export class HaproxyAdapter implements RouterAdapter {
  private readonly serially = serialQueue();
  /** Bumped by `sendAllToStable`; a weight change started under an older epoch gives up. */
  private epoch = 0;
  private readonly primary: HaproxyRuntimeApi;
  /** The runtime APIs `sendAllToStable` tries in turn: the fallback socket first, then the primary. */
  private readonly lastResort: readonly HaproxyRuntimeApi[];

  constructor(
    private readonly target: HaproxyTarget,
    private readonly context: RouterAdapterContext,
  ) {
    const primaryAddress = context.endpoint ?? target.runtimeApi;
    this.primary = new HaproxyRuntimeApi(primaryAddress, target.timeoutMs);
    const addresses = [...new Set([target.fallbackRuntimeApi ?? primaryAddress, primaryAddress])];
    this.lastResort = addresses.map((one) =>
      one === primaryAddress ? this.primary : new HaproxyRuntimeApi(one, target.timeoutMs),
    );
  }

  async check(rollout: RolloutTarget): Promise<void> {
    const { stable, canary } = this.serverNames(rollout);
    const servers = await this.primary.servers(this.target.backend);
    for (const name of [stable, canary]) {
      if (!servers.some((server) => server.name === name)) {
        throw new SentraError(
          "NOT_FOUND",
          `haproxy backend ${this.target.backend} has no server ${name} (it has ${servers.map((s) => s.name).join(", ") || "none"})`,
        );
      }
    }
    const stableState = servers.find((server) => server.name === stable) as HaproxyServerState;
    if (isInMaintenance(stableState) || stableState.weight === 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `haproxy server ${this.target.backend}/${stable} (stable) does not serve: ${isInMaintenance(stableState) ? "in maintenance" : "weight 0"}`,
      );
    }
  }

  setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const epoch = this.epoch;
    return this.serially(() => this.setWeights(rollout, weight, epoch));
  }

  private async setWeights(rollout: RolloutTarget, weight: number, epoch: number): Promise<void> {
    const canaryWeight = wholePercent(weight);
    const { stable, canary } = this.serverNames(rollout);
    const { backend } = this.target;
    const wanted = { [stable]: 100 - canaryWeight, [canary]: canaryWeight };
    const change = async (command: string) => {
      if (epoch !== this.epoch)
        throw new SentraError("CANCELLED", "superseded: all traffic was sent to stable meanwhile");
      await this.primary.change(command);
    };
    await this.withRetries(`set ${canaryWeight}% canary`, async () => {
      for (const server of [stable, canary]) await change(`set server ${backend}/${server} state ready`);
      for (const server of [stable, canary]) await change(`set weight ${backend}/${server} ${wanted[server]}`);
      const read = {
        [stable]: await this.primary.weight(backend, stable),
        [canary]: await this.primary.weight(backend, canary),
      };
      if (read[stable] !== wanted[stable] || read[canary] !== wanted[canary]) {
        throw new SentraError(
          "ABORTED",
          `haproxy ${backend}: weights read back as ${stable}=${read[stable]} ${canary}=${read[canary]}, not ${wanted[stable]}/${wanted[canary]} (changed concurrently?)`,
        );
      }
    });
    this.context.log("haproxy weights set", {
      runtimeApi: this.primary.address,
      backend,
      stable: `${stable}=${wanted[stable]}`,
      canary: `${canary}=${wanted[canary]}`,
    });
  }

  async readCanaryWeight(rollout: RolloutTarget): Promise<number> {
    const { stable, canary } = this.serverNames(rollout);
    const servers = await this.primary.servers(this.target.backend);
    return canaryShare(servers, stable, canary, this.target.backend);
  }

  sendAllToStable(rollout: RolloutTarget): Promise<void> {
    this.epoch += 1;
    return this.serially(() => this.maintainCanary(rollout));
  }

  private async maintainCanary(rollout: RolloutTarget): Promise<void> {
    const { stable, canary } = this.serverNames(rollout);
    const { backend } = this.target;
    const errors: string[] = [];
    for (const api of this.lastResort) {
      try {
        await api.change(`set server ${backend}/${canary} state maint`);
        await api.change(`set server ${backend}/${stable} state ready`);
        await api.change(`set weight ${backend}/${stable} 100`);
        const share = canaryShare(await api.servers(backend), stable, canary, backend);
        if (share !== 0) throw new SentraError("ABORTED", `the canary still reads ${share}% after maint`);
        this.context.log("haproxy canary in maintenance: all traffic to stable", {
          runtimeApi: api.address,
          backend,
          stable,
          canary,
        });
        return;
      } catch (error) {
        errors.push(`${api.address}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new SentraError(
      "UNAVAILABLE",
      `haproxy: could not send all of ${backend} to ${stable}: ${errors.join("; ")}`,
    );
  }

  private serverNames(rollout: RolloutTarget): { stable: string; canary: string } {
    const stable = renderTargetTemplate(this.target.stableServer, rollout);
    const canary = renderTargetTemplate(this.target.canaryServer, rollout);
    for (const [role, name] of [
      ["stableServer", stable],
      ["canaryServer", canary],
    ] as const) {
      if (!HAPROXY_NAME.test(name)) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `router.${role} renders as ${JSON.stringify(name)}, not an HAProxy server name`,
        );
      }
    }
    if (stable === canary) {
      throw new SentraError("FAILED_PRECONDITION", `router.stableServer and router.canaryServer are both ${stable}`);
    }
    return { stable, canary };
  }

  /** Runs a whole change again after a failure (HAProxy restarting, a concurrent edit), up to the attempts. */
  private async withRetries(what: string, change: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await change();
        return;
      } catch (error) {
        const code = error instanceof SentraError ? error.code : "UNKNOWN";
        const final =
          attempt >= HAPROXY_CHANGE_ATTEMPTS ||
          code === "NOT_FOUND" ||
          code === "INVALID_ARGUMENT" ||
          code === "CANCELLED";
        if (final) throw error;
        this.context.log("haproxy change failed, retrying", {
          change: what,
          attempt,
          err: error instanceof Error ? error.message : String(error),
        });
        await sleep(RETRY_DELAY_MS * attempt);
      }
    }
  }
}

/** Runs calls of one adapter one after the other. */
function serialQueue(): <T>(run: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return (run) => {
    const result = queue.then(run);
    queue = result.catch(() => undefined);
    return result;
  };
}

/** The canary's share of the two servers' weights, in percent; 0 while it is in maintenance. */
function canaryShare(servers: readonly HaproxyServerState[], stable: string, canary: string, backend: string): number {
  const find = (name: string) => {
    const server = servers.find((candidate) => candidate.name === name);
    if (server === undefined) throw new SentraError("NOT_FOUND", `haproxy backend ${backend} has no server ${name}`);
    return server;
  };
  const stableState = find(stable);
  const canaryState = find(canary);
  if (isInMaintenance(canaryState)) return 0;
  const stableWeight = isInMaintenance(stableState) ? 0 : stableState.weight;
  const total = stableWeight + canaryState.weight;
  return total === 0 ? 0 : Math.round((canaryState.weight / total) * 100);
}

function wholePercent(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new SentraError("INVALID_ARGUMENT", `canary weight must be a whole percentage 0–100, got ${weight}`);
  }
  return weight;
}

/** `adapter: haproxy`: HAProxy server weights through its runtime API. */
export const HAPROXY_ADAPTER: RouterAdapterDefinition<HaproxyTarget> = {
  name: "haproxy",
  targetSchema: haproxyTargetSchema,
  create: (target, context) => new HaproxyAdapter(target, context),
};
