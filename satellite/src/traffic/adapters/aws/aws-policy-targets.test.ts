import { describe, expect, it } from "vitest";
import { PolicyError, parseRolloutPolicy } from "../../../rollout/index.js";

/** The problems of a policy through the real adapter registry, one line each (`source:line:col: path: message`). */
function problems(yaml: string): string[] {
  try {
    parseRolloutPolicy(yaml, "policy.yaml");
  } catch (error) {
    if (error instanceof PolicyError) return error.message.split("\n").slice(1);
    throw error;
  }
  throw new Error("the policy was accepted");
}

const LISTENER =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2";
const TARGET_GROUP = (name: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;

describe("AWS adapters' router: targets in a rollout policy (the registry the policy reader uses)", () => {
  it("keeps a valid aws-lambda target as the policy's router", () => {
    const policy = parseRolloutPolicy(
      "steps: [10, 90]\nrouter:\n  adapter: aws-lambda\n  function: checkout\n  alias: live\n",
    );
    expect(policy.router).toEqual({ adapter: "aws-lambda", function: "checkout", alias: "live" });
  });

  it("names the line and field of each bad aws-lambda field", () => {
    const found = problems(
      [
        "steps: [10, 90]",
        "router:",
        "  adapter: aws-lambda",
        "  function: checkout:live",
        '  alias: "42"',
        "  regoin: eu-west-1",
        "",
      ].join("\n"),
    );
    expect(found).toHaveLength(3);
    expect(found.find((line) => line.includes(": router.function:"))).toMatch(
      /^policy\.yaml:4:\d+: router\.function: .*without a qualifier/,
    );
    expect(found.find((line) => line.includes(": router.alias:"))).toMatch(
      /^policy\.yaml:5:\d+: router\.alias: .*not only digits/,
    );
    expect(found.find((line) => line.includes("regoin"))).toMatch(/^policy\.yaml:6:\d+: .*regoin/);
  });

  it("keeps a valid aws-alb target as the policy's router", () => {
    const yaml = `steps: [10, 90]\nrouter:\n  adapter: aws-alb\n  listener: ${LISTENER}\n  targetGroups:\n    v1: ${TARGET_GROUP("checkout-v1")}\n    v2: ${TARGET_GROUP("checkout-v2")}\n`;
    expect(parseRolloutPolicy(yaml).router).toMatchObject({ adapter: "aws-alb", listener: LISTENER });
  });

  it("names the line and field of each bad aws-alb field", () => {
    const found = problems(
      [
        "steps: [10, 90]",
        "router:",
        "  adapter: aws-alb",
        `  listener: ${LISTENER.replace(":listener/", ":loadbalancer/")}`,
        "  targetGroups:",
        `    v1: ${TARGET_GROUP("checkout-v1")}`,
        "    v2: checkout-v2",
        "",
      ].join("\n"),
    );
    expect(found.find((line) => line.includes(": router.listener:"))).toMatch(
      /^policy\.yaml:4:\d+: router\.listener: .*listener ARN/,
    );
    expect(found.find((line) => line.includes(": router.targetGroups.v2:"))).toMatch(
      /^policy\.yaml:7:\d+: router\.targetGroups\.v2: .*target group ARN/,
    );
  });
});
