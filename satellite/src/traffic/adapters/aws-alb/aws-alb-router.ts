import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetGroupTuple,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { SentraError } from "@sentra/common";
import type { RolloutTarget } from "../../../rollout/index.js";
import { callAws } from "../aws/aws-call.js";
import { awsClientOptions, regionOfArn } from "../aws/aws-client-options.js";
import type { RouterAdapter, RouterAdapterContext } from "../router-adapter.js";
import type { AwsAlbTarget } from "./aws-alb-target.js";

const ADAPTER = "aws-alb";

/**
 * Moves an ALB listener's default action (or one listener rule's actions) between the stable and
 * canary target groups through `@aws-sdk/client-elastic-load-balancing-v2`: the forward action
 * becomes `ForwardConfig.TargetGroups = [{stable, 100 − w}, {canary, w}]` (both kept at 0 % and
 * 100 %, so the read back is exact), every other action of the list and the stickiness config are
 * kept as read. The write is ModifyListener / ModifyRule with the whole action list, then
 * DescribeListeners / DescribeRules reads it back. ELBv2 has no compare-and-swap: a concurrent
 * edit of the same forward action between the read and the write is overwritten, and the read back
 * reports it. `sendAllToStable` writes the plain single-target form (`TargetGroupArn` = stable, no
 * ForwardConfig). The SDK retries throttling itself.
 */
export class AwsAlbRouter implements RouterAdapter {
  readonly #target: AwsAlbTarget;
  readonly #context: RouterAdapterContext;
  readonly #client: ElasticLoadBalancingV2Client;
  /** The listener or rule ARN whose actions are edited. */
  readonly #arn: string;

  constructor(target: AwsAlbTarget, context: RouterAdapterContext) {
    this.#target = target;
    this.#context = context;
    this.#arn = target.rule ?? target.listener ?? "";
    this.#client = new ElasticLoadBalancingV2Client(awsClientOptions(regionOfArn(this.#arn), context));
  }

  async check(rollout: RolloutTarget): Promise<void> {
    const { stable, canary } = this.#groupsOf(rollout);
    const actions = await this.#readActions();
    const tuples = forwardTuples(forwardOf(actions, this.#arn));
    const stableWeight = tuples.find((tuple) => tuple.TargetGroupArn === stable)?.Weight ?? 0;
    if (stableWeight <= 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${ADAPTER} ${this.#arn}: the forward action does not send traffic to the stable target group ${stable} (version ${rollout.stableVersion})`,
        { field: "stableVersion" },
      );
    }
    share(tuples, stable, canary, this.#arn);
    await callAws(
      this.#context,
      { adapter: ADAPTER, operation: "DescribeTargetGroups", resource: `${stable} ${canary}` },
      () => this.#client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [stable, canary] })),
    );
  }

  async setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void> {
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw SentraError.invalidArgument("weight", `must be an integer 0–100, got ${weight}`);
    }
    const { stable, canary } = this.#groupsOf(rollout);
    const actions = await this.#readActions();
    const forward = forwardOf(actions, this.#arn);
    const current = forwardTuples(forward);
    share(current, stable, canary, this.#arn);
    const weightOf = (arn: string) => current.find((tuple) => tuple.TargetGroupArn === arn)?.Weight;
    if (weightOf(stable) === 100 - weight && weightOf(canary) === weight) return;
    const tuples: TargetGroupTuple[] = [
      { TargetGroupArn: stable, Weight: 100 - weight },
      { TargetGroupArn: canary, Weight: weight },
      // Other target groups stay in the action at their weight, which share() checked is 0.
      ...current.filter((tuple) => tuple.TargetGroupArn !== stable && tuple.TargetGroupArn !== canary),
    ];
    const { TargetGroupArn: _single, ...kept } = forward;
    await this.#writeActions(
      actions.map((action) =>
        action === forward ? { ...kept, ForwardConfig: { ...forward.ForwardConfig, TargetGroups: tuples } } : action,
      ),
    );
    const applied = share(forwardTuples(forwardOf(await this.#readActions(), this.#arn)), stable, canary, this.#arn);
    if (applied !== weight) {
      throw new SentraError(
        "ABORTED",
        `${ADAPTER} ${this.#arn}: read back ${applied} % canary after setting ${weight} % (another writer changed the forward action)`,
      );
    }
  }

  async readCanaryWeight(rollout: RolloutTarget): Promise<number> {
    const { stable, canary } = this.#groupsOf(rollout);
    return share(forwardTuples(forwardOf(await this.#readActions(), this.#arn)), stable, canary, this.#arn);
  }

  async sendAllToStable(rollout: RolloutTarget): Promise<void> {
    const { stable, canary } = this.#groupsOf(rollout);
    const actions = await this.#readActions();
    const forward = forwardOf(actions, this.#arn);
    const plain: Action = {
      Type: "forward",
      TargetGroupArn: stable,
      ...(forward.Order === undefined ? {} : { Order: forward.Order }),
    };
    await this.#writeActions(actions.map((action) => (action === forward ? plain : action)));
    const applied = share(forwardTuples(forwardOf(await this.#readActions(), this.#arn)), stable, canary, this.#arn);
    if (applied !== 0) {
      throw new SentraError(
        "ABORTED",
        `${ADAPTER} ${this.#arn}: read back ${applied} % canary after sending everything to stable`,
      );
    }
  }

  /** The stable and canary target group ARNs of the rollout's versions. */
  #groupsOf(rollout: RolloutTarget): { stable: string; canary: string } {
    const groups = this.#target.targetGroups;
    if (rollout.stableVersion === undefined) {
      throw SentraError.invalidArgument(
        "stableVersion",
        "the aws-alb adapter needs the stable version to pick its target group",
      );
    }
    const stable = groups[rollout.stableVersion];
    const canary = groups[rollout.version];
    for (const [version, arn] of [
      [rollout.stableVersion, stable],
      [rollout.version, canary],
    ] as const) {
      if (arn === undefined) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `${ADAPTER}: router.targetGroups has no target group for version ${JSON.stringify(version)} (it maps ${Object.keys(groups).join(", ")}); add it to the policy`,
          { field: "router.targetGroups" },
        );
      }
    }
    if (stable === undefined || canary === undefined) throw new Error("unreachable");
    return { stable, canary };
  }

  async #readActions(): Promise<Action[]> {
    if (this.#target.rule !== undefined) {
      const output = await callAws(
        this.#context,
        { adapter: ADAPTER, operation: "DescribeRules", resource: this.#arn },
        () => this.#client.send(new DescribeRulesCommand({ RuleArns: [this.#arn] })),
      );
      return output.Rules?.[0]?.Actions ?? [];
    }
    const output = await callAws(
      this.#context,
      { adapter: ADAPTER, operation: "DescribeListeners", resource: this.#arn },
      () => this.#client.send(new DescribeListenersCommand({ ListenerArns: [this.#arn] })),
    );
    return output.Listeners?.[0]?.DefaultActions ?? [];
  }

  async #writeActions(actions: Action[]): Promise<void> {
    if (this.#target.rule !== undefined) {
      await callAws(this.#context, { adapter: ADAPTER, operation: "ModifyRule", resource: this.#arn }, () =>
        this.#client.send(new ModifyRuleCommand({ RuleArn: this.#arn, Actions: actions })),
      );
      return;
    }
    await callAws(this.#context, { adapter: ADAPTER, operation: "ModifyListener", resource: this.#arn }, () =>
      this.#client.send(new ModifyListenerCommand({ ListenerArn: this.#arn, DefaultActions: actions })),
    );
  }
}

/** The forward action of a listener's or rule's action list. */
function forwardOf(actions: readonly Action[], arn: string): Action {
  const forward = actions.find((action) => action.Type === "forward");
  if (forward === undefined) {
    throw new SentraError(
      "FAILED_PRECONDITION",
      `${ADAPTER} ${arn}: has no forward action (its actions: ${actions.map((action) => action.Type).join(", ") || "none"}); the adapter only splits a forward`,
    );
  }
  return forward;
}

/** The target groups a forward action sends to, with their weights (a lone TargetGroupArn weighs 1). */
function forwardTuples(forward: Action): { TargetGroupArn: string; Weight: number }[] {
  const tuples = forward.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length === 0) {
    return forward.TargetGroupArn === undefined ? [] : [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }];
  }
  return tuples.map((tuple) => ({ TargetGroupArn: tuple.TargetGroupArn ?? "", Weight: tuple.Weight ?? 1 }));
}

/** The canary's percentage of what the forward action sends to stable and canary; any other weighted group is refused. */
function share(
  tuples: readonly { TargetGroupArn: string; Weight: number }[],
  stable: string,
  canary: string,
  arn: string,
): number {
  const foreign = tuples.filter(
    (tuple) => tuple.TargetGroupArn !== stable && tuple.TargetGroupArn !== canary && tuple.Weight > 0,
  );
  if (foreign.length > 0) {
    throw new SentraError(
      "FAILED_PRECONDITION",
      `${ADAPTER} ${arn}: the forward action also sends traffic to ${foreign.map((tuple) => tuple.TargetGroupArn).join(", ")}, neither the stable nor the canary target group`,
    );
  }
  const weightOf = (groupArn: string) => tuples.find((tuple) => tuple.TargetGroupArn === groupArn)?.Weight ?? 0;
  const total = weightOf(stable) + weightOf(canary);
  if (total <= 0) {
    throw new SentraError(
      "FAILED_PRECONDITION",
      `${ADAPTER} ${arn}: the forward action sends nothing to the stable or canary target group`,
    );
  }
  return Math.round((100 * weightOf(canary)) / total);
}
