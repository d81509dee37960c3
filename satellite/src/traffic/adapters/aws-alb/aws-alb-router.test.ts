import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SimulatedElbv2 } from "../../../cloud-sim/aws/simulated-elbv2.js";
import type { RolloutTarget } from "../../../rollout/index.js";
import { requestsByVersion, sentraFailure } from "../aws/aws-router-test-fixture.js";
import type { RouterAdapter } from "../router-adapter.js";
import { AWS_ALB_ADAPTER } from "./aws-alb-adapter.js";
import { awsAlbTargetSchema } from "./aws-alb-target.js";

const ROLLOUT: RolloutTarget = { id: "r1", service: "checkout", namespace: "shop", version: "v2", stableVersion: "v1" };

describe("aws-alb adapter ↔ @aws-sdk/client-elastic-load-balancing-v2 ↔ simulated ELBv2", () => {
  let sim: SimulatedElbv2;
  let stable: string;
  let canary: string;
  let listener: string;
  let logs: { message: string; fields: Record<string, unknown> }[];
  const adapter = (target: { listener?: string; rule?: string }): RouterAdapter =>
    AWS_ALB_ADAPTER.create(
      { adapter: "aws-alb", ...target, targetGroups: { v1: stable, v2: canary } },
      { endpoint: sim.url, log: (message, fields) => logs.push({ message, fields }) },
    );

  beforeEach(async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIASIMULATEDTEST002");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "simulated-secret-never-logged");
    sim = new SimulatedElbv2({ requestsPerSecond: 200 });
    await sim.start();
    stable = sim.addTargetGroup({ name: "checkout-v1", service: "checkout", version: "v1" });
    canary = sim.addTargetGroup({ name: "checkout-v2", service: "checkout", version: "v2" });
    listener = sim.addListener({ loadBalancer: "shop", targetGroupArn: stable });
    logs = [];
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await sim.close();
  });

  it("checks the listener, then sets weights read back with DescribeListeners", async () => {
    const router = adapter({ listener });
    await router.check(ROLLOUT);
    for (const weight of [5, 50, 100, 0]) {
      await router.setCanaryWeight(ROLLOUT, weight);
      expect(sim.forwardWeights(listener)).toEqual({ [stable]: 100 - weight, [canary]: weight });
      expect(await router.readCanaryWeight(ROLLOUT)).toBe(weight);
    }
  });

  it("writes nothing when the listener already forwards as asked", async () => {
    const router = adapter({ listener });
    await router.setCanaryWeight(ROLLOUT, 20);
    await router.setCanaryWeight(ROLLOUT, 20);
    expect(sim.writes(listener)).toBe(1);
  });

  it("keeps the listener's other actions, the forward's order and its stickiness", async () => {
    const client = new ElasticLoadBalancingV2Client({ endpoint: sim.url, region: "eu-west-1" });
    await client.send(
      new ModifyListenerCommand({
        ListenerArn: listener,
        DefaultActions: [
          {
            Type: "authenticate-oidc",
            Order: 1,
            AuthenticateOidcConfig: {
              Issuer: "https://login.example.com",
              AuthorizationEndpoint: "https://login.example.com/authorize",
              TokenEndpoint: "https://login.example.com/token",
              UserInfoEndpoint: "https://login.example.com/userinfo",
              ClientId: "shop",
            },
          },
          {
            Type: "forward",
            Order: 2,
            ForwardConfig: {
              TargetGroups: [{ TargetGroupArn: stable, Weight: 1 }],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
            },
          },
        ],
      }),
    );
    const router = adapter({ listener });
    await router.setCanaryWeight(ROLLOUT, 30);
    const actions = (await client.send(new DescribeListenersCommand({ ListenerArns: [listener] }))).Listeners?.[0]
      ?.DefaultActions;
    expect(actions?.[0]).toMatchObject({
      Type: "authenticate-oidc",
      Order: 1,
      AuthenticateOidcConfig: { ClientId: "shop" },
    });
    expect(actions?.[1]).toMatchObject({
      Type: "forward",
      Order: 2,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: stable, Weight: 70 },
          { TargetGroupArn: canary, Weight: 30 },
        ],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
      },
    });
    await router.sendAllToStable(ROLLOUT);
    const after = (await client.send(new DescribeListenersCommand({ ListenerArns: [listener] }))).Listeners?.[0]
      ?.DefaultActions;
    expect(after?.map((action) => [action.Type, action.Order])).toEqual([
      ["authenticate-oidc", 1],
      ["forward", 2],
    ]);
    expect(after?.[1]?.TargetGroupArn).toBe(stable);
    client.destroy();
  });

  it("edits one listener rule with ModifyRule, leaving the default action alone", async () => {
    const rule = sim.addRule({
      listenerArn: listener,
      priority: 10,
      pathPattern: "/checkout/*",
      targetGroupArn: stable,
    });
    const router = adapter({ rule });
    await router.check(ROLLOUT);
    await router.setCanaryWeight(ROLLOUT, 30);
    expect(sim.forwardWeights(rule)).toEqual({ [stable]: 70, [canary]: 30 });
    expect(sim.forwardWeights(listener)).toEqual({ [stable]: 1 });
    await router.sendAllToStable(ROLLOUT);
    expect(sim.forwardWeights(rule)).toEqual({ [stable]: 1 });
  });

  it("splits the listener's simulated traffic by target group weight", async () => {
    await adapter({ listener }).setCanaryWeight(ROLLOUT, 40);
    const before = requestsByVersion(await sim.metrics());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = requestsByVersion(await sim.metrics());
    const v1 = (after.v1 ?? 0) - (before.v1 ?? 0);
    const v2 = (after.v2 ?? 0) - (before.v2 ?? 0);
    expect(v1 + v2).toBeGreaterThan(100);
    expect(v2 / (v1 + v2)).toBeGreaterThan(0.35);
    expect(v2 / (v1 + v2)).toBeLessThan(0.45);
  });

  it("rides out throttling with the SDK's retries", async () => {
    sim.controls.failures.failRequests({ pathPattern: "^DescribeListeners", status: 429, times: 2 });
    expect(await adapter({ listener }).readCanaryWeight(ROLLOUT)).toBe(0);
    expect(logs.at(-1)?.fields).toMatchObject({ operation: "DescribeListeners", outcome: "ok", attempts: 3 });
  }, 15_000);

  it("reports persistent throttling as RESOURCE_EXHAUSTED, with the real Throttling code", async () => {
    sim.controls.failures.failRequests({ pathPattern: "^ModifyListener", status: 429, times: "always" });
    const error = await sentraFailure(adapter({ listener }).setCanaryWeight(ROLLOUT, 5));
    expect(error.code).toBe("RESOURCE_EXHAUSTED");
    expect(error.message).toContain("aws-alb ModifyListener");
    expect(error.message).toContain("Throttling: Rate exceeded");
    expect(error.details).toMatchObject({ attempts: 4, httpStatus: 400 });
  }, 20_000);

  it("names a missing listener, rule or target group", async () => {
    const gone = listener.replace(/[0-9a-f]{16}$/, "0000000000000000");
    const missing = await sentraFailure(adapter({ listener: gone }).readCanaryWeight(ROLLOUT));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toContain("ListenerNotFound");
    expect(missing.message).toContain("One or more listeners not found");
    expect(missing.message).toContain(gone);

    const rule = `${gone.replace(":listener/", ":listener-rule/")}/0000000000000001`;
    expect((await sentraFailure(adapter({ rule }).readCanaryWeight(ROLLOUT))).message).toContain("RuleNotFound");

    const router = AWS_ALB_ADAPTER.create(
      {
        adapter: "aws-alb",
        listener,
        targetGroups: { v1: stable, v2: canary.replace(/[0-9a-f]{16}$/, "ffffffffffffffff") },
      },
      { endpoint: sim.url, log: () => undefined },
    );
    const group = await sentraFailure(router.setCanaryWeight(ROLLOUT, 10));
    expect(group.code).toBe("NOT_FOUND");
    expect(group.message).toContain("TargetGroupNotFound");
    expect(sim.forwardWeights(listener)).toEqual({ [stable]: 1 });
  });

  it("refuses a rollout whose versions the policy does not map, or a listener not on stable", async () => {
    const router = adapter({ listener });
    const unmapped = await sentraFailure(router.check({ ...ROLLOUT, version: "v3" }));
    expect(unmapped.code).toBe("FAILED_PRECONDITION");
    expect(unmapped.field).toBe("router.targetGroups");
    expect(unmapped.message).toContain('no target group for version "v3"');
    const swapped = await sentraFailure(router.check({ ...ROLLOUT, version: "v1", stableVersion: "v2" }));
    expect(swapped.message).toContain("does not send traffic to the stable target group");
  });

  it("says which IAM action is missing, and no credential appears in any log or error", async () => {
    sim.controls.deny("elasticloadbalancing:ModifyListener");
    const error = await sentraFailure(adapter({ listener }).setCanaryWeight(ROLLOUT, 5));
    expect(error.code).toBe("PERMISSION_DENIED");
    expect(error.message).toContain("is not authorized to perform: elasticloadbalancing:ModifyListener");
    expect(JSON.stringify([logs, error.message, error.details])).not.toContain("simulated-secret-never-logged");
  });

  it("answers an unsigned request with the real XML error document", async () => {
    const response = await fetch(sim.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=DescribeListeners&Version=2015-12-01",
    });
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).toMatch(
      /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/,
    );
  });

  it("sends everything to stable with a plain forward when the weighted call keeps failing", async () => {
    const router = adapter({ listener });
    await router.setCanaryWeight(ROLLOUT, 50);
    sim.controls.failures.failRequests({ pathPattern: "^ModifyListener weighted", status: 500, times: "always" });
    const error = await sentraFailure(router.setCanaryWeight(ROLLOUT, 0));
    expect(error.code).toBe("UNAVAILABLE");
    expect(sim.forwardWeights(listener)).toEqual({ [stable]: 50, [canary]: 50 });
    await router.sendAllToStable(ROLLOUT);
    expect(sim.forwardWeights(listener)).toEqual({ [stable]: 1 });
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(0);
  }, 20_000);
});

describe("aws-alb policy target", () => {
  const tg = (name: string, region = "eu-west-1") =>
    `arn:aws:elasticloadbalancing:${region}:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;
  const listener =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2";

  it("accepts a listener and a version → target group map", () => {
    const target = { adapter: "aws-alb", listener, targetGroups: { v1: tg("checkout-v1"), v2: tg("checkout-v2") } };
    expect(awsAlbTargetSchema.parse(target)).toEqual(target);
  });

  it.each([
    [{ targetGroups: { v1: tg("a"), v2: tg("b") } }, ["listener"], "exactly one of listener"],
    [
      {
        listener: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188",
        targetGroups: { v1: tg("a"), v2: tg("b") },
      },
      ["listener"],
      "listener ARN",
    ],
    [{ listener, targetGroups: { v1: tg("a") } }, ["targetGroups"], "at least the stable and the canary"],
    [{ listener, targetGroups: { v1: tg("a"), v2: "checkout-v2" } }, ["targetGroups", "v2"], "target group ARN"],
    [{ listener, targetGroups: { v1: tg("a"), v2: tg("b", "us-east-1") } }, ["targetGroups", "v2"], "is in us-east-1"],
    [{ listener, targetGroups: { "v 1": tg("a"), v2: tg("b") } }, ["targetGroups", "v 1"], "version name"],
    [{ listener, targetGroups: { v1: tg("a"), v2: tg("a") } }, ["targetGroups"], "same target group"],
  ])("refuses %j at the field", (fields, path, message) => {
    const result = awsAlbTargetSchema.safeParse({ adapter: "aws-alb", ...fields });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(path);
    expect(JSON.stringify(issue)).toContain(message);
  });
});
