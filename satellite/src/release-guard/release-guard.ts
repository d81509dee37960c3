import { create } from "@bufbuild/protobuf";
import { DNS_LABEL, type Logger, SentraError } from "@sentra/common";
import { type Rollout, type SatelliteEvent, SatelliteEventSchema, timestampFromDate } from "@sentra/proto";
import type { Registry } from "prom-client";
import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import {
  type Decision,
  type ErrorBudgetEvidence,
  fitPolicyToProviders,
  type GateProviderKind,
  type GateSpec,
  isTerminal,
  type MetricProvider,
  PolicyError,
  type ProviderRegistry,
  parseRolloutPolicy,
  type RolloutClock,
  type RolloutDecisionRecord,
  RolloutEngine,
  type RolloutEventSink,
  type RolloutIncidentRecord,
  type RolloutPolicy,
  type RolloutSpec,
  type RolloutState,
  type RolloutTarget,
  type RolloutTransitionRecord,
  type RouterTargetPolicy,
  systemClock,
  type TimerHandle,
  weightOf,
} from "../rollout/index.js";
import {
  GatewayApiRouter,
  IstioRouter,
  NginxIngressRouter,
  primaryRouterLabel,
  ReplicaRatioRouter,
  ROUTER_ADAPTER_DEFINITIONS,
  type RouterAdapter,
  type RouterAdapterDefinition,
  type TrafficBinding,
  type TrafficRouterName,
  TrafficRouterSwitch,
  versionedName,
} from "../traffic/index.js";
import { createReleaseGuardMetrics, type ReleaseGuardMetrics } from "./release-guard-metrics.js";
import { toDecisionMessage, toIncidentMessage, toRolloutMessage } from "./rollout-message.js";
import { policyDigest, ROLLOUT_RECORD_FORMAT, type RolloutRecord } from "./rollout-record.js";

/** @default 100 — finished rollouts kept for Get/List; older ones are forgotten first. */
export const DEFAULT_MAX_FINISHED_ROLLOUTS = 100;
/**
 * @default 3600000 (1 h) — how long the guard keeps trying, after a rollback completed through the
 * fallback router, to set the route itself back to 0 % with the primary router.
 */
export const DEFAULT_ROUTE_REPAIR_MAX_MS = 3_600_000;
/** Longest pause between two route repair attempts (the first comes one interval after the rollback). */
const ROUTE_REPAIR_MAX_DELAY_MS = 60_000;

/**
 * Up to 48 characters, so that event ids (`<satellite id>.<rollout id>.<sequence>`, satellite ids
 * up to 63) stay within the 128 the event stream's consumers accept.
 */
const ROLLOUT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,47}$/;
/** DNS-1035 label: Service names (the backends of the Gateway API, Istio and NGINX routers). */
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: Deployment and HTTPRoute names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/**
 * A version of a rollout moved by a router adapter: no Kubernetes object is named after it, so the
 * runtimes' own forms are allowed (a Lambda version `7` or `$LATEST`, a Cloud Run revision, `2.15.0`).
 */
const ADAPTER_VERSION = /^[A-Za-z0-9$][A-Za-z0-9._:$+-]{0,127}$/;

/** Where a rollout's events go (the JetStream outbox). Must not reject. */
export interface SatelliteEventPublisher {
  publish(event: SatelliteEvent): Promise<void>;
}

/** What `StartRollout` asks for, in the satellite's terms. */
export interface StartRolloutInput {
  readonly rolloutId: string;
  /** Empty: the satellite's only cluster. */
  readonly cluster: string;
  readonly namespace: string;
  readonly service: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
  /** Empty: every default (`{}`). */
  readonly policyYaml: string;
  readonly router: TrafficRouterName;
  /** Empty: the service name. */
  readonly routeName: string;
  readonly parentId: string;
}

/** Dependencies and settings of a {@link ReleaseGuard}. */
export interface ReleaseGuardOptions {
  readonly satelliteId: string;
  readonly clusters: Pick<ClusterRegistry, "get" | "names">;
  /**
   * Telemetry backends. A default gate whose provider is missing is left out of a rollout's policy
   * (logged); a policy that lists such a gate is refused.
   */
  readonly providers: ProviderRegistry;
  /** How to configure each provider, for those messages (e.g. `set SENTRA_LOKI_URL`). */
  readonly providerHints?: Readonly<Partial<Record<GateProviderKind, string>>>;
  readonly events: SatelliteEventPublisher;
  /**
   * Makes sure events can be stored (creates the event stream); run before the first start, and
   * again after a failure. @default nothing to prepare
   */
  readonly prepareEvents?: () => Promise<void>;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Deadline of one router call, in ms. @default the engine's (10000) */
  readonly routerTimeoutMs?: number;
  /** How long the replica-ratio router waits for readiness, in ms (below `routerTimeoutMs`). */
  readonly replicaReadinessTimeoutMs?: number;
  /** @default DEFAULT_MAX_FINISHED_ROLLOUTS */
  readonly maxFinishedRollouts?: number;
  /** @default DEFAULT_ROUTE_REPAIR_MAX_MS */
  readonly routeRepairMaxMs?: number;
  /** @default systemClock */
  readonly clock?: RolloutClock;
  /** The adapters a policy's `router.adapter` may name. @default ROUTER_ADAPTER_DEFINITIONS */
  readonly routerAdapters?: readonly RouterAdapterDefinition<{ readonly adapter: string }>[];
  /**
   * Endpoint override per adapter name (`SENTRA_ADAPTER_ENDPOINT_<NAME>`), handed to the adapter as
   * `RouterAdapterContext.endpoint`. @default none: each SDK's default endpoint
   */
  readonly adapterEndpoints?: Readonly<Record<string, string>>;
}

/** What the guard keeps per rollout beside the engine's spec and state. */
interface RolloutMeta {
  binding: TrafficBinding;
  parentId: string;
  policyDigest: string;
  sequence: number;
  startedAt: string;
  updatedAt: string;
  appliedVia: "primary" | "fallback" | null;
  lastDecision: Decision | null;
  /** Sequence of the event that carried `lastDecision`. */
  lastDecisionSequence: number;
  /** Time of the last evaluation whose gates were counted (one evaluation can yield several decisions). */
  gatesCountedAt: string | null;
  /** The error budget of the latest evidence that reported one. */
  errorBudget: ErrorBudgetEvidence | null;
  /** The policy's `router:` target, when a router adapter moves this rollout's traffic. */
  routerTarget: RouterTargetPolicy | undefined;
  /** The adapter built from `routerTarget`, on first use. */
  adapter: RouterAdapter | undefined;
}

/**
 * The satellite's release guard: runs the rollout engine (one per cluster, so the same service can
 * be rolled out in several clusters of a central satellite) against the satellite's clusters and
 * telemetry, and turns every transition, decision and incident into a `SatelliteEvent` carrying
 * the rollout's full record — which is also how rollouts are resumed after a restart.
 * Rollout ids are unique per satellite.
 */
export class ReleaseGuard implements RolloutEventSink {
  private readonly engines = new Map<string, RolloutEngine>();
  private readonly metas = new Map<string, RolloutMeta>();
  /** Pending route repair attempts, by rollout id. */
  private readonly repairs = new Map<string, TimerHandle>();
  private readonly switch: TrafficRouterSwitch;
  private readonly providers: ProviderRegistry;
  private readonly metrics: ReleaseGuardMetrics;
  private readonly clock: RolloutClock;
  private readonly log: Logger;
  /** Starts run one at a time: a start checks, then registers; two must not interleave. */
  private starting: Promise<unknown> = Promise.resolve();
  private eventsPrepared = false;
  private closed = false;

  private constructor(private readonly options: ReleaseGuardOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger;
    this.metrics = createReleaseGuardMetrics(options.registry, () => this.sample());
    const resolve = (rolloutId: string) => {
      const meta = this.metas.get(rolloutId);
      if (meta === undefined) throw new SentraError("NOT_FOUND", `no rollout ${rolloutId}`, { field: "rollout_id" });
      return { binding: meta.binding, cluster: this.options.clusters.get(meta.binding.cluster) };
    };
    this.switch = new TrafficRouterSwitch(
      resolve,
      {
        "gateway-api": new GatewayApiRouter(resolve, { logger: this.log }),
        istio: new IstioRouter(resolve, { logger: this.log }),
        nginx: new NginxIngressRouter(resolve, { logger: this.log }),
        "replica-ratio": new ReplicaRatioRouter(resolve, {
          logger: this.log,
          ...(options.replicaReadinessTimeoutMs === undefined
            ? {}
            : { readinessTimeoutMs: options.replicaReadinessTimeoutMs }),
        }),
      },
      (call) => {
        const outcome = call.ok ? "ok" : "error";
        this.metrics.routerCalls.inc({ router: call.router, role: call.role, outcome });
        this.metrics.routerCallDuration.observe({ router: call.router, role: call.role }, call.seconds);
        if (!call.ok) {
          this.log.warn(
            {
              rollout: call.rollout,
              router: call.router,
              role: call.role,
              weight: call.weight,
              err: describe(call.error),
            },
            "traffic router call failed",
          );
        }
      },
      (rolloutId) => this.adapterOf(rolloutId),
    );
    this.providers = instrumentProviders(options.providers, this.metrics);
  }

  /**
   * The router adapter of a rollout whose policy has `router:`, built on first use from the policy's
   * target (so a resumed rollout gets its adapter back from its record) with the satellite's
   * endpoint override for that adapter. Undefined for rollouts moved by a Kubernetes router.
   * @throws SentraError FAILED_PRECONDITION when this satellite has no such adapter
   */
  private adapterOf(rolloutId: string): { name: string; adapter: RouterAdapter } | undefined {
    const meta = this.metas.get(rolloutId);
    const target = meta?.routerTarget;
    if (meta === undefined || target === undefined) return undefined;
    if (meta.adapter === undefined) {
      const definitions = this.options.routerAdapters ?? ROUTER_ADAPTER_DEFINITIONS;
      const definition = definitions.find((candidate) => candidate.name === target.adapter);
      if (definition === undefined) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `rollout ${rolloutId} names router adapter ${target.adapter}, which this satellite does not have (it has: ${definitions.map((d) => d.name).join(", ") || "none"})`,
        );
      }
      const endpoint = this.options.adapterEndpoints?.[target.adapter];
      const log = this.log.child({ rollout: rolloutId, adapter: target.adapter });
      meta.adapter = definition.create(target, {
        ...(endpoint === undefined ? {} : { endpoint }),
        log: (message, fields) => log.info(fields, message),
      });
    }
    return { name: target.adapter, adapter: meta.adapter };
  }

  /**
   * Creates the guard and resumes the rollouts of `recovered` (the newest record of each, from the
   * event stream): active ones re-apply their weight and continue, with downtime counted against
   * their warm-up and telemetry-loss bounds; finished ones are kept for Get/List.
   */
  static async create(options: ReleaseGuardOptions, recovered: readonly RolloutRecord[] = []): Promise<ReleaseGuard> {
    const guard = new ReleaseGuard(options);
    await guard.resume(recovered);
    return guard;
  }

  /**
   * Starts guarding a rollout: checks the target (Deployments, route), sets the first weight and
   * schedules evaluations. Idempotent per rollout id: the same request again answers the existing
   * rollout with `replayed`.
   * @throws SentraError INVALID_ARGUMENT (request or policy; a policy's problems are in
   *   `details.problems`), NOT_FOUND (cluster, Deployment, route), FAILED_PRECONDITION (route
   *   cannot be managed; service already has an active rollout), ALREADY_EXISTS (id taken by
   *   another request)
   */
  start(input: StartRolloutInput): Promise<{ rollout: Rollout; replayed: boolean }> {
    const run = this.starting.then(() => this.startNow(input));
    this.starting = run.catch(() => {});
    return run;
  }

  /** One rollout. @throws SentraError NOT_FOUND */
  get(rolloutId: string): Rollout {
    return this.message(this.require(rolloutId));
  }

  /** Every rollout held (active and recently finished), oldest first. */
  list(activeOnly = false): Rollout[] {
    return [...this.metas.keys()]
      .map((id) => this.recordOf(id))
      .filter((record): record is RolloutRecord => record !== undefined)
      .filter((record) => !activeOnly || !isTerminal(record.state))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.spec.id.localeCompare(b.spec.id))
      .map((record) => toRolloutMessage(this.options.satelliteId, record));
  }

  /** Manual promotion: the rest of the current step, or with `full` straight to 100 %. @throws NOT_FOUND */
  async promote(rolloutId: string, options: { full: boolean; actor: string }): Promise<Rollout> {
    const engine = this.engineOf(rolloutId);
    await engine.promote(rolloutId, { full: options.full, ...(options.actor ? { actor: options.actor } : {}) });
    return this.get(rolloutId);
  }

  /** Manual abort: traffic back to stable, ending `aborted`. @throws NOT_FOUND */
  async abort(rolloutId: string, options: { reason: string; actor: string }): Promise<Rollout> {
    const engine = this.engineOf(rolloutId);
    await engine.abort(rolloutId, {
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.actor ? { actor: options.actor } : {}),
    });
    return this.get(rolloutId);
  }

  /** Stops every engine: no new evaluations; in-flight events finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const handle of this.repairs.values()) this.clock.clearTimeout(handle);
    this.repairs.clear();
    await Promise.allSettled([...this.engines.values()].map((engine) => engine.stop()));
  }

  // --- RolloutEventSink -------------------------------------------------------------------------

  async transition(record: RolloutTransitionRecord): Promise<void> {
    const id = record.rollout.id;
    const meta = this.metas.get(id);
    if (meta === undefined) return;
    meta.updatedAt = record.at;
    this.metrics.transitions.inc({ to: record.to });
    this.log.info(
      {
        rollout: id,
        service: record.rollout.service,
        from: record.from,
        to: record.to,
        weight: weightOf(record.state),
      },
      "rollout phase changed",
    );
    await this.emit(id, record.state, (full) => ({
      case: "rolloutTransition",
      value: toRolloutMessage(this.options.satelliteId, full),
    }));
    if (isTerminal(record.state)) this.pruneFinished(id);
  }

  async decision(record: RolloutDecisionRecord): Promise<void> {
    const id = record.rollout.id;
    const meta = this.metas.get(id);
    if (meta === undefined) return;
    const { rollout: _rollout, state, ...decision } = record;
    meta.lastDecision = decision;
    meta.errorBudget =
      decision.gates.find((gate) => gate.evidence?.errorBudget)?.evidence?.errorBudget ?? meta.errorBudget;
    // emit() numbers this decision's event next.
    meta.lastDecisionSequence = meta.sequence + 1;
    meta.updatedAt = decision.at;
    if (decision.via !== undefined) meta.appliedVia = decision.via;
    this.metrics.decisions.inc({ kind: decision.kind });
    if (decision.gates.length > 0 && meta.gatesCountedAt !== decision.at) {
      meta.gatesCountedAt = decision.at;
      for (const gate of decision.gates) this.metrics.gateEvaluations.inc({ gate: gate.gate, outcome: gate.outcome });
    }
    const quiet = decision.kind === "pass" || decision.kind === "hold";
    this.log[quiet ? "debug" : "info"](
      {
        rollout: id,
        decision: decision.kind,
        from: decision.from,
        to: decision.to,
        weight: decision.weight,
        gates: decision.gates.map((gate) => ({ gate: gate.gate, outcome: gate.outcome, value: gate.value })),
        ...(decision.via ? { via: decision.via } : {}),
      },
      decision.reason,
    );
    await this.emit(id, state, (full) => ({
      case: "rolloutDecision",
      value: toDecisionMessage(full, decision, full.sequence),
    }));
    if (decision.kind === "rollbackComplete" && decision.via === "fallback") {
      const intervalMs = (this.engines.get(meta.binding.cluster)?.get(id)?.spec.policy.intervalSeconds ?? 5) * 1000;
      const deadline = this.clock.now().getTime() + (this.options.routeRepairMaxMs ?? DEFAULT_ROUTE_REPAIR_MAX_MS);
      this.scheduleRouteRepair(record.rollout, intervalMs, deadline);
    }
  }

  async incident(record: RolloutIncidentRecord): Promise<void> {
    const id = record.rollout.id;
    if (!this.metas.has(id)) return;
    this.metrics.incidents.inc({ severity: record.severity, kind: record.kind });
    this.log[record.severity === "critical" ? "error" : "warn"](
      { rollout: id, incident: record.kind, severity: record.severity },
      record.message,
    );
    const state = this.engineOf(id).get(id)?.state;
    if (state === undefined) return;
    await this.emit(id, state, (full) => ({
      case: "incident",
      value: toIncidentMessage(full, record, full.sequence),
    }));
  }

  // --- internals ---------------------------------------------------------------------------------

  /**
   * After a rollback through the fallback (replica ratio: the canary has no pods, but the route
   * still gives it a share, which the gateway answers with errors), keeps trying the primary router
   * at 0 % — backing off from one interval to a minute — until it works, another rollout of the
   * service starts, the deadline passes, or the guard stops. Not resumed after a restart.
   */
  private scheduleRouteRepair(target: RolloutTarget, delayMs: number, deadline: number): void {
    if (this.closed || !this.metas.has(target.id)) return;
    const handle = this.clock.setTimeout(() => {
      this.repairs.delete(target.id);
      void this.repairRoute(target, delayMs, deadline);
    }, delayMs);
    this.repairs.set(target.id, handle);
  }

  private async repairRoute(target: RolloutTarget, delayMs: number, deadline: number): Promise<void> {
    const meta = this.metas.get(target.id);
    if (this.closed || meta === undefined) return;
    const router = primaryRouterLabel(meta.binding);
    const successor = this.engines
      .get(meta.binding.cluster)
      ?.list()
      .find(
        ({ spec, state }) =>
          spec.id !== target.id &&
          spec.service === target.service &&
          spec.namespace === target.namespace &&
          !isTerminal(state),
      );
    if (successor !== undefined) {
      this.metrics.routeRepairs.inc({ router, outcome: "abandoned" });
      this.log.info(
        { rollout: target.id, successor: successor.spec.id },
        "route repair abandoned: a newer rollout of the service manages the route",
      );
      return;
    }
    try {
      await this.switch.repair.setCanaryWeight(target, 0);
      this.metrics.routeRepairs.inc({ router, outcome: "repaired" });
      this.log.info(
        { rollout: target.id, router, route: meta.binding.routeName },
        "route repaired: the primary router set 0% canary after the rollback through the fallback",
      );
    } catch (error) {
      if (this.clock.now().getTime() + delayMs > deadline) {
        this.metrics.routeRepairs.inc({ router, outcome: "abandoned" });
        this.log.error(
          { rollout: target.id, router, route: meta.binding.routeName, err: describe(error) },
          "route repair abandoned: the route still gives the rolled-back canary a share (its pods are gone, so the gateway answers it with errors); set it to 0% by hand",
        );
        return;
      }
      this.scheduleRouteRepair(target, Math.min(delayMs * 2, ROUTE_REPAIR_MAX_DELAY_MS), deadline);
    }
  }

  private async startNow(input: StartRolloutInput): Promise<{ rollout: Rollout; replayed: boolean }> {
    if (this.closed) throw new SentraError("UNAVAILABLE", "the satellite is shutting down");
    const request = this.validate(input);
    const existing = this.metas.get(request.spec.id);
    if (existing !== undefined) {
      const record = this.require(request.spec.id);
      const differences = this.differences(record, request);
      if (differences.length > 0) {
        throw new SentraError(
          "ALREADY_EXISTS",
          `rollout ${request.spec.id} already exists with another ${differences.join(", ")}; choose a new rollout id`,
          { field: "rollout_id", details: { differences } },
        );
      }
      return { rollout: this.message(record), replayed: true };
    }
    if (!this.eventsPrepared && this.options.prepareEvents) {
      // A rollout's decisions must be storable (and it resumable) before its traffic moves.
      await this.options.prepareEvents();
      this.eventsPrepared = true;
    }
    const engine = this.engineFor(request.binding.cluster);
    const now = this.clock.now().toISOString();
    this.metas.set(request.spec.id, {
      binding: request.binding,
      parentId: request.parentId,
      policyDigest: request.policyDigest,
      sequence: 0,
      startedAt: now,
      updatedAt: now,
      appliedVia: null,
      lastDecision: null,
      lastDecisionSequence: 0,
      gatesCountedAt: null,
      errorBudget: null,
      routerTarget: request.spec.policy.router,
      adapter: undefined,
    });
    try {
      await this.switch.check(request.spec);
      await engine.start(request.spec);
    } catch (error) {
      // Nothing was started: forget the rollout so the same id can be started once fixed.
      if (engine.get(request.spec.id) === undefined) this.metas.delete(request.spec.id);
      throw error;
    }
    if (request.omittedGates.length > 0) {
      this.log.info(
        {
          rollout: request.spec.id,
          omitted: request.omittedGates.map((gate) => ({ gate: gate.name, provider: gate.provider })),
          gates: request.spec.policy.gates.map((gate) => gate.name),
        },
        "default gates left out of the policy: their telemetry provider is not configured on this satellite",
      );
    }
    this.log.info(
      {
        rollout: request.spec.id,
        cluster: request.binding.cluster,
        namespace: request.spec.namespace,
        service: request.spec.service,
        stable: request.spec.stableVersion,
        canary: request.spec.version,
        router: primaryRouterLabel(request.binding),
        strategy: request.spec.policy.strategy,
      },
      "rollout started",
    );
    return { rollout: this.get(request.spec.id), replayed: false };
  }

  private validate(input: StartRolloutInput): {
    spec: RolloutSpec;
    binding: TrafficBinding;
    parentId: string;
    policyDigest: string;
    omittedGates: readonly GateSpec[];
  } {
    const invalid = (field: string, problem: string) => SentraError.invalidArgument(field, problem);
    if (!ROLLOUT_ID_PATTERN.test(input.rolloutId)) {
      throw invalid("rollout_id", "is required: up to 48 letters, digits, '.', '_', ':' and '-'");
    }
    if (!DNS_LABEL.test(input.namespace) || input.namespace.length > 63) {
      throw invalid("namespace", "must be a Kubernetes namespace name (lowercase letters, digits and '-')");
    }
    if (!DNS_LABEL.test(input.service) || input.service.length > 63) {
      throw invalid("service", "must be a DNS label (lowercase letters, digits and '-', at most 63)");
    }
    const policyYaml = input.policyYaml.trim() === "" ? "{}" : input.policyYaml;
    const sourceName = `${input.rolloutId}/policy.yaml`;
    let policy: RolloutPolicy;
    let omittedGates: readonly GateSpec[];
    try {
      const available = new Set(
        (Object.keys(this.options.providers) as GateProviderKind[]).filter((kind) => this.options.providers[kind]),
      );
      ({ policy, omitted: omittedGates } = fitPolicyToProviders(
        policyYaml,
        sourceName,
        parseRolloutPolicy(policyYaml, sourceName, {
          routerAdapters: this.options.routerAdapters ?? ROUTER_ADAPTER_DEFINITIONS,
        }),
        available,
        this.options.providerHints,
      ));
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      throw new SentraError("INVALID_ARGUMENT", error.message, {
        field: "policy_yaml",
        details: error.details ?? {},
        cause: error,
      });
    }
    const adapter = policy.router?.adapter;
    for (const [field, version] of [
      ["stable_version", input.stableVersion],
      ["canary_version", input.canaryVersion],
    ] as const) {
      if (version === "") throw invalid(field, "is required");
      if (adapter !== undefined) {
        if (!ADAPTER_VERSION.test(version)) {
          throw invalid(field, "must be up to 128 letters, digits, '.', '_', ':', '$', '+' and '-'");
        }
        continue;
      }
      const name = versionedName(input.service, version);
      if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
        throw invalid(field, `${JSON.stringify(name)} is not a valid Deployment name (<service>-<version>)`);
      }
      if (input.router !== "replica-ratio" && (!SERVICE_NAME.test(name) || name.length > 63)) {
        throw invalid(
          field,
          `the ${input.router} router routes to a Service per version named <service>-<version>, and ${JSON.stringify(name)} is not a valid Service name (lowercase letters, digits and '-', at most 63)`,
        );
      }
    }
    if (input.stableVersion === input.canaryVersion) throw invalid("canary_version", "must differ from stable_version");
    const routeName = input.routeName || input.service;
    if (!DNS_SUBDOMAIN.test(routeName) || routeName.length > 253) {
      throw invalid("route_name", "must be a Kubernetes object name");
    }
    if (input.parentId.length > 128) throw invalid("parent_id", "is longer than 128 characters");
    const names = this.options.clusters.names();
    const cluster = input.cluster || (names.length === 1 ? names[0] : undefined);
    if (cluster === undefined) {
      throw invalid("cluster", `is required: this satellite manages ${names.join(", ")}`);
    }
    this.options.clusters.get(cluster); // NOT_FOUND (field "cluster") when unknown
    return {
      spec: {
        id: input.rolloutId,
        service: input.service,
        namespace: input.namespace,
        version: input.canaryVersion,
        stableVersion: input.stableVersion,
        policy,
      },
      binding: { cluster, router: input.router, routeName, ...(adapter === undefined ? {} : { adapter }) },
      parentId: input.parentId,
      policyDigest: policyDigest(policyYaml),
      omittedGates,
    };
  }

  /** The request fields in which a replayed start differs from the rollout it names. */
  private differences(record: RolloutRecord, request: ReturnType<ReleaseGuard["validate"]>): string[] {
    const pairs: [string, unknown, unknown][] = [
      ["cluster", record.binding.cluster, request.binding.cluster],
      ["namespace", record.spec.namespace, request.spec.namespace],
      ["service", record.spec.service, request.spec.service],
      ["stable_version", record.spec.stableVersion, request.spec.stableVersion],
      ["canary_version", record.spec.version, request.spec.version],
      ["traffic_router", record.binding.router, request.binding.router],
      ["route_name", record.binding.routeName, request.binding.routeName],
      ["parent_id", record.parentId, request.parentId],
      ["policy_yaml", record.policyDigest, request.policyDigest],
    ];
    return pairs.filter(([, before, after]) => before !== after).map(([field]) => field);
  }

  private async resume(records: readonly RolloutRecord[]): Promise<void> {
    const byCluster = new Map<string, RolloutRecord[]>();
    for (const record of records) {
      const { id } = record.spec;
      this.metas.set(id, {
        binding: record.binding,
        parentId: record.parentId,
        policyDigest: record.policyDigest,
        sequence: record.sequence,
        startedAt: record.startedAt,
        updatedAt: record.updatedAt,
        appliedVia: record.appliedVia,
        lastDecision: record.lastDecision,
        lastDecisionSequence: record.lastDecisionSequence,
        gatesCountedAt: record.lastDecision?.at ?? null,
        errorBudget: record.errorBudget ?? null,
        routerTarget: record.spec.policy.router,
        adapter: undefined,
      });
      if (!this.options.clusters.names().includes(record.binding.cluster)) {
        this.log.error(
          { rollout: id, cluster: record.binding.cluster, phase: record.state.phase },
          "recovered rollout belongs to a cluster this satellite no longer manages; its router calls will fail",
        );
      }
      byCluster.set(record.binding.cluster, [...(byCluster.get(record.binding.cluster) ?? []), record]);
    }
    for (const [cluster, clusterRecords] of byCluster) {
      await this.engineFor(cluster).restore({
        version: 1,
        takenAt: this.clock.now().toISOString(),
        rollouts: clusterRecords.map((record) => ({
          spec: record.spec,
          state: record.state,
          ...(record.judgeMemory === undefined ? {} : { judgeMemory: record.judgeMemory }),
        })),
      });
    }
    const active = records.filter((record) => !isTerminal(record.state)).length;
    if (records.length > 0)
      this.log.info({ rollouts: records.length, active }, "rollouts resumed from the event stream");
    this.pruneFinished();
  }

  private engineFor(cluster: string): RolloutEngine {
    let engine = this.engines.get(cluster);
    if (engine === undefined) {
      engine = new RolloutEngine({
        router: this.switch.primary,
        fallbackRouter: this.switch.fallback,
        providers: this.providers,
        sink: this,
        clock: this.clock,
        logger: this.log.child({ cluster }),
        ...(this.options.routerTimeoutMs === undefined ? {} : { routerTimeoutMs: this.options.routerTimeoutMs }),
      });
      this.engines.set(cluster, engine);
    }
    return engine;
  }

  private engineOf(rolloutId: string): RolloutEngine {
    const meta = this.metas.get(rolloutId);
    const engine = meta === undefined ? undefined : this.engines.get(meta.binding.cluster);
    if (engine === undefined) {
      throw new SentraError("NOT_FOUND", `no rollout ${rolloutId} on satellite ${this.options.satelliteId}`, {
        field: "rollout_id",
      });
    }
    return engine;
  }

  private recordOf(rolloutId: string, state?: RolloutState): RolloutRecord | undefined {
    const meta = this.metas.get(rolloutId);
    if (meta === undefined) return undefined;
    const engine = this.engines.get(meta.binding.cluster);
    const status = engine?.get(rolloutId);
    if (status === undefined) return undefined;
    const judgeMemory = engine?.judgeMemoryOf(rolloutId) ?? {};
    return {
      format: ROLLOUT_RECORD_FORMAT,
      spec: status.spec,
      state: state ?? status.state,
      binding: meta.binding,
      parentId: meta.parentId,
      policyDigest: meta.policyDigest,
      sequence: meta.sequence,
      startedAt: meta.startedAt,
      updatedAt: meta.updatedAt,
      appliedVia: meta.appliedVia,
      lastDecision: meta.lastDecision,
      lastDecisionSequence: meta.lastDecisionSequence,
      ...(meta.errorBudget === null ? {} : { errorBudget: meta.errorBudget }),
      ...(Object.keys(judgeMemory).length === 0 ? {} : { judgeMemory }),
    };
  }

  private require(rolloutId: string): RolloutRecord {
    const record = this.recordOf(rolloutId);
    if (record === undefined) {
      throw new SentraError("NOT_FOUND", `no rollout ${rolloutId} on satellite ${this.options.satelliteId}`, {
        field: "rollout_id",
      });
    }
    return record;
  }

  private message(record: RolloutRecord): Rollout {
    return toRolloutMessage(this.options.satelliteId, record);
  }

  /** Numbers the event, attaches the rollout's record as it stands, and hands it to the outbox. */
  private async emit(
    rolloutId: string,
    state: RolloutState,
    body: (record: RolloutRecord) => SatelliteEvent["body"],
  ): Promise<void> {
    const meta = this.metas.get(rolloutId);
    if (meta === undefined) return;
    meta.sequence += 1;
    const record = this.recordOf(rolloutId, state);
    if (record === undefined) return;
    const event = create(SatelliteEventSchema, {
      eventId: `${this.options.satelliteId}.${rolloutId}.${record.sequence}`,
      satelliteId: this.options.satelliteId,
      at: timestampFromDate(this.clock.now()),
      body: body(record),
      rolloutStateJson: JSON.stringify(record),
    });
    await this.options.events.publish(event);
  }

  /** Forgets the oldest finished rollouts beyond the limit (never `keep`, whose event is in progress). */
  private pruneFinished(keep?: string): void {
    const limit = this.options.maxFinishedRollouts ?? DEFAULT_MAX_FINISHED_ROLLOUTS;
    const finished = [...this.metas.entries()]
      .filter(([id]) => id !== keep)
      .map(([id, meta]) => ({ id, meta, state: this.engines.get(meta.binding.cluster)?.get(id)?.state }))
      .filter((entry) => entry.state !== undefined && isTerminal(entry.state))
      .sort((a, b) => a.meta.updatedAt.localeCompare(b.meta.updatedAt));
    const excess = finished.length + (keep === undefined ? 0 : 1) - limit;
    for (const { id, meta } of finished.slice(0, Math.max(0, excess))) {
      this.engines.get(meta.binding.cluster)?.forget(id);
      this.metas.delete(id);
    }
  }

  private sample() {
    const phases: Record<string, number> = {};
    const weights: { rollout: string; namespace: string; service: string; weight: number }[] = [];
    const evidence: { rollout: string; gate: string; test: string; statistic: number; bound: number }[] = [];
    const budgets: { rollout: string; burnedPercent: number }[] = [];
    for (const engine of this.engines.values()) {
      for (const { spec, state } of engine.list()) {
        phases[state.phase] = (phases[state.phase] ?? 0) + 1;
        const weight = weightOf(state);
        if (!isTerminal(state) && weight !== null) {
          weights.push({ rollout: spec.id, namespace: spec.namespace, service: spec.service, weight });
        }
        const meta = this.metas.get(spec.id);
        if (isTerminal(state) || meta === undefined) continue;
        for (const gate of meta.lastDecision?.gates ?? []) {
          if (gate.evidence === undefined) continue;
          const { test, statistic, bound } = gate.evidence;
          evidence.push({ rollout: spec.id, gate: gate.gate, test, statistic, bound });
        }
        if (meta.errorBudget !== null)
          budgets.push({ rollout: spec.id, burnedPercent: meta.errorBudget.burnedPercent });
      }
    }
    return { phases, weights, evidence, budgets };
  }
}

/** Wraps each provider to count its queries by result and time them. */
function instrumentProviders(providers: ProviderRegistry, metrics: ReleaseGuardMetrics): ProviderRegistry {
  const wrapped: Partial<Record<keyof ProviderRegistry, MetricProvider>> = {};
  for (const [kind, provider] of Object.entries(providers) as [keyof ProviderRegistry, MetricProvider | undefined][]) {
    if (provider === undefined) continue;
    const measured = async <R extends { kind: string }>(run: () => Promise<R>): Promise<R> => {
      const started = performance.now();
      const result = await run();
      metrics.telemetryQueries.inc({ provider: provider.kind, result: result.kind });
      metrics.telemetryQueryDuration.observe({ provider: provider.kind }, (performance.now() - started) / 1000);
      return result;
    };
    const queryVector = provider.queryVector?.bind(provider);
    wrapped[kind] = {
      kind: provider.kind,
      query: (query, at, signal, options) => measured(() => provider.query(query, at, signal, options)),
      ...(queryVector === undefined
        ? {}
        : {
            queryVector: (query: string, at: Date, signal: AbortSignal) =>
              measured(() => queryVector(query, at, signal)),
          }),
    };
  }
  return wrapped;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
