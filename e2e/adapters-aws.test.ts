import { type RolloutDecision, RolloutPhase } from "@sentra/proto";
import { SimulatedElbv2, SimulatedLambda } from "@sentra/satellite";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADAPTER_SCENARIOS,
  type AdapterRolloutSatellite,
  type AdapterScenario,
  rollbackComplete,
  startAdapterRolloutSatellite,
} from "./support/adapter-rollout.js";

const SECRET = "e2e-simulated-secret-key-never-logged";

/** The weights a rollout's router applied, in order, and the router that applied each. */
function applied(decisions: readonly RolloutDecision[]): [number, string][] {
  return decisions
    .filter((decision) => ["weightApplied", "promote"].includes(decision.decision) && decision.router !== "")
    .map((decision) => [decision.canaryWeight, decision.router]);
}

describe("AWS router adapters end to end (real satellite and Prometheus; simulated Lambda and ELBv2 behind the unmodified SDKs)", () => {
  let namespace: TestNamespace;
  let lambda: SimulatedLambda;
  let elb: SimulatedElbv2;
  let estate: AdapterRolloutSatellite;
  /** Per ALB scenario: its listener and its two target groups. */
  const albs = new Map<AdapterScenario, { listener: string; v1: string; v2: string }>();

  beforeAll(async () => {
    namespace = await createTestNamespace("awsadapters");
    lambda = new SimulatedLambda({ requestsPerSecond: 60 });
    namespace.defer(() => lambda.close());
    await lambda.start();
    elb = new SimulatedElbv2({ requestsPerSecond: 60 });
    namespace.defer(() => elb.close());
    await elb.start();
    for (const scenario of ADAPTER_SCENARIOS) {
      lambda.addFunction({
        name: `fn-${scenario}`,
        versions: ["1", "2"],
        aliases: [{ name: "live", functionVersion: "1" }],
      });
      const v1 = elb.addTargetGroup({ name: `svc-${scenario}-v1`, service: `svc-${scenario}`, version: "v1" });
      const v2 = elb.addTargetGroup({ name: `svc-${scenario}-v2`, service: `svc-${scenario}`, version: "v2" });
      albs.set(scenario, {
        listener: elb.addListener({ loadBalancer: `shop-${scenario}`, targetGroupArn: v1 }),
        v1,
        v2,
      });
    }
    // The bad canaries fail half their requests from their first one.
    lambda.setVersionBehaviour("fn-bad", "2", { errorRate: 0.5 });
    elb.setTargetGroupBehaviour(albs.get("bad")?.v2 ?? "", { errorRate: 0.5 });

    estate = await startAdapterRolloutSatellite(namespace, {
      cloud: "aws",
      region: "eu-west-1",
      metricsUrls: [lambda.metricsUrl, elb.metricsUrl],
      scrapedBeforeStart: [
        { service: "fn-good", version: "1" },
        { service: "svc-good", version: "v1" },
      ],
      env: {
        SENTRA_ADAPTER_ENDPOINT_AWS_LAMBDA: lambda.url,
        SENTRA_ADAPTER_ENDPOINT_AWS_ALB: elb.url,
        // What the SDKs' default chain reads in a pod without IRSA; nothing else passes credentials.
        AWS_ACCESS_KEY_ID: "AKIAE2ESIMULATED0001",
        AWS_SECRET_ACCESS_KEY: SECRET,
        AWS_REGION: "eu-west-1",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
  }, 120_000);
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("aws-lambda: a 50 %-error canary rolls back, a healthy one promotes, an alias that refuses weighted updates mid-rollout ends at 0 % through sendAllToStable", async () => {
    const ids = { bad: "lambda-bad", good: "lambda-good", flaky: "lambda-flaky" } satisfies Record<
      AdapterScenario,
      string
    >;
    await estate.startRollouts(ids, (scenario) => ({
      namespace: "serverless",
      service: `fn-${scenario}`,
      stableVersion: "1",
      canaryVersion: "2",
      routerYaml: `router:\n  adapter: aws-lambda\n  function: fn-${scenario}\n  alias: live\n`,
    }));
    // Once the flaky alias serves its first step, every conditional UpdateAlias on it fails (500, the
    // SDK's retries included); the unconditional one of sendAllToStable still goes through.
    await eventually(
      () => expect(lambda.alias("fn-flaky", "live")?.additionalVersionWeights).toEqual({ "2": 0.2 }),
      30_000,
    );
    lambda.controls.failures.failRequests({
      pathPattern: "^UpdateAlias conditional fn-flaky:live$",
      status: 500,
      times: "always",
    });

    const { bad, good, flaky } = await estate.outcomes(ids);
    expect(bad.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(lambda.alias("fn-bad", "live")).toMatchObject({ functionVersion: "1", additionalVersionWeights: {} });
    expect(good.phase).toBe(RolloutPhase.PROMOTED);
    expect(lambda.alias("fn-good", "live")).toMatchObject({ functionVersion: "2", additionalVersionWeights: {} });
    expect(applied(good.decisions)).toEqual([
      [20, "aws-lambda"],
      [50, "aws-lambda"],
      [100, "aws-lambda"],
    ]);
    expect(flaky.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(lambda.alias("fn-flaky", "live")).toMatchObject({ functionVersion: "1", additionalVersionWeights: {} });
    const complete = rollbackComplete(flaky.decisions);
    expect(complete?.router).toBe("aws-lambda (all to stable)");
    expect(complete?.canaryWeight).toBe(0);
    expect(estate.satellite.process.output()).not.toContain(SECRET);
  }, 150_000);

  it("aws-alb: a 50 %-error canary rolls back, a healthy one promotes, a listener that refuses weighted forwards mid-rollout ends at 0 % through sendAllToStable", async () => {
    const ids = { bad: "alb-bad", good: "alb-good", flaky: "alb-flaky" } satisfies Record<AdapterScenario, string>;
    await estate.startRollouts(ids, (scenario) => {
      const alb = albs.get(scenario);
      return {
        namespace: "ecs",
        service: `svc-${scenario}`,
        stableVersion: "v1",
        canaryVersion: "v2",
        routerYaml: `router:\n  adapter: aws-alb\n  listener: ${alb?.listener}\n  targetGroups:\n    v1: ${alb?.v1}\n    v2: ${alb?.v2}\n`,
      };
    });
    const flakyAlb = albs.get("flaky");
    if (flakyAlb === undefined) throw new Error("no flaky ALB");
    await eventually(
      () => expect(elb.forwardWeights(flakyAlb.listener)).toEqual({ [flakyAlb.v1]: 80, [flakyAlb.v2]: 20 }),
      30_000,
    );
    elb.controls.failures.failRequests({
      pathPattern: `^ModifyListener weighted ${flakyAlb.listener.replace(/[/.]/g, "\\$&")}$`,
      status: 500,
      times: "always",
    });

    const { bad, good, flaky } = await estate.outcomes(ids);
    const badAlb = albs.get("bad");
    const goodAlb = albs.get("good");
    expect(bad.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(elb.forwardWeights(badAlb?.listener ?? "")).toEqual({ [badAlb?.v1 ?? ""]: 100, [badAlb?.v2 ?? ""]: 0 });
    expect(good.phase).toBe(RolloutPhase.PROMOTED);
    expect(elb.forwardWeights(goodAlb?.listener ?? "")).toEqual({ [goodAlb?.v1 ?? ""]: 0, [goodAlb?.v2 ?? ""]: 100 });
    expect(applied(good.decisions)).toEqual([
      [20, "aws-alb"],
      [50, "aws-alb"],
      [100, "aws-alb"],
    ]);
    expect(flaky.phase).toBe(RolloutPhase.ROLLED_BACK);
    // The plain single-target forward of sendAllToStable (the repair's weighted write keeps failing).
    expect(elb.forwardWeights(flakyAlb.listener)).toEqual({ [flakyAlb.v1]: 1 });
    const complete = rollbackComplete(flaky.decisions);
    expect(complete?.router).toBe("aws-alb (all to stable)");
    expect(estate.satellite.process.output()).not.toContain(SECRET);
  }, 150_000);
});
