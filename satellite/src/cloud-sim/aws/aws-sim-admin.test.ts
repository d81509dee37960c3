import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetAliasCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedElbv2 } from "./simulated-elbv2.js";
import { SimulatedLambda } from "./simulated-lambda.js";

const credentials = { accessKeyId: "AKIASIMULATEDADMIN01", secretAccessKey: "simulated" };
const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("simulated AWS endpoints' admin paths", () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it("steers a simulated Lambda over HTTP: state, failures and denials the unmodified SDK then sees, behaviour", async () => {
    const sim = new SimulatedLambda({ requestsPerSecond: 0 });
    closing.push(() => sim.close());
    const url = await sim.start();
    sim.addFunction({ name: "checkout", versions: ["1", "2"], aliases: [{ name: "live", functionVersion: "1" }] });
    const client = new LambdaClient({ endpoint: url, region: "eu-west-1", credentials, maxAttempts: 1 });
    closing.push(async () => client.destroy());

    const state = (await (await fetch(`${url}/sentra-sim/v1/state`)).json()) as unknown[];
    expect(state).toEqual([
      expect.objectContaining({
        functionName: "checkout",
        versions: ["1", "2"],
        aliases: [expect.objectContaining({ name: "live", functionVersion: "1" })],
      }),
    ]);

    expect(
      (
        await post(`${url}/sentra-sim/v1/controls`, {
          type: "failRequests",
          pathPattern: "^GetAlias",
          status: 429,
          times: 1,
        })
      ).status,
    ).toBe(200);
    await expect(client.send(new GetAliasCommand({ FunctionName: "checkout", Name: "live" }))).rejects.toMatchObject({
      name: "TooManyRequestsException",
      $metadata: { httpStatusCode: 429 },
    });
    expect((await post(`${url}/sentra-sim/v1/controls`, { type: "deny", actions: ["lambda:GetAlias"] })).status).toBe(
      200,
    );
    await expect(client.send(new GetAliasCommand({ FunctionName: "checkout", Name: "live" }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
    expect((await post(`${url}/sentra-sim/v1/controls`, { type: "reset" })).status).toBe(200);
    expect((await client.send(new GetAliasCommand({ FunctionName: "checkout", Name: "live" }))).FunctionVersion).toBe(
      "1",
    );

    expect(
      (await post(`${url}/sentra-sim/v1/behaviour`, { target: "checkout", version: "2", errorRate: 0.5 })).status,
    ).toBe(200);
    const unknown = await post(`${url}/sentra-sim/v1/behaviour`, { target: "checkout", version: "9", errorRate: 0.5 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain("version: checkout has versions 1, 2");
    const invalid = await post(`${url}/sentra-sim/v1/controls`, { type: "failRequests", status: 200 });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { message: string }).message).toMatch(/^status: /);
  });

  it("steers a simulated ELBv2 over HTTP", async () => {
    const sim = new SimulatedElbv2({ requestsPerSecond: 0 });
    closing.push(() => sim.close());
    const url = await sim.start();
    const v1 = sim.addTargetGroup({ name: "checkout-v1", service: "checkout", version: "v1" });
    const listener = sim.addListener({ loadBalancer: "shop", targetGroupArn: v1 });
    const client = new ElasticLoadBalancingV2Client({
      endpoint: url,
      region: "eu-west-1",
      credentials,
      maxAttempts: 1,
    });
    closing.push(async () => client.destroy());

    const state = (await (await fetch(`${url}/sentra-sim/v1/state`)).json()) as { listeners: unknown[] };
    expect(state.listeners).toEqual([expect.objectContaining({ arn: listener, forwardWeights: { [v1]: 1 } })]);
    await post(`${url}/sentra-sim/v1/controls`, {
      type: "failRequests",
      pathPattern: "^DescribeListeners",
      status: 429,
    });
    await expect(client.send(new DescribeListenersCommand({ ListenerArns: [listener] }))).rejects.toMatchObject({
      name: "Throttling",
      message: "Rate exceeded",
    });
    const described = await client.send(new DescribeListenersCommand({ ListenerArns: [listener] }));
    expect(described.Listeners?.[0]?.DefaultActions?.[0]).toMatchObject({ Type: "forward", TargetGroupArn: v1 });
    expect((await post(`${url}/sentra-sim/v1/behaviour`, { target: v1, latencyMs: 100 })).status).toBe(200);
    expect((await post(`${url}/sentra-sim/v1/behaviour`, { target: "nope" })).status).toBe(400);
  });
});
