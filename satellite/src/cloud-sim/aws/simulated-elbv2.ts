import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { VersionBehaviour, WeightedVersion } from "../weighted-version-traffic.js";
import {
  AWS_SIM_METRICS_PATH,
  accessDeniedMessage,
  SIM_AWS_ACCOUNT_ID,
  SIM_AWS_DEFAULT_REGION,
  signedAccessKeyId,
} from "./aws-sim-controls.js";
import { type AwsSimAnswer, AwsSimEndpoint } from "./aws-sim-endpoint.js";

/** The ELBv2 API version every request names (`Version=2015-12-01`). */
export const ELBV2_API_VERSION = "2015-12-01";
const XMLNS = `http://elasticloadbalancing.amazonaws.com/doc/${ELBV2_API_VERSION}/`;
/** ALB limits the real service enforces on a forward action. */
const MAX_FORWARD_TARGET_GROUPS = 5;
const MAX_TARGET_GROUP_WEIGHT = 999;

/** A value of the Query protocol, nested: lists are arrays, structures objects, scalars strings. */
type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };
type QueryObject = { [key: string]: QueryValue };

/** A listener action as stored: the Query fields as the SDK sent them (scalars as strings). */
type Action = QueryObject;

interface TargetGroupState {
  readonly arn: string;
  readonly name: string;
  readonly service: string;
  readonly version: string;
  readonly port: number;
  readonly loadBalancerArns: Set<string>;
}

interface ListenerState {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly port: number;
  defaultActions: Action[];
}

interface RuleState {
  readonly arn: string;
  readonly listenerArn: string;
  readonly priority: string;
  readonly conditions: QueryObject[];
  actions: Action[];
}

/** An ELBv2 error in the Query shape: status, `<Error><Type><Code><Message>`. */
class ElbError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of {@link SimulatedElbv2}. */
export interface SimulatedElbv2Options {
  /** @default SIM_AWS_DEFAULT_REGION — region of the ARNs. */
  readonly region?: string;
  /** Requests per second through each listener (its default action and rules take turns). @default 100 */
  readonly requestsPerSecond?: number;
  /** @default 100 — traffic tick, in ms. */
  readonly tickMs?: number;
}

/**
 * A simulated Elastic Load Balancing v2 endpoint (Application Load Balancers in front of ECS /
 * Fargate services): an HTTP server speaking the ELBv2 Query API (form-encoded
 * `Action=…&Version=2015-12-01`, XML answers in the real shape) closely enough that the unmodified
 * `@aws-sdk/client-elastic-load-balancing-v2` works against it with `endpoint` set and any static
 * credentials: DescribeListeners, ModifyListener, DescribeRules, ModifyRule, DescribeTargetGroups.
 * Forward actions are validated as the service does (target groups exist, weights 0–999, at most
 * 5, TargetGroupArn and ForwardConfig consistent). Errors are the real
 * `<ErrorResponse><Error><Type>Sender</Type><Code>…` documents: ListenerNotFound, RuleNotFound,
 * TargetGroupNotFound, ValidationError, OperationNotPermitted, Throttling, AccessDenied, and
 * MissingAuthenticationToken for an unsigned request (signatures are not verified).
 *
 * Each listener carries simulated traffic: its default action and rules take turns, each forward
 * splitting its requests by target group weight; a target group's requests are recorded with its
 * `service` and `version` labels (what the ECS task's application would export), served at
 * {@link AWS_SIM_METRICS_PATH} for Prometheus. {@link controls} injects failures and IAM denials.
 */
export class SimulatedElbv2 extends AwsSimEndpoint {
  readonly region: string;
  readonly #targetGroups = new Map<string, TargetGroupState>();
  readonly #listeners = new Map<string, ListenerState>();
  readonly #rules = new Map<string, RuleState>();
  readonly #writes = new Map<string, number>();

  constructor(options: SimulatedElbv2Options = {}) {
    super(options);
    this.region = options.region ?? SIM_AWS_DEFAULT_REGION;
  }

  /** Creates a target group (an ECS service's tasks) whose requests carry `service` and `version`; returns its ARN. */
  addTargetGroup(spec: { name: string; service: string; version: string; port?: number }): string {
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${SIM_AWS_ACCOUNT_ID}:targetgroup/${spec.name}/${hexId()}`;
    this.#targetGroups.set(arn, { arn, ...spec, port: spec.port ?? 8080, loadBalancerArns: new Set() });
    return arn;
  }

  /** Creates an ALB with one listener forwarding to `targetGroupArn`; returns the listener's ARN. */
  addListener(spec: { loadBalancer: string; port?: number; targetGroupArn: string }): string {
    const loadBalancerId = hexId();
    const loadBalancerArn = `arn:aws:elasticloadbalancing:${this.region}:${SIM_AWS_ACCOUNT_ID}:loadbalancer/app/${spec.loadBalancer}/${loadBalancerId}`;
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${SIM_AWS_ACCOUNT_ID}:listener/app/${spec.loadBalancer}/${loadBalancerId}/${hexId()}`;
    const listener: ListenerState = {
      arn,
      loadBalancerArn,
      port: spec.port ?? 80,
      defaultActions: this.#actions([{ Type: "forward", TargetGroupArn: spec.targetGroupArn }], loadBalancerArn),
    };
    this.#listeners.set(arn, listener);
    this.#syncTraffic(arn);
    return arn;
  }

  /** Adds a path-pattern rule to a listener, forwarding to `targetGroupArn`; returns the rule's ARN. */
  addRule(spec: { listenerArn: string; priority: number; pathPattern: string; targetGroupArn: string }): string {
    const listener = this.#listener(spec.listenerArn);
    const arn = `${listener.arn.replace(":listener/", ":listener-rule/")}/${hexId()}`;
    this.#rules.set(arn, {
      arn,
      listenerArn: listener.arn,
      priority: String(spec.priority),
      conditions: [{ Field: "path-pattern", Values: [spec.pathPattern] }],
      actions: this.#actions([{ Type: "forward", TargetGroupArn: spec.targetGroupArn }], listener.loadBalancerArn),
    });
    this.#syncTraffic(listener.arn);
    return arn;
  }

  /** The target groups and weights a listener's (or rule's) forward action serves now: ARN → weight. */
  forwardWeights(listenerOrRuleArn: string): Record<string, number> {
    const actions = this.#rules.get(listenerOrRuleArn)?.actions ?? this.#listener(listenerOrRuleArn).defaultActions;
    return Object.fromEntries(forwardTuples(actions).map((tuple) => [tuple.arn, tuple.weight]));
  }

  /** Successful ModifyListener / ModifyRule calls on one listener or rule. */
  writes(arn: string): number {
    return this.#writes.get(arn) ?? 0;
  }

  /** Sets the error rate and latency of a target group's tasks, for the requests from now on. */
  setTargetGroupBehaviour(targetGroupArn: string, behaviour: VersionBehaviour): void {
    const group = this.#targetGroups.get(targetGroupArn);
    if (group === undefined) throw new Error(`no target group ${targetGroupArn}`);
    this.traffic.setBehaviour(group.service, group.version, behaviour);
  }

  /** For the admin path: `target` is the target group ARN (`version` is not used). */
  override setBehaviour(target: string, _version: string | undefined, behaviour: VersionBehaviour): void {
    if (!this.#targetGroups.has(target)) throw new Error(`target: no target group ${target}`);
    this.setTargetGroupBehaviour(target, behaviour);
  }

  /** Target groups, listeners and rules with their forward weights, as JSON. */
  override state(): unknown {
    return {
      targetGroups: [...this.#targetGroups.values()].map(({ arn, name, service, version }) => ({
        arn,
        name,
        service,
        version,
      })),
      listeners: [...this.#listeners.values()].map((listener) => ({
        arn: listener.arn,
        loadBalancerArn: listener.loadBalancerArn,
        forwardWeights: this.forwardWeights(listener.arn),
        rules: [...this.#rules.values()]
          .filter((rule) => rule.listenerArn === listener.arn)
          .map((rule) => ({ arn: rule.arn, priority: rule.priority, forwardWeights: this.forwardWeights(rule.arn) })),
      })),
    };
  }

  protected override answer(request: IncomingMessage, body: string, id: string): AwsSimAnswer {
    const params = new URLSearchParams(body);
    const operation = params.get("Action") ?? "";
    const result = this.#dispatch(request, operation, params);
    return {
      status: 200,
      headers: { "content-type": "text/xml", "x-amzn-RequestId": id },
      body:
        `<${operation}Response xmlns="${XMLNS}"><${operation}Result>${result}</${operation}Result>` +
        `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${operation}Response>`,
    };
  }

  /** The Query error: `<ErrorResponse><Error><Type><Code><Message>`. */
  protected override fail(error: unknown, id: string): AwsSimAnswer {
    const failure =
      error instanceof ElbError
        ? error
        : new ElbError(500, "InternalFailure", error instanceof Error ? error.message : String(error));
    return {
      status: failure.status,
      headers: { "content-type": "text/xml", "x-amzn-RequestId": id },
      body:
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${failure.status >= 500 ? "Receiver" : "Sender"}</Type>` +
        `<Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message></Error>` +
        `<RequestId>${id}</RequestId></ErrorResponse>`,
    };
  }

  #dispatch(request: IncomingMessage, operation: string, params: URLSearchParams): string {
    const accessKeyId = signedAccessKeyId(request);
    if (accessKeyId === undefined) {
      throw new ElbError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
    }
    if (params.get("Version") !== ELBV2_API_VERSION) {
      throw new ElbError(
        400,
        "InvalidAction",
        `Could not find operation ${operation} for version ${params.get("Version") ?? "NO_VERSION_SPECIFIED"}`,
      );
    }
    const input = parseQuery(params);
    if (this.controls.isDenied(`elasticloadbalancing:${operation}`)) {
      const resource = text(input.ListenerArn) ?? text(input.RuleArn) ?? "*";
      throw new ElbError(
        403,
        "AccessDenied",
        accessDeniedMessage(accessKeyId, `elasticloadbalancing:${operation}`, resource),
      );
    }
    const written =
      operation === "ModifyListener" ? input.DefaultActions : operation === "ModifyRule" ? input.Actions : undefined;
    const weighted = written !== undefined && forwardTuples(list(written).filter(isObject)).length > 1;
    const target =
      text(input.ListenerArn) ?? text(input.RuleArn) ?? list(input.ListenerArns ?? input.RuleArns ?? []).join(",");
    const injected = this.controls.takeFailure(`${operation}${weighted ? " weighted" : ""} ${target}`);
    if (injected !== undefined) throw injectedError(injected.status, injected.message);

    switch (operation) {
      case "DescribeListeners":
        return xml({ Listeners: this.#describeListeners(input).map((listener) => this.#listenerXml(listener)) });
      case "ModifyListener": {
        const listener = this.#listener(text(input.ListenerArn) ?? "");
        if (input.DefaultActions !== undefined) {
          listener.defaultActions = this.#actions(
            list(input.DefaultActions).filter(isObject),
            listener.loadBalancerArn,
          );
          this.#written(listener.arn);
        }
        return xml({ Listeners: [this.#listenerXml(listener)] });
      }
      case "DescribeRules":
        return xml({ Rules: this.#describeRules(input).map((rule) => ruleXml(rule)) });
      case "ModifyRule": {
        const rule = this.#rules.get(text(input.RuleArn) ?? "");
        if (rule === undefined) throw new ElbError(400, "RuleNotFound", "One or more rules not found");
        if (input.Actions !== undefined) {
          rule.actions = this.#actions(
            list(input.Actions).filter(isObject),
            this.#listener(rule.listenerArn).loadBalancerArn,
          );
          this.#written(rule.arn);
        }
        return xml({ Rules: [ruleXml(rule)] });
      }
      case "DescribeTargetGroups": {
        const arns = list(input.TargetGroupArns ?? []).map(String);
        const groups = arns.length === 0 ? [...this.#targetGroups.values()] : arns.map((arn) => this.#targetGroup(arn));
        return xml({ TargetGroups: groups.map(targetGroupXml) });
      }
      default:
        throw new ElbError(
          400,
          "InvalidAction",
          `Could not find operation ${operation} for version ${ELBV2_API_VERSION}`,
        );
    }
  }

  #written(arn: string): void {
    this.#writes.set(arn, this.writes(arn) + 1);
    const listenerArn = this.#rules.get(arn)?.listenerArn ?? arn;
    this.#syncTraffic(listenerArn);
  }

  #describeListeners(input: QueryObject): ListenerState[] {
    const arns = list(input.ListenerArns ?? []).map(String);
    if (arns.length > 0) return arns.map((arn) => this.#listener(arn));
    const loadBalancerArn = text(input.LoadBalancerArn);
    if (loadBalancerArn === undefined) {
      throw new ElbError(400, "ValidationError", "You must specify either listener ARNs or a load balancer ARN");
    }
    return [...this.#listeners.values()].filter((listener) => listener.loadBalancerArn === loadBalancerArn);
  }

  #describeRules(input: QueryObject): RuleState[] {
    const arns = list(input.RuleArns ?? []).map(String);
    if (arns.length > 0) {
      return arns.map((arn) => {
        const rule = this.#rules.get(arn);
        if (rule === undefined) throw new ElbError(400, "RuleNotFound", "One or more rules not found");
        return rule;
      });
    }
    const listener = this.#listener(text(input.ListenerArn) ?? "");
    return [...this.#rules.values()].filter((rule) => rule.listenerArn === listener.arn);
  }

  #listener(arn: string): ListenerState {
    const listener = this.#listeners.get(arn);
    if (listener === undefined) throw new ElbError(400, "ListenerNotFound", "One or more listeners not found");
    return listener;
  }

  #targetGroup(arn: string): TargetGroupState {
    const group = this.#targetGroups.get(arn);
    if (group === undefined) {
      throw new ElbError(400, "TargetGroupNotFound", `Target groups '${arn}' not found`);
    }
    return group;
  }

  /** Validates actions as ModifyListener / ModifyRule do and normalises forward actions to their ForwardConfig. */
  #actions(actions: readonly QueryObject[], loadBalancerArn: string): Action[] {
    if (actions.length === 0) throw new ElbError(400, "ValidationError", "At least one action must be specified");
    return actions.map((action, index) => {
      const type = text(action.Type);
      if (type === undefined) {
        throw new ElbError(
          400,
          "ValidationError",
          `1 validation error detected: Value null at 'actions.${index + 1}.member.type' failed to satisfy constraint: Member must not be null`,
        );
      }
      if (type !== "forward") return action;
      const single = text(action.TargetGroupArn);
      const config = isObject(action.ForwardConfig) ? action.ForwardConfig : undefined;
      const tuples = list(config?.TargetGroups ?? []).filter(isObject);
      if (single === undefined && tuples.length === 0) {
        throw new ElbError(400, "ValidationError", "A target group ARN must be specified for a forward action");
      }
      if (
        single !== undefined &&
        tuples.length > 0 &&
        (tuples.length > 1 || text(tuples[0]?.TargetGroupArn) !== single)
      ) {
        throw new ElbError(
          400,
          "ValidationError",
          "You cannot specify both a target group ARN and a ForwardConfig with more than one target group, or a different target group",
        );
      }
      if (tuples.length > MAX_FORWARD_TARGET_GROUPS) {
        throw new ElbError(
          400,
          "TooManyTargetGroups",
          `You cannot specify more than ${MAX_FORWARD_TARGET_GROUPS} target groups in a forward action`,
        );
      }
      const normalised = (tuples.length > 0 ? tuples : [{ TargetGroupArn: single ?? "" }]).map((tuple) => {
        const arn = text(tuple.TargetGroupArn) ?? "";
        this.#targetGroup(arn).loadBalancerArns.add(loadBalancerArn);
        const weight = text(tuple.Weight) ?? "1";
        if (!/^\d+$/.test(weight) || Number(weight) > MAX_TARGET_GROUP_WEIGHT) {
          throw new ElbError(
            400,
            "ValidationError",
            `Target group weight '${weight}' must be an integer between 0 and ${MAX_TARGET_GROUP_WEIGHT}`,
          );
        }
        return { TargetGroupArn: arn, Weight: weight };
      });
      if (new Set(normalised.map((tuple) => tuple.TargetGroupArn)).size !== normalised.length) {
        throw new ElbError(400, "ValidationError", "A target group can be specified only once in a forward action");
      }
      const stickiness = isObject(config?.TargetGroupStickinessConfig)
        ? config.TargetGroupStickinessConfig
        : { Enabled: "false" };
      const { TargetGroupArn: _single, ForwardConfig: _config, ...rest } = action;
      return { ...rest, ForwardConfig: { TargetGroups: normalised, TargetGroupStickinessConfig: stickiness } };
    });
  }

  #listenerXml(listener: ListenerState): QueryObject {
    return {
      ListenerArn: listener.arn,
      LoadBalancerArn: listener.loadBalancerArn,
      Port: String(listener.port),
      Protocol: "HTTP",
      DefaultActions: listener.defaultActions.map(actionXml),
    };
  }

  /** A listener's traffic: its default action and each rule take turns; forwards split by weight. */
  #syncTraffic(listenerArn: string): void {
    const listener = this.#listeners.get(listenerArn);
    if (listener === undefined) return;
    const actionLists = [
      listener.defaultActions,
      ...[...this.#rules.values()].filter((rule) => rule.listenerArn === listenerArn).map((rule) => rule.actions),
    ];
    const rules: WeightedVersion[][] = actionLists.map((actions) =>
      forwardTuples(actions).flatMap((tuple) => {
        const group = this.#targetGroups.get(tuple.arn);
        return group === undefined ? [] : [{ service: group.service, version: group.version, weight: tuple.weight }];
      }),
    );
    this.traffic.setEntry(listenerArn, rules);
  }
}

/** The target groups of the forward action in `actions` (a lone TargetGroupArn has weight 1). */
function forwardTuples(actions: readonly QueryObject[]): { arn: string; weight: number }[] {
  const forward = actions.find((action) => text(action.Type) === "forward");
  if (forward === undefined) return [];
  const config = isObject(forward.ForwardConfig) ? forward.ForwardConfig : undefined;
  const tuples = list(config?.TargetGroups ?? []).filter(isObject);
  if (tuples.length === 0) {
    const single = text(forward.TargetGroupArn);
    return single === undefined ? [] : [{ arn: single, weight: 1 }];
  }
  return tuples.map((tuple) => ({ arn: text(tuple.TargetGroupArn) ?? "", weight: Number(text(tuple.Weight) ?? "1") }));
}

/** A forward action as ELBv2 answers it: a single target group also appears as TargetGroupArn. */
function actionXml(action: Action): QueryObject {
  const tuples = forwardTuples([action]);
  if (text(action.Type) !== "forward" || tuples.length !== 1) return action;
  return { Type: "forward", TargetGroupArn: tuples[0]?.arn ?? "", ...action };
}

function ruleXml(rule: RuleState): QueryObject {
  return {
    RuleArn: rule.arn,
    Priority: rule.priority,
    Conditions: rule.conditions,
    Actions: rule.actions.map(actionXml),
    IsDefault: "false",
  };
}

function targetGroupXml(group: TargetGroupState): QueryObject {
  return {
    TargetGroupArn: group.arn,
    TargetGroupName: group.name,
    Protocol: "HTTP",
    Port: String(group.port),
    VpcId: "vpc-0123456789abcdef0",
    TargetType: "ip",
    LoadBalancerArns: [...group.loadBalancerArns],
  };
}

/**
 * The Query protocol's flat `A.member.1.B=x` parameters as nested values: `member.N` lists become
 * arrays, dotted names structures. An empty value where a list was expected is an empty list.
 */
export function parseQuery(params: URLSearchParams): QueryObject {
  const root: QueryObject = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version") continue;
    const parts = key.split(".");
    let node: QueryObject | QueryValue[] = root;
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index] ?? "";
      const last = index === parts.length - 1;
      const slot: string | number = Array.isArray(node) ? Number(part) - 1 : part;
      if (parts[index + 1] === "member" && /^\d+$/.test(parts[index + 2] ?? "")) {
        const container = node as Record<string | number, QueryValue>;
        const existing = container[slot];
        const array: QueryValue[] = Array.isArray(existing) ? existing : [];
        container[slot] = array;
        node = array;
        index += 1;
        continue;
      }
      const container = node as Record<string | number, QueryValue>;
      if (last) {
        container[slot] = value;
      } else {
        const existing = container[slot];
        const child: QueryObject = isObject(existing) ? existing : {};
        container[slot] = child;
        node = child;
      }
    }
  }
  return root;
}

/** Serialises a nested value as Query XML: arrays as `<member>` lists. */
function xml(value: QueryObject): string {
  return Object.entries(value)
    .map(([key, child]) => `<${key}>${xmlValue(child)}</${key}>`)
    .join("");
}

function xmlValue(value: QueryValue): string {
  if (typeof value === "string") return escapeXml(value);
  if (Array.isArray(value)) return value.map((item) => `<member>${xmlValue(item)}</member>`).join("");
  return xml(value);
}

function escapeXml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function isObject(value: QueryValue | undefined): value is QueryObject {
  return typeof value === "object" && !Array.isArray(value);
}

function list(value: QueryValue): QueryValue[] {
  return Array.isArray(value) ? value : value === "" ? [] : [value];
}

function text(value: QueryValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function hexId(): string {
  return randomBytes(8).toString("hex");
}

/** The real error an injected status stands for. */
function injectedError(status: number, message: string): ElbError {
  switch (status) {
    case 429:
      return new ElbError(400, "Throttling", "Rate exceeded");
    case 403:
      return new ElbError(403, "AccessDenied", message);
    case 404:
      return new ElbError(400, "ListenerNotFound", "One or more listeners not found");
    case 409:
      return new ElbError(400, "PriorityInUse", message);
    case 503:
      return new ElbError(503, "ServiceUnavailable", message);
    default:
      return new ElbError(status, status >= 500 ? "InternalFailure" : "ValidationError", message);
  }
}
