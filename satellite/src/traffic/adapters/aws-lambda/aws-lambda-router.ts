import {
  type AliasConfiguration,
  GetAliasCommand,
  GetFunctionCommand,
  LambdaClient,
  UpdateAliasCommand,
  type UpdateAliasCommandInput,
} from "@aws-sdk/client-lambda";
import { SentraError } from "@sentra/common";
import type { RolloutTarget } from "../../../rollout/index.js";
import { updateWithRetry } from "../../update-with-retry.js";
import { callAws } from "../aws/aws-call.js";
import { awsClientOptions, regionOfArn } from "../aws/aws-client-options.js";
import type { RouterAdapter, RouterAdapterContext } from "../router-adapter.js";
import type { AwsLambdaTarget } from "./aws-lambda-target.js";

const ADAPTER = "aws-lambda";
/** A published Lambda version: `$LATEST` cannot take part in weighted routing. */
const PUBLISHED_VERSION = /^[1-9]\d*$/;

/**
 * Moves a Lambda alias's traffic between two published versions through `@aws-sdk/client-lambda`.
 * Below 100 % the alias's `FunctionVersion` is the stable version and
 * `RoutingConfig.AdditionalVersionWeights = { <canary>: weight / 100 }` (none at 0 %); at 100 % the
 * alias points at the canary with no routing config (promotion). Every write is UpdateAlias with
 * the `RevisionId` just read (PreconditionFailedException or ResourceConflictException: re-read and
 * retry, 5 times), then read back with GetAlias. The SDK retries throttling itself.
 * `sendAllToStable` is the unconditional write: no RevisionId, `FunctionVersion = stable`,
 * `RoutingConfig = {}`.
 */
export class AwsLambdaRouter implements RouterAdapter {
  readonly #target: AwsLambdaTarget;
  readonly #context: RouterAdapterContext;
  readonly #client: LambdaClient;
  readonly #resource: string;

  constructor(target: AwsLambdaTarget, context: RouterAdapterContext) {
    this.#target = target;
    this.#context = context;
    this.#client = new LambdaClient(awsClientOptions(target.region ?? regionOfArn(target.function), context));
    this.#resource = `${target.function}:${target.alias}`;
  }

  async check(rollout: RolloutTarget): Promise<void> {
    const { stable, canary } = versionsOf(rollout);
    const alias = await this.#getAlias();
    if (alias.FunctionVersion !== stable) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${ADAPTER} ${this.#resource}: the alias points at version ${alias.FunctionVersion ?? "(none)"}, not the stable version ${stable}`,
        { field: "stableVersion", details: { functionVersion: alias.FunctionVersion, stableVersion: stable } },
      );
    }
    const foreign = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).filter(
      ([version, weight]) => version !== canary && weight > 0,
    );
    if (foreign.length > 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${ADAPTER} ${this.#resource}: the alias also routes to version ${foreign.map(([version]) => version).join(", ")}, which is neither the stable ${stable} nor the canary ${canary}`,
      );
    }
    await callAws(
      this.#context,
      { adapter: ADAPTER, operation: "GetFunction", resource: `${this.#target.function}:${canary}` },
      () => this.#client.send(new GetFunctionCommand({ FunctionName: this.#target.function, Qualifier: canary })),
    );
  }

  async setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    checkWeight(weight);
    const { stable, canary } = versionsOf(rollout);
    const wanted: Pick<UpdateAliasCommandInput, "FunctionVersion" | "RoutingConfig"> =
      weight === 100
        ? { FunctionVersion: canary, RoutingConfig: { AdditionalVersionWeights: {} } }
        : {
            FunctionVersion: stable,
            RoutingConfig: { AdditionalVersionWeights: weight === 0 ? {} : { [canary]: weight / 100 } },
          };
    await updateWithRetry<AliasConfiguration>({
      read: () => this.#getAlias(),
      edit: (alias) => !sameRouting(alias, wanted),
      write: (alias) => this.#updateAlias({ ...wanted, ...(alias.RevisionId ? { RevisionId: alias.RevisionId } : {}) }),
      onConflict: (attempt) =>
        this.#context.log("aws-lambda alias changed concurrently; re-reading", {
          adapter: ADAPTER,
          resource: this.#resource,
          attempt: attempt + 1,
        }),
    });
    const applied = weightOf(await this.#getAlias(), stable, canary, this.#resource);
    if (applied !== weight) {
      throw new SentraError(
        "ABORTED",
        `${ADAPTER} ${this.#resource}: read back ${applied} % canary after setting ${weight} % (another writer changed the alias)`,
      );
    }
  }

  async readCanaryWeight(rollout: RolloutTarget): Promise<number> {
    const { stable, canary } = versionsOf(rollout);
    return weightOf(await this.#getAlias(), stable, canary, this.#resource);
  }

  async sendAllToStable(rollout: RolloutTarget): Promise<void> {
    const { stable } = versionsOf(rollout);
    // Unconditional: no RevisionId, so neither a concurrent writer nor a stale read can refuse it.
    await this.#updateAlias({ FunctionVersion: stable, RoutingConfig: {} });
    const alias = await this.#getAlias();
    const weights = Object.values(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).filter((share) => share > 0);
    if (alias.FunctionVersion !== stable || weights.length > 0) {
      throw new SentraError(
        "ABORTED",
        `${ADAPTER} ${this.#resource}: read back version ${alias.FunctionVersion ?? "(none)"} with ${weights.length} weighted version(s) after sending everything to ${stable}`,
      );
    }
  }

  #getAlias(): Promise<AliasConfiguration> {
    return callAws(this.#context, { adapter: ADAPTER, operation: "GetAlias", resource: this.#resource }, () =>
      this.#client.send(new GetAliasCommand({ FunctionName: this.#target.function, Name: this.#target.alias })),
    );
  }

  #updateAlias(input: Omit<UpdateAliasCommandInput, "FunctionName" | "Name">): Promise<AliasConfiguration> {
    return callAws(this.#context, { adapter: ADAPTER, operation: "UpdateAlias", resource: this.#resource }, () =>
      this.#client.send(
        new UpdateAliasCommand({ FunctionName: this.#target.function, Name: this.#target.alias, ...input }),
      ),
    );
  }
}

/** The rollout's versions, both published version numbers. */
function versionsOf(rollout: RolloutTarget): { stable: string; canary: string } {
  const stable = rollout.stableVersion;
  if (stable === undefined || !PUBLISHED_VERSION.test(stable)) {
    throw SentraError.invalidArgument(
      "stableVersion",
      `the aws-lambda adapter needs the stable version as a published Lambda version number, got ${stable === undefined ? "none" : JSON.stringify(stable)}`,
    );
  }
  if (!PUBLISHED_VERSION.test(rollout.version)) {
    throw SentraError.invalidArgument(
      "version",
      `the aws-lambda adapter needs the canary as a published Lambda version number ($LATEST cannot be weighted), got ${JSON.stringify(rollout.version)}`,
    );
  }
  if (stable === rollout.version) throw SentraError.invalidArgument("version", "must differ from stableVersion");
  return { stable, canary: rollout.version };
}

function checkWeight(weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw SentraError.invalidArgument("weight", `must be an integer 0–100, got ${weight}`);
  }
}

/** The canary percentage an alias serves: its primary version and additional weight, between stable and canary. */
function weightOf(alias: AliasConfiguration, stable: string, canary: string, resource: string): number {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
  const foreign = Object.entries(weights).filter(
    ([version, share]) => version !== stable && version !== canary && share > 0,
  );
  if (foreign.length === 0 && alias.FunctionVersion === stable) return Math.round((weights[canary] ?? 0) * 100);
  if (foreign.length === 0 && alias.FunctionVersion === canary) return 100 - Math.round((weights[stable] ?? 0) * 100);
  throw new SentraError(
    "FAILED_PRECONDITION",
    `${ADAPTER} ${resource}: the alias routes to version ${[alias.FunctionVersion, ...foreign.map(([version]) => version)].join(" and ")}, not between the stable ${stable} and the canary ${canary}`,
  );
}

/** True when the alias already routes exactly as wanted (nothing to write). */
function sameRouting(
  alias: AliasConfiguration,
  wanted: Pick<UpdateAliasCommandInput, "FunctionVersion" | "RoutingConfig">,
): boolean {
  const have = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).filter(([, share]) => share > 0);
  const want = Object.entries(wanted.RoutingConfig?.AdditionalVersionWeights ?? {});
  return (
    alias.FunctionVersion === wanted.FunctionVersion &&
    have.length === want.length &&
    want.every(([version, share]) => alias.RoutingConfig?.AdditionalVersionWeights?.[version] === share)
  );
}
