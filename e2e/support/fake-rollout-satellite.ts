import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import { COORDINATOR_COMMON_NAME, SentraError } from "@sentra/common";
import {
  addService,
  createSecuredServer,
  HealthSummarySchema,
  IncidentSchema,
  type Rollout,
  RolloutDecisionSchema,
  RolloutPhase,
  RolloutSchema,
  RolloutStrategy,
  SatelliteEventSchema,
  SatelliteService,
  type SatelliteServiceStartRolloutRequest,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import { getTestPki, type TestNamespace } from "@sentra/testkit";
import { TEST_HEARTBEAT_INTERVAL_MS } from "./estate-processes.js";

/** How a fake satellite's rollout ends: promoted, rolled back by its gates, or held until told. */
export type FakeOutcome = "promote" | "rollback" | "hold";

/** One SatelliteService call the fake received. */
export interface FakeCall {
  method: "startRollout" | "getRollout" | "promoteRollout" | "abortRollout";
  rolloutId: string;
  atMs: number;
  start?: SatelliteServiceStartRolloutRequest;
}

export interface FakeRolloutSatellite {
  readonly satelliteId: string;
  readonly calls: FakeCall[];
  readonly rollouts: Map<string, Rollout>;
  /** When each rollout reached a terminal phase (ms). */
  readonly endedAtMs: Map<string, number>;
  /** Events published so far, by kind. */
  readonly published: { transitions: number; decisions: number; incidents: number };
  stop(): Promise<void>;
}

const TERMINAL = new Set([RolloutPhase.PROMOTED, RolloutPhase.ROLLED_BACK, RolloutPhase.ABORTED, RolloutPhase.FAILED]);

/**
 * A stand-in for a satellite's release guard, for coordinator tests: it heartbeats on NATS (so
 * the estate knows its gRPC endpoint), serves the SatelliteService rollout methods, and plays
 * each rollout through a short script, publishing the transition, decision and incident events
 * a real satellite publishes on its JetStream event subject (message id = event id). Like the
 * real engine, it ignores an abort once a rollout is promoted.
 */
export async function startFakeRolloutSatellite(
  namespace: TestNamespace,
  options: {
    cloud: string;
    region: string;
    outcome: FakeOutcome | ((start: SatelliteServiceStartRolloutRequest) => FakeOutcome);
    stepMs?: number;
    /** Refuse every StartRollout with this error (e.g. a policy the satellite rejects). */
    refuseStart?: SentraError;
  },
): Promise<FakeRolloutSatellite> {
  const satelliteId = `${options.cloud}-${options.region}`;
  const stepMs = options.stepMs ?? 150;
  const nats = await namespace.nats();
  const js = jetstream(nats);
  const calls: FakeCall[] = [];
  const rollouts = new Map<string, Rollout>();
  const endedAtMs = new Map<string, number>();
  const sequences = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const published = { transitions: 0, decisions: 0, incidents: 0 };
  let eventCounter = 0;
  let stopped = false;

  const publish = async (body: MessageInitShape<typeof SatelliteEventSchema>["body"]): Promise<void> => {
    const eventId = `${satelliteId}-${++eventCounter}`;
    const payload = toBinary(
      SatelliteEventSchema,
      create(SatelliteEventSchema, { eventId, satelliteId, at: timestampFromMs(Date.now()), body }),
    );
    await js.publish(satelliteSubject(satelliteId, "event", namespace.subjectPrefix), payload, { msgID: eventId });
  };

  /** Moves a rollout and publishes what a real engine would: a decision, and a transition on a phase change. */
  const step = async (
    rollout: Rollout,
    decision: string,
    phase: RolloutPhase,
    weight: number,
    incident?: string,
  ): Promise<void> => {
    const sequence = (sequences.get(rollout.id) ?? 0) + 1;
    sequences.set(rollout.id, sequence);
    const now = Date.now();
    const changedPhase = rollout.phase !== phase;
    const record = create(RolloutDecisionSchema, {
      rolloutId: rollout.id,
      stepIndex: weight >= 100 ? 1 : 0,
      canaryWeight: weight,
      decision,
      at: timestampFromMs(now),
      phase,
      reason: `${decision} at ${weight}%`,
      router: "gateway-api",
      sequence,
      gates: [
        {
          gate: "error_rate",
          outcome: decision === "breach" || decision === "rollback" ? 2 : 1,
          value: decision === "breach" || decision === "rollback" ? 0.08 : 0.001,
          threshold: 0.01,
          severeThreshold: 0.05,
          sampleSize: 250,
        },
      ],
    });
    rollout.phase = phase;
    rollout.canaryWeight = weight;
    rollout.stepIndex = record.stepIndex;
    rollout.lastDecision = record;
    rollout.updatedAt = timestampFromMs(now);
    rollout.message = record.reason;
    if (TERMINAL.has(phase)) endedAtMs.set(rollout.id, now);
    await publish({ case: "rolloutDecision", value: record });
    published.decisions++;
    if (incident) {
      await publish({
        case: "incident",
        value: create(IncidentSchema, {
          id: `${rollout.id}-incident-${sequence}`,
          rolloutId: rollout.id,
          severity: "critical",
          summary: incident,
          at: timestampFromMs(now),
          gates: record.gates,
        }),
      });
      published.incidents++;
    }
    if (changedPhase) {
      await publish({ case: "rolloutTransition", value: create(RolloutSchema, rollout) });
      published.transitions++;
    }
  };

  const script = (rollout: Rollout, outcome: FakeOutcome): void => {
    const reverse = rollout.id.endsWith("-revert");
    const moves: Array<() => Promise<void>> = reverse
      ? [() => step(rollout, "promote", RolloutPhase.PROMOTED, 100)]
      : outcome === "promote"
        ? [
            () => step(rollout, "advance", RolloutPhase.PROGRESSING, 50),
            () => step(rollout, "promote", RolloutPhase.PROMOTED, 100),
          ]
        : outcome === "rollback"
          ? [
              () => step(rollout, "breach", RolloutPhase.PROGRESSING, 50),
              () => step(rollout, "rollback", RolloutPhase.ROLLING_BACK, 50, "3 consecutive breaches of error_rate"),
              () => step(rollout, "rollbackComplete", RolloutPhase.ROLLED_BACK, 0),
            ]
          : [() => step(rollout, "advance", RolloutPhase.PROGRESSING, 50)];
    const next = (): void => {
      const move = moves.shift();
      if (!move || stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        // A person's abort or promotion may have ended it meanwhile.
        if (TERMINAL.has(rollout.phase)) return;
        void move().then(next, () => undefined);
      }, stepMs);
      timers.add(timer);
    };
    next();
  };

  const held = (rolloutId: string): Rollout => {
    const rollout = rollouts.get(rolloutId);
    if (!rollout) throw new SentraError("NOT_FOUND", `no rollout ${rolloutId}`, { field: "rollout_id" });
    return rollout;
  };

  // As a real satellite: mTLS with its own certificate, only the coordinator may call.
  const { server, listen } = createSecuredServer({
    security: await (await getTestPki()).satelliteSecurity(satelliteId),
    allowedClientCommonNames: [COORDINATOR_COMMON_NAME],
  });
  addService(server, SatelliteService, {
    getSatelliteInfo: async () => ({ satelliteId, region: { cloud: options.cloud, name: options.region } }),
    listWorkloads: async () => ({ workloads: [] }),
    getWorkload: async () => {
      throw new SentraError("UNIMPLEMENTED", "fake satellite");
    },
    scaleWorkload: async () => {
      throw new SentraError("UNIMPLEMENTED", "fake satellite");
    },
    startRollout: async (request) => {
      calls.push({ method: "startRollout", rolloutId: request.rolloutId, atMs: Date.now(), start: request });
      if (options.refuseStart) throw options.refuseStart;
      const existing = rollouts.get(request.rolloutId);
      if (existing) return { rollout: existing, replayed: true };
      const now = Date.now();
      const rollout = create(RolloutSchema, {
        id: request.rolloutId,
        satelliteId,
        cluster: request.cluster || "sim-1",
        namespace: request.namespace,
        service: request.service,
        stableVersion: request.stableVersion,
        canaryVersion: request.canaryVersion,
        strategy: RolloutStrategy.CANARY,
        phase: RolloutPhase.PENDING,
        steps: [50, 50],
        startedAt: timestampFromMs(now),
        updatedAt: timestampFromMs(now),
        parentId: request.parentId,
        trafficRouter: "gateway-api",
      });
      rollouts.set(rollout.id, rollout);
      const reverse = rollout.id.endsWith("-revert");
      await step(rollout, "start", RolloutPhase.WARMING_UP, reverse ? 100 : 10);
      script(rollout, typeof options.outcome === "function" ? options.outcome(request) : options.outcome);
      return { rollout: create(RolloutSchema, rollout), replayed: false };
    },
    getRollout: async (request) => {
      calls.push({ method: "getRollout", rolloutId: request.rolloutId, atMs: Date.now() });
      return { rollout: create(RolloutSchema, held(request.rolloutId)) };
    },
    listRollouts: async () => ({ rollouts: [...rollouts.values()] }),
    promoteRollout: async (request) => {
      calls.push({ method: "promoteRollout", rolloutId: request.rolloutId, atMs: Date.now() });
      const rollout = held(request.rolloutId);
      if (!TERMINAL.has(rollout.phase)) await step(rollout, "promote", RolloutPhase.PROMOTED, 100);
      return { rollout: create(RolloutSchema, rollout) };
    },
    abortRollout: async (request) => {
      calls.push({ method: "abortRollout", rolloutId: request.rolloutId, atMs: Date.now() });
      const rollout = held(request.rolloutId);
      // As the real engine: an abort after the end is recorded as ignored and changes nothing.
      if (!TERMINAL.has(rollout.phase)) await step(rollout, "rollback", RolloutPhase.ABORTED, 0);
      return { rollout: create(RolloutSchema, rollout) };
    },
  });
  const port = await listen("127.0.0.1:0");
  const grpcEndpoint = `127.0.0.1:${port}`;

  let sequence = 0;
  const heartbeat = (): void => {
    const health = create(HealthSummarySchema, {
      satelliteId,
      region: { cloud: options.cloud, name: options.region },
      sequence: ++sequence,
      sentAt: timestampFromMs(Date.now()),
      heartbeatIntervalMs: TEST_HEARTBEAT_INTERVAL_MS,
      version: "fake",
      grpcEndpoint,
    });
    nats.publish(
      satelliteSubject(satelliteId, "health", namespace.subjectPrefix),
      toBinary(HealthSummarySchema, health),
    );
  };
  heartbeat();
  const heartbeatTimer = setInterval(heartbeat, TEST_HEARTBEAT_INTERVAL_MS);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(heartbeatTimer);
    for (const timer of timers) clearTimeout(timer);
    server.forceShutdown();
  };
  namespace.defer(stop);
  return { satelliteId, calls, rollouts, endedAtMs, published, stop };
}
