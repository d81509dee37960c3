import { SentraError } from "@sentra/common";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ManualClock,
  type MetricProvider,
  PolicyError,
  parseRolloutPolicy,
  RolloutEngine,
  type RolloutEventSink,
  type RolloutSpec,
  type RolloutTarget,
} from "../../rollout/index.js";
import type { TrafficBindingResolver } from "../traffic-binding.js";
import { type CheckedTrafficRouter, type RouterCallObserver, TrafficRouterSwitch } from "../traffic-router-switch.js";
import type { RouterAdapter, RouterAdapterDefinition } from "./router-adapter.js";

interface FakeTarget {
  readonly adapter: "fake-lb";
  readonly pool: string;
  readonly stableServer: string;
  readonly canaryServer: string;
  readonly retries?: number;
}

/** A load balancer in memory: the canary weight it serves, and whether its API fails. */
class FakeAdapter implements RouterAdapter {
  weight = 0;
  canaryInMaintenance = false;
  failing = false;
  readonly calls: string[] = [];

  constructor(readonly target: FakeTarget) {}

  async check(): Promise<void> {
    this.calls.push("check");
  }
  async setCanaryWeight(_rollout: RolloutTarget, weight: number): Promise<void> {
    this.calls.push(`set ${weight}`);
    if (this.failing) throw new SentraError("UNAVAILABLE", "fake-lb: runtime API refused the connection");
    this.weight = weight;
    this.canaryInMaintenance = false;
  }
  async readCanaryWeight(): Promise<number> {
    return this.canaryInMaintenance ? 0 : this.weight;
  }
  async sendAllToStable(): Promise<void> {
    this.calls.push("all to stable");
    this.canaryInMaintenance = true;
  }
}

const created: FakeAdapter[] = [];
const FAKE_DEFINITION: RouterAdapterDefinition<FakeTarget> = {
  name: "fake-lb",
  targetSchema: z.strictObject({
    adapter: z.literal("fake-lb"),
    pool: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a pool name (lowercase letters, digits and '-')"),
    stableServer: z.string().min(1),
    canaryServer: z.string().min(1),
    retries: z.number().int().min(0).max(10).optional(),
  }),
  create(target) {
    const adapter = new FakeAdapter(target);
    created.push(adapter);
    return adapter;
  },
};
const ADAPTERS = [FAKE_DEFINITION as unknown as RouterAdapterDefinition<{ readonly adapter: string }>];

function problemsOf(yaml: string): string[] {
  try {
    parseRolloutPolicy(yaml, "policy.yaml", { routerAdapters: ADAPTERS });
  } catch (error) {
    if (error instanceof PolicyError) return error.message.split("\n").slice(1);
    throw error;
  }
  return [];
}

describe("the policy's router: section", () => {
  it("validates the target with the adapter's schema and keeps it, frozen, as plain JSON", () => {
    const policy = parseRolloutPolicy(
      `steps: [50, 50]
router:
  adapter: fake-lb
  pool: web
  stableServer: web-v1
  canaryServer: web-v2
`,
      "policy.yaml",
      { routerAdapters: ADAPTERS },
    );
    expect(policy.router).toEqual({ adapter: "fake-lb", pool: "web", stableServer: "web-v1", canaryServer: "web-v2" });
    expect(Object.isFrozen(policy.router)).toBe(true);
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
    expect(parseRolloutPolicy("{}", "policy.yaml", { routerAdapters: ADAPTERS }).router).toBeUndefined();
  });

  it("names the line and the field of each bad target field, with the known fields for a typo", () => {
    expect(
      problemsOf(`steps: [50, 50]
router:
  adapter: fake-lb
  pool: Web_1
  stableSrever: web-v1
  canaryServer: web-v2
  retries: 11
`),
    ).toEqual([
      "policy.yaml:3:3: router.stableServer: is required",
      "policy.yaml:4:9: router.pool: must be a pool name (lowercase letters, digits and '-')",
      'policy.yaml:5:3: router.stableSrever: unknown field "stableSrever" (did you mean "stableServer"?)',
      "policy.yaml:7:12: router.retries: must be <= 10, got 11",
    ]);
  });

  it("refuses an unknown adapter, listing the known names, and a router that is not a mapping", () => {
    expect(problemsOf("router:\n  adapter: fake-bl\n  pool: web\n")).toEqual([
      'policy.yaml:2:12: router.adapter: unknown router adapter "fake-bl" (did you mean "fake-lb"?); known: fake-lb',
    ]);
    expect(problemsOf("router:\n  pool: web\n")).toEqual([
      "policy.yaml:2:3: router.adapter: is required: the router adapter's name (known: fake-lb)",
    ]);
    expect(problemsOf("steps: [100]\nrouter: haproxy\n")).toEqual([
      'policy.yaml:2:9: router: expected a mapping such as { adapter: <name>, ...target } (known: fake-lb), got "haproxy"',
    ]);
  });
});

// 2 s interval, 2 s warm-up, one pass per step: 50 % at once, 100 % four seconds after.
const POLICY_YAML = `
steps: [50, 50]
warmupSeconds: 2
intervalSeconds: 2
windowSeconds: 10
passesToPromote: 1
consecutiveBreachesToRollback: 1
gates:
  - { name: error_rate, judge: threshold, minSampleSize: 1 }
router: { adapter: fake-lb, pool: web, stableServer: web-v1, canaryServer: web-v2 }
`;

describe("a rollout moved by a router adapter", () => {
  const engines: RolloutEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.stop()));
    created.length = 0;
  });

  function setup() {
    const telemetry = { errorRate: 0.001 };
    const prometheus: MetricProvider = {
      kind: "prometheus",
      query: async (query) => ({ kind: "value", value: query.includes('code=~"5.."') ? telemetry.errorRate : 500 }),
    };
    const policy = parseRolloutPolicy(POLICY_YAML, "policy.yaml", { routerAdapters: ADAPTERS });
    const spec: RolloutSpec = { id: "r-1", service: "web", namespace: "shop", version: "v2", policy };
    const kubeRouter: CheckedTrafficRouter = {
      check: async () => {
        throw new Error("the Kubernetes routers must not be asked about an adapter's rollout");
      },
      setCanaryWeight: async () => {
        throw new Error("the Kubernetes routers must not be asked about an adapter's rollout");
      },
    };
    const resolve: TrafficBindingResolver = () => {
      throw new Error("an adapter's rollout needs no cluster binding");
    };
    const adapters = new Map<string, FakeAdapter>();
    const calls: Parameters<RouterCallObserver>[0][] = [];
    const routerSwitch = new TrafficRouterSwitch(
      resolve,
      { "gateway-api": kubeRouter, istio: kubeRouter, nginx: kubeRouter, "replica-ratio": kubeRouter },
      (call) => calls.push(call),
      (rolloutId) => {
        const target = spec.policy.router;
        if (rolloutId !== spec.id || target === undefined) return undefined;
        let adapter = adapters.get(rolloutId);
        if (adapter === undefined) {
          adapter = FAKE_DEFINITION.create(target as unknown as FakeTarget, { log: () => {} }) as FakeAdapter;
          adapters.set(rolloutId, adapter);
        }
        return { name: target.adapter, adapter };
      },
    );
    const sink: RolloutEventSink = { transition() {}, decision() {}, incident() {} };
    const clock = new ManualClock();
    const engine = new RolloutEngine({
      router: routerSwitch.primary,
      fallbackRouter: routerSwitch.fallback,
      providers: { prometheus },
      sink,
      clock,
      logger: { warn: () => {}, error: () => {} },
    });
    clock.settleWith(() => engine.whenIdle());
    engines.push(engine);
    const adapter = () => {
      const built = adapters.get(spec.id);
      if (built === undefined) throw new Error("no adapter built");
      return built;
    };
    return { telemetry, clock, engine, spec, routerSwitch, adapter, calls };
  }

  it("checks with the adapter alone and promotes a healthy canary through it", async () => {
    const { clock, engine, spec, routerSwitch, adapter, calls } = setup();
    await routerSwitch.check(spec);
    await engine.start(spec);
    await clock.advance(10_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "promoted", weight: 100 });
    expect(adapter().calls).toEqual(["check", "set 50", "set 100"]);
    expect(await adapter().readCanaryWeight()).toBe(100);
    expect(adapter().target.pool).toBe("web");
    expect(calls.map((call) => [call.router, call.role, call.weight, call.ok])).toEqual([
      ["fake-lb", "primary", 50, true],
      ["fake-lb", "primary", 100, true],
    ]);
  });

  it("rolls a bad canary back to 0 % through the adapter", async () => {
    const { telemetry, clock, engine, spec, adapter } = setup();
    await engine.start(spec);
    telemetry.errorRate = 0.5;
    await clock.advance(6_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", weight: 0 });
    expect(adapter().calls).toEqual(["set 50", "set 0"]);
    expect(await adapter().readCanaryWeight()).toBe(0);
  });

  it("ends a rollback with the adapter's all-to-stable call when its weight call fails", async () => {
    const { telemetry, clock, engine, spec, adapter, calls } = setup();
    await engine.start(spec);
    adapter().failing = true;
    telemetry.errorRate = 0.5;
    await clock.advance(6_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", weight: 0 });
    expect(adapter().calls).toEqual(["set 50", "set 0", "all to stable"]);
    expect(adapter().canaryInMaintenance).toBe(true);
    expect(await adapter().readCanaryWeight()).toBe(0);
    expect(calls.map((call) => [call.router, call.role, call.weight, call.ok])).toEqual([
      ["fake-lb", "primary", 50, true],
      ["fake-lb", "primary", 0, false],
      ["fake-lb", "fallback", 0, true],
    ]);
  });

  it("has no fallback at weights other than 0 %: the rollout does not advance on it", async () => {
    const { routerSwitch, spec } = setup();
    await routerSwitch.check(spec);
    await expect(routerSwitch.fallback.setCanaryWeight(spec, 50)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("no fallback at 50% for router adapter fake-lb"),
    });
  });
});
