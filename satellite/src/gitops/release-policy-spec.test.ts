import { describe, expect, it } from "vitest";
import { rolloutIdOf, templateHash } from "./release-policy-controller.js";
import { readReleasePolicySpec } from "./release-policy-spec.js";

const object = (spec: unknown) => ({ metadata: { name: "cart", namespace: "shop" }, spec });

describe("ReleasePolicy spec", () => {
  it("applies the defaults: service and route from the target, the gateway-api router, the policy as YAML", () => {
    const read = readReleasePolicySpec(object({ targetRef: { name: "cart" }, policy: { steps: [10, 90] } }));
    expect(read).toEqual({
      ok: true,
      spec: {
        targetName: "cart",
        service: "cart",
        policyYaml: "steps:\n  - 10\n  - 90\n",
        router: "gateway-api",
        routeName: "cart",
        replicas: undefined,
        suspend: false,
      },
    });
  });

  it("names every problem by its field, the policy's included, all at once", () => {
    const read = readReleasePolicySpec(
      object({ targetRef: { name: "Cart_1" }, trafficRouter: "carrier-pigeon", replicas: 0, colour: "red" }),
    );
    expect(read.ok).toBe(false);
    const problems = read.ok ? [] : read.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.targetRef\.name: /),
        expect.stringMatching(/^spec\.trafficRouter: /),
        expect.stringMatching(/^spec\.replicas: /),
        expect.stringMatching(/^spec: .*colour/),
      ]),
    );
    const policy = readReleasePolicySpec(
      object({ targetRef: { name: "cart" }, policy: { steps: [150], gates: [{ name: "nope" }] } }),
    );
    expect(policy.ok ? [] : policy.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.policy\.steps: increments must sum to 100/),
        expect.stringMatching(/^spec\.policy\.gates\[0\]/),
      ]),
    );
    expect(readReleasePolicySpec(object(undefined)).ok).toBe(false);
  });

  it("hashes a pod template by content, not key order; rollout ids fit the guard's 48 characters", () => {
    const a = {
      metadata: { labels: { app: "cart", tier: "web" } },
      spec: { containers: [{ name: "c", image: "cart:1" }] },
    };
    const b = {
      spec: { containers: [{ image: "cart:1", name: "c" }] },
      metadata: { labels: { tier: "web", app: "cart" } },
    };
    expect(templateHash(a)).toBe(templateHash(b));
    expect(templateHash(a)).not.toBe(templateHash({ ...a, spec: { containers: [{ name: "c", image: "cart:2" }] } }));
    expect(rolloutIdOf("shop", "cart", 3)).toBe("rp-shop-cart-3");
    const long = rolloutIdOf("a-very-long-namespace-name", "an-even-longer-release-policy-name", 12);
    expect(long).toMatch(/^rp-[0-9a-f]{16}-12$/);
    expect(long).toBe(rolloutIdOf("a-very-long-namespace-name", "an-even-longer-release-policy-name", 12));
  });
});
