import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isRecord } from "@sentra/common";
import type { VersionBehaviour } from "../weighted-version-traffic.js";
import {
  AWS_SIM_METRICS_PATH,
  accessDeniedMessage,
  SIM_AWS_ACCOUNT_ID,
  SIM_AWS_DEFAULT_REGION,
  signedAccessKeyId,
} from "./aws-sim-controls.js";
import { type AwsSimAnswer, AwsSimEndpoint } from "./aws-sim-endpoint.js";

/** Lambda's REST API version prefix (every path of the 2015-03-31 API starts with it). */
const API_PREFIX = "/2015-03-31/functions/";

/** One simulated function: its published versions and aliases. */
export interface SimulatedFunctionSpec {
  readonly name: string;
  /** Published versions ("1", "2", …). */
  readonly versions: readonly string[];
  readonly aliases?: readonly { readonly name: string; readonly functionVersion: string }[];
}

/** An alias as the simulated service holds it (what GetAlias answers). */
export interface SimulatedAlias {
  readonly name: string;
  readonly functionVersion: string;
  /** `RoutingConfig.AdditionalVersionWeights`: version → share, 0–1. */
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  readonly revisionId: string;
}

/** Options of {@link SimulatedLambda}. */
export interface SimulatedLambdaOptions {
  /** @default SIM_AWS_DEFAULT_REGION — region of the ARNs. */
  readonly region?: string;
  /** Requests per second through each alias. @default 100 */
  readonly requestsPerSecond?: number;
  /** @default 100 — traffic tick, in ms. */
  readonly tickMs?: number;
}

interface FunctionState {
  readonly name: string;
  readonly versions: Map<string, { revisionId: string }>;
  readonly aliases: Map<string, { functionVersion: string; weights: Record<string, number>; revisionId: string }>;
}

/** A Lambda error in the REST-JSON shape: status, `x-amzn-ErrorType`, body. */
class LambdaError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * A simulated AWS Lambda endpoint: an HTTP server speaking the Lambda REST-JSON API (2015-03-31)
 * closely enough that the unmodified `@aws-sdk/client-lambda` works against it with `endpoint` set
 * and any static credentials: GetFunction, GetFunctionConfiguration, ListVersionsByFunction,
 * ListAliases, GetAlias and UpdateAlias (RevisionId optimistic concurrency, `RoutingConfig` with
 * at most one additional version and weights 0–1, as the real service validates). Errors have the
 * real shape (`x-amzn-ErrorType` header, `{"Type":"User","message":…}` body):
 * ResourceNotFoundException, PreconditionFailedException, ResourceConflictException,
 * TooManyRequestsException, InvalidParameterValueException, AccessDeniedException, and
 * MissingAuthenticationTokenException for an unsigned request (signatures are not verified).
 *
 * Each alias carries simulated traffic split as it routes it (`service` = the function name,
 * `version` = the Lambda version), served at {@link AWS_SIM_METRICS_PATH} for Prometheus.
 * {@link controls} injects failures and IAM denials at run time.
 */
export class SimulatedLambda extends AwsSimEndpoint {
  readonly region: string;
  readonly #functions = new Map<string, FunctionState>();
  /** Successful UpdateAlias calls, per `function:alias` (tests check writes were needed). */
  readonly #writes = new Map<string, number>();

  constructor(options: SimulatedLambdaOptions = {}) {
    super(options);
    this.region = options.region ?? SIM_AWS_DEFAULT_REGION;
  }

  /** Creates a function with published versions and aliases (replaces one of the same name). */
  addFunction(spec: SimulatedFunctionSpec): void {
    const state: FunctionState = {
      name: spec.name,
      versions: new Map(spec.versions.map((version) => [version, { revisionId: randomUUID() }])),
      aliases: new Map(),
    };
    this.#functions.set(spec.name, state);
    for (const alias of spec.aliases ?? []) {
      if (!state.versions.has(alias.functionVersion)) {
        throw new Error(`alias ${alias.name}: version ${alias.functionVersion} is not a version of ${spec.name}`);
      }
      state.aliases.set(alias.name, { functionVersion: alias.functionVersion, weights: {}, revisionId: randomUUID() });
      this.#syncTraffic(state, alias.name);
    }
  }

  /** An alias as GetAlias would answer (undefined when absent). */
  alias(functionName: string, aliasName: string): SimulatedAlias | undefined {
    const alias = this.#functions.get(functionName)?.aliases.get(aliasName);
    return (
      alias && {
        name: aliasName,
        functionVersion: alias.functionVersion,
        additionalVersionWeights: { ...alias.weights },
        revisionId: alias.revisionId,
      }
    );
  }

  /**
   * Changes an alias behind the caller's back, as another tool would (a new RevisionId, so the
   * caller's next conditional update fails with PreconditionFailedException).
   */
  touchAlias(functionName: string, aliasName: string): void {
    const alias = this.#functions.get(functionName)?.aliases.get(aliasName);
    if (alias === undefined) throw new Error(`no alias ${functionName}:${aliasName}`);
    alias.revisionId = randomUUID();
  }

  /** Successful UpdateAlias calls on one alias so far. */
  aliasWrites(functionName: string, aliasName: string): number {
    return this.#writes.get(`${functionName}:${aliasName}`) ?? 0;
  }

  /** Sets one version's error rate and latency, for the requests from now on. */
  setVersionBehaviour(functionName: string, version: string, behaviour: VersionBehaviour): void {
    this.traffic.setBehaviour(functionName, version, behaviour);
  }

  /** For the admin path: `target` is the function name, `version` its version. */
  override setBehaviour(target: string, version: string | undefined, behaviour: VersionBehaviour): void {
    const state = this.#functions.get(target);
    if (state === undefined) throw new Error(`target: no function ${target}`);
    if (version === undefined || !state.versions.has(version)) {
      throw new Error(`version: ${target} has versions ${[...state.versions.keys()].join(", ")}`);
    }
    this.setVersionBehaviour(target, version, behaviour);
  }

  /** Every function's versions and aliases (their routing and RevisionId), as JSON. */
  override state(): unknown {
    return [...this.#functions.values()].map((state) => ({
      functionName: state.name,
      functionArn: this.#arn(state.name),
      versions: [...state.versions.keys()],
      aliases: [...state.aliases.keys()].map((name) => this.alias(state.name, name)),
    }));
  }

  protected override answer(request: IncomingMessage, body: string, id: string): AwsSimAnswer {
    const result = this.#dispatch(request, new URL(request.url ?? "/", "http://localhost"), body);
    return {
      status: 200,
      headers: { "content-type": "application/json", "x-amzn-RequestId": id },
      body: JSON.stringify(result),
    };
  }

  /** The REST-JSON error: `x-amzn-ErrorType` header, `{"Type":"User"|"Service","message":…}` body. */
  protected override fail(error: unknown, id: string): AwsSimAnswer {
    const failure =
      error instanceof LambdaError
        ? error
        : new LambdaError(500, "ServiceException", error instanceof Error ? error.message : String(error));
    return {
      status: failure.status,
      headers: { "content-type": "application/json", "x-amzn-RequestId": id, "x-amzn-ErrorType": failure.type },
      body: JSON.stringify({
        Type: failure.status >= 500 ? "Service" : "User",
        message: failure.message,
        ...failure.extra,
      }),
    };
  }

  #dispatch(request: IncomingMessage, url: URL, body: string): unknown {
    const route = this.#route(request.method ?? "GET", url.pathname);
    const accessKeyId = signedAccessKeyId(request);
    if (accessKeyId === undefined) {
      throw new LambdaError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    const input = body.length > 0 ? (JSON.parse(body) as unknown) : {};
    // IAM is evaluated before the function is looked up: a caller without the permission learns nothing.
    const qualified = route.alias === undefined ? route.functionName : `${route.functionName}:${route.alias}`;
    const resource = `${this.#arn(route.functionName)}${route.alias === undefined ? "" : `:${route.alias}`}`;
    if (this.controls.isDenied(`lambda:${route.operation}`)) {
      throw new LambdaError(
        403,
        "AccessDeniedException",
        accessDeniedMessage(accessKeyId, `lambda:${route.operation}`, resource),
      );
    }
    const conditional = route.operation === "UpdateAlias" && isRecord(input) && typeof input.RevisionId === "string";
    const injected = this.controls.takeFailure(`${route.operation}${conditional ? " conditional" : ""} ${qualified}`);
    if (injected !== undefined) throw injectedError(injected.status, injected.message, resource);
    const state = this.#function(route.functionName);

    switch (route.operation) {
      case "GetFunction":
        return this.#getFunction(state, url.searchParams.get("Qualifier") ?? route.qualifier);
      case "GetFunctionConfiguration":
        return this.#configuration(state, url.searchParams.get("Qualifier") ?? route.qualifier ?? "$LATEST");
      case "ListVersionsByFunction":
        return {
          Versions: ["$LATEST", ...state.versions.keys()].map((version) => this.#configuration(state, version)),
        };
      case "ListAliases":
        return { Aliases: [...state.aliases.keys()].map((name) => this.#aliasJson(state, name)) };
      case "GetAlias":
        return this.#aliasJson(state, this.#aliasName(state, route.alias));
      case "UpdateAlias":
        return this.#updateAlias(state, this.#aliasName(state, route.alias), input);
    }
  }

  #route(
    method: string,
    pathname: string,
  ): {
    operation:
      | "GetFunction"
      | "GetFunctionConfiguration"
      | "ListVersionsByFunction"
      | "ListAliases"
      | "GetAlias"
      | "UpdateAlias";
    functionName: string;
    qualifier?: string;
    alias?: string;
  } {
    if (!pathname.startsWith(API_PREFIX)) throw unknownOperation();
    const [encodedName = "", ...rest] = pathname.slice(API_PREFIX.length).split("/");
    const { name: functionName, qualifier } = parseFunctionName(decodeURIComponent(encodedName));
    const withQualifier = qualifier === undefined ? {} : { qualifier };
    const tail = rest.map((part) => decodeURIComponent(part));
    if (tail.length === 0 && method === "GET") return { operation: "GetFunction", functionName, ...withQualifier };
    if (tail.length === 1 && tail[0] === "configuration" && method === "GET") {
      return { operation: "GetFunctionConfiguration", functionName, ...withQualifier };
    }
    if (tail.length === 1 && tail[0] === "versions" && method === "GET") {
      return { operation: "ListVersionsByFunction", functionName };
    }
    if (tail.length === 1 && tail[0] === "aliases" && method === "GET")
      return { operation: "ListAliases", functionName };
    if (tail.length === 2 && tail[0] === "aliases" && tail[1] !== undefined) {
      if (method === "GET") return { operation: "GetAlias", functionName, alias: tail[1] };
      if (method === "PUT") return { operation: "UpdateAlias", functionName, alias: tail[1] };
    }
    throw unknownOperation();
  }

  #function(name: string): FunctionState {
    const state = this.#functions.get(name);
    if (state === undefined) {
      throw new LambdaError(404, "ResourceNotFoundException", `Function not found: ${this.#arn(name)}`);
    }
    return state;
  }

  #aliasName(state: FunctionState, alias: string | undefined): string {
    if (alias === undefined || !state.aliases.has(alias)) {
      throw new LambdaError(
        404,
        "ResourceNotFoundException",
        `Cannot find alias arn: ${this.#arn(state.name)}:${alias ?? ""}`,
      );
    }
    return alias;
  }

  #getFunction(state: FunctionState, qualifier: string | undefined): unknown {
    const version = this.#versionOrAlias(state, qualifier ?? "$LATEST");
    return {
      Configuration: this.#configuration(state, version),
      Code: { RepositoryType: "S3", Location: `https://awslambda-${this.region}-tasks.s3.amazonaws.com/snapshots/` },
    };
  }

  /** A qualifier resolved to a version: `$LATEST`, a published version or an alias's primary version. */
  #versionOrAlias(state: FunctionState, qualifier: string): string {
    if (qualifier === "$LATEST" || state.versions.has(qualifier)) return qualifier;
    const alias = state.aliases.get(qualifier);
    if (alias !== undefined) return alias.functionVersion;
    throw new LambdaError(
      404,
      "ResourceNotFoundException",
      `Function not found: ${this.#arn(state.name)}:${qualifier}`,
    );
  }

  #configuration(state: FunctionState, qualifier: string): unknown {
    const version = this.#versionOrAlias(state, qualifier);
    return {
      FunctionName: state.name,
      FunctionArn: `${this.#arn(state.name)}:${version}`,
      Runtime: "nodejs20.x",
      Role: `arn:aws:iam::${SIM_AWS_ACCOUNT_ID}:role/${state.name}-execution`,
      Handler: "index.handler",
      Version: version,
      State: "Active",
      LastUpdateStatus: "Successful",
      RevisionId: state.versions.get(version)?.revisionId ?? randomUUID(),
      PackageType: "Zip",
      Architectures: ["x86_64"],
    };
  }

  #aliasJson(state: FunctionState, name: string): unknown {
    const alias = state.aliases.get(name);
    if (alias === undefined) throw new Error(`alias ${name} vanished`);
    return {
      AliasArn: `${this.#arn(state.name)}:${name}`,
      Name: name,
      FunctionVersion: alias.functionVersion,
      Description: "",
      ...(Object.keys(alias.weights).length === 0
        ? {}
        : { RoutingConfig: { AdditionalVersionWeights: alias.weights } }),
      RevisionId: alias.revisionId,
    };
  }

  /** UpdateAlias as the real service validates it; absent fields keep their value. */
  #updateAlias(state: FunctionState, name: string, input: unknown): unknown {
    const alias = state.aliases.get(name);
    if (alias === undefined || !isRecord(input))
      throw new LambdaError(400, "InvalidParameterValueException", "bad request");
    if (input.RevisionId !== undefined && input.RevisionId !== alias.revisionId) {
      throw new LambdaError(
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
    const functionVersion = input.FunctionVersion === undefined ? alias.functionVersion : String(input.FunctionVersion);
    if (functionVersion === "$LATEST" || !state.versions.has(functionVersion)) {
      throw new LambdaError(
        404,
        "ResourceNotFoundException",
        `Function not found: ${this.#arn(state.name)}:${functionVersion}`,
      );
    }
    let weights = alias.weights;
    if (input.RoutingConfig !== undefined) {
      const routing = isRecord(input.RoutingConfig) ? input.RoutingConfig : {};
      const requested = isRecord(routing.AdditionalVersionWeights) ? routing.AdditionalVersionWeights : {};
      weights = {};
      const entries = Object.entries(requested);
      if (entries.length > 1) {
        throw new LambdaError(
          400,
          "InvalidParameterValueException",
          "Number of additional version weights cannot be greater than 1.",
        );
      }
      for (const [version, weight] of entries) {
        if (typeof weight !== "number" || !(weight >= 0 && weight <= 1)) {
          throw new LambdaError(
            400,
            "ValidationException",
            `1 validation error detected: Value '${String(weight)}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]`,
          );
        }
        if (version === functionVersion) {
          throw new LambdaError(
            400,
            "InvalidParameterValueException",
            "Primary and additional version cannot be the same.",
          );
        }
        if (!state.versions.has(version)) {
          throw new LambdaError(
            404,
            "ResourceNotFoundException",
            `Function not found: ${this.#arn(state.name)}:${version}`,
          );
        }
        weights[version] = weight;
      }
    }
    alias.functionVersion = functionVersion;
    alias.weights = weights;
    alias.revisionId = randomUUID();
    this.#writes.set(`${state.name}:${name}`, this.aliasWrites(state.name, name) + 1);
    this.#syncTraffic(state, name);
    return this.#aliasJson(state, name);
  }

  /** The alias's traffic: its primary version gets what the additional weights leave. */
  #syncTraffic(state: FunctionState, aliasName: string): void {
    const alias = state.aliases.get(aliasName);
    if (alias === undefined) return;
    const additional = Object.entries(alias.weights);
    const rest = 1 - additional.reduce((sum, [, weight]) => sum + weight, 0);
    this.traffic.setEntry(`${state.name}:${aliasName}`, [
      [
        { service: state.name, version: alias.functionVersion, weight: Math.round(rest * 1_000_000) },
        ...additional.map(([version, weight]) => ({
          service: state.name,
          version,
          weight: Math.round(weight * 1_000_000),
        })),
      ],
    ]);
  }

  #arn(name: string): string {
    return `arn:aws:lambda:${this.region}:${SIM_AWS_ACCOUNT_ID}:function:${name}`;
  }
}

/** A function name as Lambda accepts it: `name`, `name:qualifier`, `123456789012:function:name` or the full ARN. */
function parseFunctionName(value: string): { name: string; qualifier?: string } {
  const match =
    /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9_$-]+))?$/.exec(
      value,
    );
  if (match?.[1] === undefined) {
    throw new LambdaError(
      400,
      "ValidationException",
      `1 validation error detected: Value '${value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`,
    );
  }
  return match[2] === undefined ? { name: match[1] } : { name: match[1], qualifier: match[2] };
}

function unknownOperation(): LambdaError {
  return new LambdaError(404, "UnknownOperationException", "Unknown operation");
}

/** The real error an injected status stands for. */
function injectedError(status: number, message: string, resource: string): LambdaError {
  switch (status) {
    case 429:
      return new LambdaError(429, "TooManyRequestsException", "Rate exceeded", { Reason: "CallerRateLimitExceeded" });
    case 403:
      return new LambdaError(403, "AccessDeniedException", `${message}: not authorized on resource: ${resource}`);
    case 404:
      return new LambdaError(404, "ResourceNotFoundException", `Function not found: ${resource}`);
    case 409:
      return new LambdaError(
        409,
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${resource}`,
      );
    case 412:
      return new LambdaError(
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    case 503:
      return new LambdaError(503, "ServiceUnavailableException", message);
    default:
      return new LambdaError(status, status >= 500 ? "ServiceException" : "InvalidRequestContentException", message);
  }
}
