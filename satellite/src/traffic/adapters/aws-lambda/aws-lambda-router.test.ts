import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SimulatedLambda } from "../../../cloud-sim/aws/simulated-lambda.js";
import type { RolloutTarget } from "../../../rollout/index.js";
import { requestsByVersion, sentraFailure } from "../aws/aws-router-test-fixture.js";
import type { RouterAdapter } from "../router-adapter.js";
import { AWS_LAMBDA_ADAPTER } from "./aws-lambda-adapter.js";
import { awsLambdaTargetSchema } from "./aws-lambda-target.js";

const ROLLOUT: RolloutTarget = { id: "r1", service: "checkout", namespace: "shop", version: "2", stableVersion: "1" };

describe("aws-lambda adapter ↔ @aws-sdk/client-lambda ↔ simulated Lambda", () => {
  let sim: SimulatedLambda;
  let router: RouterAdapter;
  let logs: { message: string; fields: Record<string, unknown> }[];
  let onLog: (message: string, fields: Record<string, unknown>) => void;

  beforeEach(async () => {
    // The SDK's default chain reads these, as it would a pod's environment; nothing passes them in.
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIASIMULATEDTEST001");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "simulated-secret-never-logged");
    sim = new SimulatedLambda({ requestsPerSecond: 200 });
    await sim.start();
    sim.addFunction({ name: "checkout", versions: ["1", "2", "3"], aliases: [{ name: "live", functionVersion: "1" }] });
    logs = [];
    onLog = () => undefined;
    router = AWS_LAMBDA_ADAPTER.create(
      { adapter: "aws-lambda", function: "checkout", alias: "live", region: "eu-west-1" },
      {
        endpoint: sim.url,
        log: (message, fields) => {
          logs.push({ message, fields });
          onLog(message, fields);
        },
      },
    );
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await sim.close();
  });

  it("checks the alias and the canary, then sets weights read back from the alias", async () => {
    await router.check(ROLLOUT);
    await router.setCanaryWeight(ROLLOUT, 5);
    expect(sim.alias("checkout", "live")).toMatchObject({
      functionVersion: "1",
      additionalVersionWeights: { "2": 0.05 },
    });
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(5);
    await router.setCanaryWeight(ROLLOUT, 50);
    expect(sim.alias("checkout", "live")?.additionalVersionWeights).toEqual({ "2": 0.5 });
    await router.setCanaryWeight(ROLLOUT, 100);
    expect(sim.alias("checkout", "live")).toMatchObject({ functionVersion: "2", additionalVersionWeights: {} });
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(100);
    await router.setCanaryWeight(ROLLOUT, 0);
    expect(sim.alias("checkout", "live")).toMatchObject({ functionVersion: "1", additionalVersionWeights: {} });
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(0);
  });

  it("writes nothing when the alias already routes as asked", async () => {
    await router.setCanaryWeight(ROLLOUT, 20);
    await router.setCanaryWeight(ROLLOUT, 20);
    expect(sim.aliasWrites("checkout", "live")).toBe(1);
  });

  it("splits the alias's simulated traffic by its weights", async () => {
    await router.setCanaryWeight(ROLLOUT, 25);
    const before = requestsByVersion(await sim.metrics());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = requestsByVersion(await sim.metrics());
    const stable = (after["1"] ?? 0) - (before["1"] ?? 0);
    const canary = (after["2"] ?? 0) - (before["2"] ?? 0);
    expect(stable + canary).toBeGreaterThan(100);
    expect(canary / (stable + canary)).toBeGreaterThan(0.2);
    expect(canary / (stable + canary)).toBeLessThan(0.3);
  });

  it("re-reads and retries when another writer changed the alias (RevisionId → PreconditionFailedException)", async () => {
    let raced = false;
    onLog = (message, fields) => {
      // Between our GetAlias and our UpdateAlias, someone else updates the alias once.
      if (!raced && message === "aws call" && fields.operation === "GetAlias") {
        raced = true;
        sim.touchAlias("checkout", "live");
      }
    };
    await router.setCanaryWeight(ROLLOUT, 10);
    expect(sim.alias("checkout", "live")?.additionalVersionWeights).toEqual({ "2": 0.1 });
    expect(
      logs.some(
        (entry) => entry.fields.outcome === "ABORTED" && entry.fields.awsError === "PreconditionFailedException",
      ),
    ).toBe(true);
    expect(logs.some((entry) => entry.message.includes("changed concurrently"))).toBe(true);
  });

  it("retries a ResourceConflictException (update in progress) the same way", async () => {
    sim.controls.failures.failRequests({ pathPattern: "^UpdateAlias conditional", status: 409, times: 2 });
    await router.setCanaryWeight(ROLLOUT, 30);
    expect(sim.alias("checkout", "live")?.additionalVersionWeights).toEqual({ "2": 0.3 });
  });

  it("rides out throttling with the SDK's retries", async () => {
    sim.controls.failures.failRequests({ pathPattern: "^GetAlias", status: 429, times: 2 });
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(0);
    expect(logs.at(-1)?.fields).toMatchObject({ operation: "GetAlias", outcome: "ok", attempts: 3 });
  }, 15_000);

  it("reports persistent throttling as RESOURCE_EXHAUSTED after the SDK's attempts", async () => {
    sim.controls.failures.failRequests({ pathPattern: "^GetAlias", status: 429, times: "always" });
    const error = await sentraFailure(router.readCanaryWeight(ROLLOUT));
    expect(error.code).toBe("RESOURCE_EXHAUSTED");
    expect(error.message).toContain("aws-lambda GetAlias checkout:live: TooManyRequestsException");
    expect(error.details).toMatchObject({ attempts: 4, httpStatus: 429 });
  }, 20_000);

  it("names the missing function, alias or canary version", async () => {
    sim.addFunction({ name: "checkout", versions: ["1"], aliases: [] });
    const alias = await sentraFailure(router.readCanaryWeight(ROLLOUT));
    expect(alias.code).toBe("NOT_FOUND");
    expect(alias.message).toContain("ResourceNotFoundException: Cannot find alias arn:");
    expect(alias.message).toContain("function:checkout:live");

    sim.addFunction({ name: "checkout", versions: ["1"], aliases: [{ name: "live", functionVersion: "1" }] });
    const canary = await sentraFailure(router.check(ROLLOUT));
    expect(canary.code).toBe("NOT_FOUND");
    expect(canary.message).toContain("aws-lambda GetFunction checkout:2");

    const other = AWS_LAMBDA_ADAPTER.create(
      { adapter: "aws-lambda", function: "payments", alias: "live", region: "eu-west-1" },
      { endpoint: sim.url, log: () => undefined },
    );
    const missing = await sentraFailure(other.readCanaryWeight(ROLLOUT));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toContain("Function not found: arn:aws:lambda:eu-west-1:123456789012:function:payments");
  });

  it("refuses a rollout whose alias does not point at the stable version", async () => {
    const error = await sentraFailure(router.check({ ...ROLLOUT, stableVersion: "3", version: "2" }));
    expect(error.code).toBe("FAILED_PRECONDITION");
    expect(error.message).toContain("points at version 1, not the stable version 3");
    expect((await sentraFailure(router.check({ ...ROLLOUT, version: "$LATEST" }))).field).toBe("version");
  });

  it("says which IAM action is missing, and no credential appears in any log or error", async () => {
    sim.controls.deny("lambda:UpdateAlias");
    const error = await sentraFailure(router.setCanaryWeight(ROLLOUT, 5));
    expect(error.code).toBe("PERMISSION_DENIED");
    expect(error.message).toContain("is not authorized to perform: lambda:UpdateAlias");
    expect(error.message).toContain("docs/adapters.md");
    const everything = JSON.stringify([logs, error.message, error.details]);
    expect(everything).not.toContain("simulated-secret-never-logged");
  });

  it("fails clearly when the default chain finds no credentials", async () => {
    // Nothing any provider of the chain could use: no keys, profile, web identity, container or instance role.
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_ROLE_ARN",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ]) {
      vi.stubEnv(name, undefined);
    }
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sentra-test-credentials");
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/sentra-test-config");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    const error = await sentraFailure(router.readCanaryWeight(ROLLOUT));
    expect(error.code).toBe("UNAUTHENTICATED");
    expect(error.message).toContain("aws-lambda GetAlias checkout:live: CredentialsProviderError");
    expect(error.message).toContain("default credential chain");
  });

  it("asks for a region when neither the target nor the environment gives one", async () => {
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("AWS_DEFAULT_REGION", undefined);
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/sentra-test-config");
    const regionless = AWS_LAMBDA_ADAPTER.create(
      { adapter: "aws-lambda", function: "checkout", alias: "live" },
      { endpoint: sim.url, log: () => undefined },
    );
    const error = await sentraFailure(regionless.readCanaryWeight(ROLLOUT));
    expect(error.code).toBe("FAILED_PRECONDITION");
    expect(error.message).toContain("AWS_REGION");
  });

  it("reports an endpoint that refuses connections as UNAVAILABLE after the SDK's attempts", async () => {
    // Closing twice is harmless: afterEach closes it again.
    await sim.close();
    const error = await sentraFailure(router.readCanaryWeight(ROLLOUT));
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toContain("ECONNREFUSED");
  }, 15_000);

  it("answers an unsigned request with the real missing-token error", async () => {
    const response = await fetch(`${sim.url}/2015-03-31/functions/checkout/aliases/live`);
    expect(response.status).toBe(403);
    expect(response.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    expect(await response.json()).toMatchObject({ message: "Missing Authentication Token" });
  });

  it("sends everything to stable with an unconditional update when the weighted call keeps failing", async () => {
    await router.setCanaryWeight(ROLLOUT, 50);
    sim.controls.failures.failRequests({ pathPattern: "^UpdateAlias conditional", status: 500, times: "always" });
    const error = await sentraFailure(router.setCanaryWeight(ROLLOUT, 0));
    expect(error.code).toBe("UNAVAILABLE");
    expect(sim.alias("checkout", "live")?.additionalVersionWeights).toEqual({ "2": 0.5 });
    await router.sendAllToStable(ROLLOUT);
    expect(sim.alias("checkout", "live")).toMatchObject({ functionVersion: "1", additionalVersionWeights: {} });
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(0);
  }, 20_000);
});

describe("aws-lambda policy target", () => {
  it("accepts a name, an ARN and a region", () => {
    expect(awsLambdaTargetSchema.parse({ adapter: "aws-lambda", function: "checkout", alias: "live" })).toEqual({
      adapter: "aws-lambda",
      function: "checkout",
      alias: "live",
    });
    const arn = "arn:aws:lambda:eu-west-1:123456789012:function:checkout";
    expect(
      awsLambdaTargetSchema.parse({ adapter: "aws-lambda", function: arn, alias: "live", region: "eu-west-1" })
        .function,
    ).toBe(arn);
  });

  it.each([
    [{ function: "checkout:live", alias: "live" }, ["function"], "without a qualifier"],
    [{ function: "checkout", alias: "42" }, ["alias"], "not only digits"],
    [{ function: "checkout", alias: "live", region: "Europe" }, ["region"], "AWS region code"],
    [
      { function: "arn:aws:lambda:us-east-1:123456789012:function:checkout", alias: "live", region: "eu-west-1" },
      ["region"],
      "the function ARN is in us-east-1",
    ],
    [{ function: "checkout", alias: "live", weight: 5 }, [], "weight"],
    [{ function: "checkout" }, ["alias"], ""],
  ])("refuses %j at the field", (fields, path, message) => {
    const result = awsLambdaTargetSchema.safeParse({ adapter: "aws-lambda", ...fields });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(path);
    expect(JSON.stringify(issue)).toContain(message);
  });
});
