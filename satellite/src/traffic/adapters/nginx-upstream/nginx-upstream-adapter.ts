import { isAbsolute } from "node:path";
import { SentraError, sleep } from "@sentra/common";
import { z } from "zod";
import type { RolloutTarget } from "../../../rollout/index.js";
import type { RouterAdapter, RouterAdapterContext, RouterAdapterDefinition } from "../router-adapter.js";
import { renderTargetTemplate, TARGET_TEMPLATE_VARIABLES, unknownTargetVariables } from "../target-template.js";
import { nginxMasterPid, reloadNginx, testNginxConfiguration } from "./nginx-master.js";
import {
  canaryShareOf,
  parseUpstreamServers,
  readTextFile,
  renderUpstreamBlock,
  type UpstreamServer,
  writeFileAtomically,
} from "./nginx-upstream-file.js";

/** @default 2 — attempts of one weight change (write, test, reload, read back) before it fails. */
export const NGINX_CHANGE_ATTEMPTS = 2;
/** @default 3000 — how long a reload may take to show new workers (and `nginx -t` to run), in ms. */
export const DEFAULT_NGINX_RELOAD_TIMEOUT_MS = 3_000;
const RETRY_DELAY_MS = 200;
/** A server address as a `server` line takes it: `host:port`, `[v6]:port` or `unix:/path`. */
const SERVER_ADDRESS = /^(unix:\/[^\s;{}'"]+|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9A-Fa-f:.]+\]:\d{1,5})$/;

const absolutePath = z
  .string()
  .refine((value) => isAbsolute(value) && !/[\n;{}]/.test(value), { message: "must be an absolute path" });
const serverTemplate = z
  .string()
  .min(1)
  .refine((value) => unknownTargetVariables(value).length === 0, {
    message: `may name only ${TARGET_TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(", ")}`,
  })
  .refine((value) => SERVER_ADDRESS.test(value.replace(/\{\{\s*\w+\s*\}\}/g, "x")), {
    message: "must be a server address: host:port, [v6]:port or unix:/path (with {{…}} variables)",
  });

/** The policy's `router:` section for an NGINX upstream. */
export const nginxUpstreamTargetSchema = z.strictObject({
  adapter: z.literal("nginx-upstream"),
  /** The include file holding the `upstream` block; the adapter rewrites all of it. */
  upstreamFile: absolutePath,
  upstream: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, "must be an NGINX upstream name (letters, digits, '-', '_', '.')"),
  stableServer: serverTemplate,
  canaryServer: serverTemplate,
  /** The master's pid file (`pid` in nginx.conf): the reload is a SIGHUP to it. */
  pidFile: absolutePath,
  /** The binary for `nginx -t`. @default "nginx" (on PATH) */
  nginx: z
    .string()
    .regex(/^[^\s;]+$/, "must be a path or a command name")
    .default("nginx"),
  /** `-p` of `nginx -t`. @default NGINX's own */
  prefix: absolutePath.optional(),
  /** `-c` of `nginx -t`. @default NGINX's own */
  config: absolutePath.optional(),
  /** Directives of the block kept on every rewrite, e.g. `keepalive 16`. @default none */
  directives: z
    .array(z.string().regex(/^[a-z_]+( [^;{}#\n]+)?$/, "must be one directive without ';', braces or comments"))
    .max(20)
    .default([]),
  /** Reload (and `nginx -t`) deadline, in ms. @default 3000 */
  timeoutMs: z.number().int().min(500).max(10_000).default(DEFAULT_NGINX_RELOAD_TIMEOUT_MS),
});

/** A validated NGINX upstream target. */
export type NginxUpstreamTarget = z.output<typeof nginxUpstreamTargetSchema>;

/**
 * Moves a rollout's traffic between two servers of an NGINX upstream: it owns the upstream's
 * include file, rewrites it with the weights (atomically), tests it with `nginx -t`, reloads the
 * master with SIGHUP and confirms that new workers took over, then parses the file back. A change
 * that fails its test or its reload puts the previous file back. The last resort writes the upstream
 * with the stable server alone and reloads without `nginx -t`.
 *
 * Calls run one at a time; a `sendAllToStable` supersedes a weight change still retrying (which
 * stops before its next step), so a late retry can never undo the last resort.
 */
export class NginxUpstreamAdapter implements RouterAdapter {
  private queue: Promise<unknown> = Promise.resolve();
  /** Bumped by `sendAllToStable`; a weight change started under an older epoch gives up. */
  private epoch = 0;

  constructor(
    private readonly target: NginxUpstreamTarget,
    private readonly context: RouterAdapterContext,
  ) {}

  check(rollout: RolloutTarget): Promise<void> {
    return this.serially(async () => {
      const { stable } = this.serverAddresses(rollout);
      await nginxMasterPid(this.target.pidFile);
      const servers = await this.readServers();
      if (!servers.some((server) => server.address === stable && !server.down)) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `upstream ${this.target.upstream} in ${this.target.upstreamFile} does not serve the stable server ${stable} (it has ${servers.map((s) => `${s.address}${s.down ? " down" : ""}`).join(", ") || "no server"})`,
        );
      }
      await this.test();
    });
  }

  setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    const epoch = this.epoch;
    return this.serially(async () => {
      const canaryWeight = wholePercent(weight);
      const { stable, canary } = this.serverAddresses(rollout);
      const servers: UpstreamServer[] = [
        { address: stable, weight: 100 - canaryWeight, down: canaryWeight === 100 },
        { address: canary, weight: canaryWeight, down: canaryWeight === 0 },
      ];
      const comment = `managed by sentra (nginx-upstream adapter): rollout ${rollout.id}, canary ${canaryWeight}%`;
      for (let attempt = 1; ; attempt++) {
        if (epoch !== this.epoch) {
          throw new SentraError("ABORTED", "superseded: all traffic was sent to stable meanwhile");
        }
        try {
          await this.apply(servers, comment, { test: true });
          const read = canaryShareOf(await this.readServers(), stable, canary);
          if (read !== canaryWeight) {
            throw new SentraError(
              "ABORTED",
              `${this.target.upstreamFile} reads back ${read}% canary, not ${canaryWeight}%`,
            );
          }
          break;
        } catch (error) {
          const code = error instanceof SentraError ? error.code : "UNKNOWN";
          if (attempt >= NGINX_CHANGE_ATTEMPTS || code === "INVALID_ARGUMENT") throw error;
          this.context.log("nginx upstream change failed, retrying", { attempt, err: describe(error) });
          await sleep(RETRY_DELAY_MS);
        }
      }
      this.context.log("nginx upstream weights set", {
        upstream: this.target.upstream,
        file: this.target.upstreamFile,
        stable: `${stable} weight=${100 - canaryWeight}${canaryWeight === 100 ? " down" : ""}`,
        canary: `${canary} weight=${canaryWeight}${canaryWeight === 0 ? " down" : ""}`,
      });
    });
  }

  readCanaryWeight(rollout: RolloutTarget): Promise<number> {
    return this.serially(async () => {
      const { stable, canary } = this.serverAddresses(rollout);
      return canaryShareOf(await this.readServers(), stable, canary);
    });
  }

  sendAllToStable(rollout: RolloutTarget): Promise<void> {
    this.epoch += 1;
    return this.serially(async () => {
      const { stable, canary } = this.serverAddresses(rollout);
      await this.apply(
        [{ address: stable, weight: 100, down: false }],
        `managed by sentra (nginx-upstream adapter): rollout ${rollout.id}, all to stable (canary ${canary} removed)`,
        { test: false },
      );
      const servers = await this.readServers();
      if (servers.some((server) => server.address === canary) || canaryShareOf(servers, stable, canary) !== 0) {
        throw new SentraError("ABORTED", `${this.target.upstreamFile} still names the canary ${canary}`);
      }
      this.context.log("nginx upstream: canary removed, all traffic to stable", {
        upstream: this.target.upstream,
        file: this.target.upstreamFile,
        stable,
        canary,
      });
    });
  }

  /**
   * Writes the upstream, tests it (`test`), reloads and confirms the reload; on any failure after
   * the write, puts the previous file back (and reloads it, best effort, in case the refused reload
   * half-happened), so the file always holds what the running master serves.
   */
  private async apply(servers: readonly UpstreamServer[], comment: string, options: { test: boolean }): Promise<void> {
    const { upstreamFile, upstream, directives, pidFile, timeoutMs } = this.target;
    const previous = await readTextFile(upstreamFile);
    if (previous === undefined) {
      throw new SentraError("NOT_FOUND", `nginx upstream file ${upstreamFile} does not exist`);
    }
    const text = renderUpstreamBlock({ upstream, directives, servers, comment });
    if (text === previous) return;
    await writeFileAtomically(upstreamFile, text).catch((error: unknown) => {
      throw new SentraError("UNAVAILABLE", `cannot write ${upstreamFile}: ${describe(error)}`, { cause: error });
    });
    try {
      if (options.test) await this.test();
      await reloadNginx(pidFile, timeoutMs);
    } catch (error) {
      await writeFileAtomically(upstreamFile, previous).catch((restoreError: unknown) => {
        this.context.log("nginx upstream file could not be restored", {
          file: upstreamFile,
          err: describe(restoreError),
        });
      });
      if (!(error instanceof SentraError && error.message.startsWith("nginx -t"))) {
        // The refused (or slow) reload may still have loaded the new file: load the old one again.
        await reloadNginx(pidFile, timeoutMs).catch(() => undefined);
      }
      throw error;
    }
  }

  private test(): Promise<void> {
    const { nginx, prefix, config, timeoutMs } = this.target;
    return testNginxConfiguration({
      nginx,
      timeoutMs,
      ...(prefix === undefined ? {} : { prefix }),
      ...(config === undefined ? {} : { config }),
    });
  }

  private async readServers(): Promise<UpstreamServer[]> {
    const text = await readTextFile(this.target.upstreamFile);
    if (text === undefined) {
      throw new SentraError("NOT_FOUND", `nginx upstream file ${this.target.upstreamFile} does not exist`);
    }
    const servers = parseUpstreamServers(text, this.target.upstream);
    if (servers === undefined) {
      throw new SentraError("NOT_FOUND", `${this.target.upstreamFile} defines no upstream ${this.target.upstream}`);
    }
    return servers;
  }

  private serverAddresses(rollout: RolloutTarget): { stable: string; canary: string } {
    const stable = renderTargetTemplate(this.target.stableServer, rollout);
    const canary = renderTargetTemplate(this.target.canaryServer, rollout);
    for (const [role, address] of [
      ["stableServer", stable],
      ["canaryServer", canary],
    ] as const) {
      if (!SERVER_ADDRESS.test(address)) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `router.${role} renders as ${JSON.stringify(address)}, not a server address`,
        );
      }
    }
    if (stable === canary) {
      throw new SentraError("FAILED_PRECONDITION", `router.stableServer and router.canaryServer are both ${stable}`);
    }
    return { stable, canary };
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function wholePercent(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new SentraError("INVALID_ARGUMENT", `canary weight must be a whole percentage 0–100, got ${weight}`);
  }
  return weight;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `adapter: nginx-upstream`: NGINX upstream weights in an include file, reloaded and confirmed. */
export const NGINX_UPSTREAM_ADAPTER: RouterAdapterDefinition<NginxUpstreamTarget> = {
  name: "nginx-upstream",
  targetSchema: nginxUpstreamTargetSchema,
  create: (target, context) => new NginxUpstreamAdapter(target, context),
};
