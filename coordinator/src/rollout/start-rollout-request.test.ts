import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type StartRolloutRequest, StartRolloutRequestSchema, TrafficRouterKind } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { startRequestHash, validateStartRollout } from "./start-rollout-request.js";

const valid = {
  service: "checkout",
  namespace: "shop",
  stableVersion: "v1.4.2",
  canaryVersion: "v1.5.0",
  policyYaml: "steps: [50, 50]\n",
  trafficRouter: TrafficRouterKind.GATEWAY_API,
  waves: [{ satelliteId: "aws-eu-west-1" }, { region: "us-east-1", cloud: "aws", cluster: "prod-a" }],
  idempotencyKey: "deploy-1234",
};

function request(
  overrides: Omit<MessageInitShape<typeof StartRolloutRequestSchema>, "$typeName"> = {},
): StartRolloutRequest {
  return create(StartRolloutRequestSchema, { ...valid, ...overrides });
}

function fieldOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    expect((error as { code?: string }).code).toBe("INVALID_ARGUMENT");
    return (error as { field?: string }).field;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("StartRollout request validation", () => {
  it("accepts a well-formed request and normalises it", () => {
    const result = validateStartRollout(request({ policyYaml: "  " }));
    expect(result).toMatchObject({
      service: "checkout",
      trafficRouter: "GATEWAY_API",
      policyYaml: "{}\n",
      idempotencyKey: "deploy-1234",
      waves: [
        { satelliteId: "aws-eu-west-1", region: "", cloud: "", cluster: "" },
        { satelliteId: "", region: "us-east-1", cloud: "aws", cluster: "prod-a" },
      ],
    });
  });

  it("names the field of every bad argument", () => {
    expect(fieldOf(() => validateStartRollout(request({ service: "" })))).toBe("service");
    expect(fieldOf(() => validateStartRollout(request({ service: "Checkout" })))).toBe("service");
    expect(fieldOf(() => validateStartRollout(request({ namespace: "a".repeat(64) })))).toBe("namespace");
    expect(fieldOf(() => validateStartRollout(request({ stableVersion: "v1/2" })))).toBe("stable_version");
    expect(fieldOf(() => validateStartRollout(request({ canaryVersion: "v1.4.2" })))).toBe("canary_version");
    expect(fieldOf(() => validateStartRollout(request({ policyYaml: "x".repeat(70_000) })))).toBe("policy_yaml");
    expect(fieldOf(() => validateStartRollout(request({ trafficRouter: 99 as TrafficRouterKind })))).toBe(
      "traffic_router",
    );
    expect(fieldOf(() => validateStartRollout(request({ routeName: "Bad Route" })))).toBe("route_name");
    expect(fieldOf(() => validateStartRollout(request({ waves: [] })))).toBe("waves");
    expect(
      fieldOf(() => validateStartRollout(request({ waves: Array.from({ length: 21 }, () => ({ region: "x" })) }))),
    ).toBe("waves");
    expect(fieldOf(() => validateStartRollout(request({ waves: [{ cluster: "a" }] })))).toBe("waves[0]");
    expect(fieldOf(() => validateStartRollout(request({ waves: [{ region: "x" }, { satelliteId: "Bad Id" }] })))).toBe(
      "waves[1].satellite_id",
    );
    expect(fieldOf(() => validateStartRollout(request({ waves: [{ region: "x", cloud: "ibm" }] })))).toBe(
      "waves[0].cloud",
    );
    expect(fieldOf(() => validateStartRollout(request({ waves: [{ region: "x", cluster: "a b" }] })))).toBe(
      "waves[0].cluster",
    );
    expect(fieldOf(() => validateStartRollout(request({ idempotencyKey: "k".repeat(201) })))).toBe("idempotency_key");
    expect(fieldOf(() => validateStartRollout(request({ actor: "a".repeat(129) })))).toBe("actor");
  });

  it("fingerprints what is asked, not who asks, so retries match and other arguments do not", () => {
    const first = startRequestHash(validateStartRollout(request({ actor: "ci" })));
    expect(startRequestHash(validateStartRollout(request({ actor: "someone-else" })))).toBe(first);
    expect(startRequestHash(validateStartRollout(request({ canaryVersion: "v1.5.1" })))).not.toBe(first);
    expect(startRequestHash(validateStartRollout(request({ rollbackCompletedWavesOnFailure: true })))).not.toBe(first);
  });
});
