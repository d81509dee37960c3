import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import { type ErrorCodeName, type Logger, SentraError } from "@sentra/common";
import { TrafficRouterKind } from "@sentra/proto";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { LeaderLease } from "../infrastructure/leader-lease.js";
import { RolloutChangeFeed } from "./rollout-change-feed.js";
import { RolloutMetrics } from "./rollout-metrics.js";
import { isTerminalPhase, phaseName } from "./rollout-phases.js";
import { type RolloutAggregate, RolloutRepository, type RolloutRow, type WaveRow } from "./rollout-repository.js";
import type { RolloutSatelliteGateway, SatelliteRolloutStart } from "./rollout-satellite-gateway.js";
import { planWaves, type RolloutView, type WaveCommand, type WaveDispatch } from "./wave-plan.js";

/** Nest token of the {@link RolloutSatelliteGateway} port. */
export const ROLLOUT_SATELLITE_GATEWAY = Symbol("RolloutSatelliteGateway");

/** @default 30000 — a wave that has not ended after an abort is sent the abort again after this long. */
export const ABORT_RESEND_MS = 30_000;

/** Who the coordinator says it is when it aborts or reverts on its own. */
export const COORDINATOR_ACTOR = "sentra-coordinator";

/**
 * The policy of a reverse rollout (a promoted wave moved back to its previous version): all
 * traffic to the previous version in one step, then promoted on the first conclusive evaluation.
 * Its one gate always passes and it never rolls back on its own: rolling "back" a revert would
 * send traffic to the version that just failed elsewhere. Telemetry loss holds it at 100 %.
 */
export const REVERT_POLICY_YAML = `# Sentra reverse rollout: traffic back to the previous version at once.
strategy: canary
steps: [100]
warmupSeconds: 0
intervalSeconds: 2
windowSeconds: 30
passesToPromote: 1
consecutiveBreachesToRollback: 1000
onUnknown: ignore
telemetryLoss:
  pauseAfterSeconds: 3600
  revertAfterSeconds: 86400
gates:
  - name: revert_applied
    provider: prometheus
    query: vector(0)
    threshold: 1
`;

/** Satellite answers that retrying cannot change: the wave fails instead of waiting. */
const PERMANENT_CODES: ReadonlySet<ErrorCodeName> = new Set([
  "INVALID_ARGUMENT",
  "FAILED_PRECONDITION",
  "ALREADY_EXISTS",
  "NOT_FOUND",
  "PERMISSION_DENIED",
  "UNAUTHENTICATED",
  "UNIMPLEMENTED",
]);

/** What starting a wave came to. */
export type WaveStartOutcome =
  | { outcome: "started" }
  | { outcome: "refused"; error: SentraError }
  | { outcome: "pending"; error: SentraError };

/**
 * Drives multi-cluster rollouts through their waves. The decisions are {@link planWaves} over the
 * MySQL record; this service only gathers the record, applies the plan and makes the satellite
 * calls. It re-plans a rollout whenever its record changes (an event, an answer) and every
 * reconcile interval, so it resumes after a restart from MySQL alone. Only the holder of the
 * Redis leader lease re-plans, so several coordinator replicas do not all dispatch.
 */
@Injectable()
export class WaveOrchestrator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly lastPollMs = new Map<string, number>();
  private tickTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private ticking = false;
  private stopping = false;

  constructor(
    private readonly repository: RolloutRepository,
    @Inject(ROLLOUT_SATELLITE_GATEWAY) private readonly gateway: RolloutSatelliteGateway,
    private readonly lease: LeaderLease,
    private readonly feed: RolloutChangeFeed,
    private readonly metrics: RolloutMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.feed.subscribe((rolloutId) => {
      if (this.lease.isLeader && !this.stopping) void this.reconcile(rolloutId);
    });
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease(), Math.max(250, this.config.rollout.leaderLeaseMs / 3));
    this.tickTimer = setInterval(() => void this.tick(), this.config.rollout.reconcileIntervalMs);
    // Resume whatever a previous coordinator left running.
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.tickTimer);
    clearInterval(this.leaseTimer);
    this.unsubscribe?.();
    await Promise.allSettled(this.running.values());
    if (this.lease.isLeader) await this.lease.release().catch(() => undefined);
  }

  /** Re-plans every active coordinator rollout (leader only). */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping || !this.lease.isLeader) return;
    this.ticking = true;
    try {
      const ids = await this.repository.activeCoordinatorRolloutIds();
      await Promise.all(ids.map((id) => this.reconcile(id)));
    } catch (error) {
      this.logger.error({ err: String(error) }, "rollout reconcile failed");
    } finally {
      this.ticking = false;
    }
  }

  /** Re-plans one rollout now; calls for the same rollout are serialised and coalesced. */
  reconcile(rolloutId: string): Promise<void> {
    const current = this.running.get(rolloutId);
    if (current) {
      this.again.add(rolloutId);
      return current;
    }
    const run = (async () => {
      try {
        do {
          this.again.delete(rolloutId);
          await this.reconcileOnce(rolloutId);
        } while (this.again.has(rolloutId) && !this.stopping);
      } catch (error) {
        this.logger.error({ rolloutId, err: String(error) }, "rollout reconcile failed");
      } finally {
        this.running.delete(rolloutId);
      }
    })();
    this.running.set(rolloutId, run);
    return run;
  }

  /**
   * Starts (or retries) one wave on its satellite. Used by the orchestrator and by StartRollout
   * for the first wave, so a policy the satellite refuses is the caller's error.
   */
  async startWave(rollout: RolloutRow, wave: WaveRow): Promise<WaveStartOutcome> {
    if (wave.dispatch === "waiting") {
      await this.move(rollout, wave, "starting", "", ["waiting"], true);
    } else {
      await this.repository.noteAttempt(wave.id, wave.dispatchMessage);
    }
    try {
      const { rollout: answer } = await this.gateway.start(wave.satelliteId, satelliteStartOf(rollout, wave));
      await this.repository.applyAnswer(wave.id, answer);
      await this.move(rollout, wave, "started", "", ["starting"]);
      return { outcome: "started" };
    } catch (error) {
      const failure = SentraError.from(error);
      this.metrics.dispatchErrors.inc({ command: "start", code: failure.code });
      if (PERMANENT_CODES.has(failure.code)) {
        await this.move(rollout, wave, "start_failed", `${wave.satelliteId} refused it: ${failure.message}`, [
          "starting",
        ]);
        return { outcome: "refused", error: failure };
      }
      await this.repository.noteAttempt(wave.id, `${failure.code}: ${failure.message}`);
      this.logger.warn(
        { rolloutId: rollout.id, wave: wave.index + 1, satelliteId: wave.satelliteId, err: failure.message },
        "wave start not accepted yet; retrying",
      );
      return { outcome: "pending", error: failure };
    }
  }

  private async renewLease(): Promise<void> {
    if (this.stopping) return;
    const wasLeader = this.lease.isLeader;
    const leader = await this.lease.hold();
    if (leader !== wasLeader) {
      this.logger.info(
        { holder: this.lease.holderId, leader },
        leader ? "rollout orchestrator leader" : "rollout orchestrator leadership lost",
      );
      if (leader) void this.tick();
    }
  }

  private async reconcileOnce(rolloutId: string): Promise<void> {
    let aggregate = await this.repository.load(rolloutId);
    if (aggregate?.rollout.origin !== "coordinator" || isTerminalPhase(aggregate.rollout.phase)) return;
    let changed = false;
    if (await this.poll(aggregate)) {
      changed = true;
      aggregate = (await this.repository.load(rolloutId)) ?? aggregate;
    }
    const plan = planWaves(rolloutViewOf(aggregate), {
      nowMs: Date.now(),
      dispatchTimeoutMs: this.config.rollout.dispatchTimeoutMs,
      retryIntervalMs: this.config.rollout.reconcileIntervalMs,
      abortResendMs: ABORT_RESEND_MS,
    });
    for (const update of plan.updates) {
      const wave = aggregate.waves[update.index];
      if (!wave) continue;
      if (await this.move(aggregate.rollout, wave, update.dispatch, update.message, [wave.dispatch])) changed = true;
    }
    const previousPhase = aggregate.rollout.phase;
    if (isTerminalPhase(plan.phase)) {
      for (const wave of [...aggregate.waves, ...aggregate.reverts.values()]) this.lastPollMs.delete(wave.id);
    }
    if (await this.repository.savePlan(rolloutId, plan.phase, plan.message, plan.currentWave)) {
      changed = true;
      if (plan.phase !== previousPhase) {
        this.logger.info(
          { rolloutId, from: previousPhase, to: plan.phase, wave: plan.currentWave + 1, reason: plan.message },
          "rollout phase changed",
        );
      }
    }
    for (const command of plan.commands) {
      if (this.stopping) break;
      await this.execute(aggregate, command);
      changed = true;
    }
    if (changed) this.feed.publish(rolloutId);
  }

  private async execute(aggregate: RolloutAggregate, command: WaveCommand): Promise<void> {
    const wave = aggregate.waves[command.index];
    if (!wave) return;
    switch (command.kind) {
      case "start":
        await this.startWave(aggregate.rollout, wave);
        return;
      case "abort":
        await this.abortWave(aggregate.rollout, wave);
        return;
      case "revert":
        await this.revertWave(aggregate.rollout, wave);
        return;
      default: {
        const unreachable: never = command.kind;
        throw new Error(`unknown wave command ${String(unreachable)}`);
      }
    }
  }

  /** Aborts a wave on its satellite: traffic back to its stable version there. */
  private async abortWave(rollout: RolloutRow, wave: WaveRow): Promise<void> {
    await this.repository.noteAttempt(wave.id, wave.dispatchMessage);
    try {
      const answer = await this.gateway.abort(wave.satelliteId, wave.id, reasonOf(rollout, wave), actorOf(rollout));
      await this.repository.applyAnswer(wave.id, answer);
      if (wave.dispatch === "starting") await this.move(rollout, wave, "aborting", wave.dispatchMessage, ["starting"]);
    } catch (error) {
      const failure = SentraError.from(error);
      this.metrics.dispatchErrors.inc({ command: "abort", code: failure.code });
      if (wave.dispatch === "starting" && (failure.code === "NOT_FOUND" || failure.code === "UNIMPLEMENTED")) {
        await this.move(rollout, wave, "halted", "halted: it never started on its satellite", ["starting"]);
      } else if (failure.code === "NOT_FOUND") {
        await this.move(
          rollout,
          wave,
          "lost",
          `${wave.satelliteId} no longer holds rollout ${wave.id}: check its traffic by hand`,
          ["started", "aborting"],
        );
      } else {
        await this.repository.noteAttempt(wave.id, `abort not confirmed: ${failure.code}: ${failure.message}`);
      }
    }
  }

  /**
   * Moves a promoted wave back to its previous version. First AbortRollout: a satellite that can
   * abort a promoted rollout flips traffic back itself. The engine in satellite/src/rollout
   * ignores an abort once promoted, so then a reverse rollout (versions swapped, straight to
   * 100 %) is started in the same cluster. Both calls are idempotent, so retries are safe.
   */
  private async revertWave(rollout: RolloutRow, wave: WaveRow): Promise<void> {
    await this.repository.noteAttempt(wave.id, wave.dispatchMessage);
    try {
      const answer = await this.gateway.abort(wave.satelliteId, wave.id, reasonOf(rollout, wave), actorOf(rollout));
      await this.repository.applyAnswer(wave.id, answer);
      const phase = phaseName(answer.phase);
      if (phase === "ABORTED" || phase === "ROLLED_BACK") return;
    } catch (error) {
      const failure = SentraError.from(error);
      if (failure.code !== "NOT_FOUND" && failure.code !== "FAILED_PRECONDITION") {
        this.metrics.dispatchErrors.inc({ command: "revert", code: failure.code });
        await this.repository.noteAttempt(wave.id, `revert not started: ${failure.code}: ${failure.message}`);
        return;
      }
    }
    const revertId = revertIdOf(wave);
    await this.repository.addRevert(wave, revertId);
    await this.repository.noteAttempt(revertId, "");
    try {
      const { rollout: answer } = await this.gateway.start(wave.satelliteId, {
        ...satelliteStartOf(rollout, wave),
        rolloutId: revertId,
        stableVersion: rollout.canaryVersion,
        canaryVersion: rollout.stableVersion,
        policyYaml: REVERT_POLICY_YAML,
      });
      await this.repository.applyAnswer(revertId, answer);
      await this.repository.setDispatch(revertId, "started", "", { from: ["starting"] });
      this.logger.info(
        { rolloutId: rollout.id, wave: wave.index + 1, satelliteId: wave.satelliteId, revertId },
        "reverse rollout started to revert a promoted wave",
      );
    } catch (error) {
      const failure = SentraError.from(error);
      this.metrics.dispatchErrors.inc({ command: "revert", code: failure.code });
      if (PERMANENT_CODES.has(failure.code)) {
        const message = `${wave.satelliteId} refused the reverse rollout: ${failure.message}`;
        await this.repository.setDispatch(revertId, "start_failed", message, { from: ["starting"] });
        await this.repository.noteAttempt(wave.id, message);
      } else {
        await this.repository.noteAttempt(revertId, `${failure.code}: ${failure.message}`);
      }
    }
  }

  /**
   * Reads the running waves (and reverse rollouts) from their satellites now and then, so the
   * record moves even while a satellite's events are held up (e.g. it is cut off from NATS).
   */
  private async poll(aggregate: RolloutAggregate): Promise<boolean> {
    const nowMs = Date.now();
    const candidates = [...aggregate.waves, ...aggregate.reverts.values()].filter(
      (wave) =>
        (wave.dispatch === "started" || wave.dispatch === "aborting") &&
        !isTerminalPhase(wave.phase) &&
        nowMs - (this.lastPollMs.get(wave.id) ?? 0) >= this.config.rollout.pollIntervalMs,
    );
    let changed = false;
    await Promise.all(
      candidates.map(async (wave) => {
        this.lastPollMs.set(wave.id, nowMs);
        try {
          if (await this.repository.applyAnswer(wave.id, await this.gateway.get(wave.satelliteId, wave.id))) {
            changed = true;
          }
        } catch (error) {
          this.logger.debug({ rolloutId: wave.id, err: String(error) }, "could not read a running wave");
        }
      }),
    );
    return changed;
  }

  /** Records a wave's move to a dispatch state, with a log line and a metric. */
  private async move(
    rollout: RolloutRow,
    wave: WaveRow,
    dispatch: WaveDispatch,
    message: string,
    from: readonly WaveDispatch[],
    attempted = false,
  ): Promise<boolean> {
    const moved = await this.repository.setDispatch(wave.id, dispatch, message, { from, attempted });
    if (moved) {
      this.metrics.waveTransitions.inc({ to: dispatch });
      const fields = {
        rolloutId: rollout.id,
        waveRolloutId: wave.id,
        wave: wave.index + 1,
        satelliteId: wave.satelliteId,
        from: wave.dispatch,
        to: dispatch,
        reason: message || undefined,
      };
      if (dispatch === "start_failed" || dispatch === "lost" || dispatch === "revert_failed") {
        this.logger.error(fields, "wave transition");
      } else {
        this.logger.info(fields, "wave transition");
      }
      // Later steps of the same command read the row they hold.
      wave.dispatch = dispatch;
      wave.dispatchMessage = message;
    }
    return moved;
  }
}

/** The plan's view of a recorded rollout. */
export function rolloutViewOf(aggregate: RolloutAggregate): RolloutView {
  const { rollout } = aggregate;
  return {
    origin: rollout.origin,
    phase: rollout.phase,
    rollbackCompletedWaves: rollout.rollbackCompletedWaves,
    abort: rollout.abort ? { rollbackCompletedWaves: rollout.abort.rollbackCompletedWaves } : null,
    waves: aggregate.waves.map((wave) => {
      const revert = aggregate.reverts.get(wave.index);
      return {
        index: wave.index,
        satelliteId: wave.satelliteId,
        dispatch: wave.dispatch,
        dispatchSinceMs: wave.dispatchSince.getTime(),
        attemptedAtMs: wave.attemptedAt?.getTime() ?? null,
        phase: wave.phase,
        reported: wave.version !== null,
        canaryWeight: wave.canaryWeight,
        message: wave.dispatchMessage || wave.rollout?.message || "",
        revert: revert
          ? {
              dispatch: revert.dispatch as "starting" | "started" | "start_failed",
              attemptedAtMs: revert.attemptedAt?.getTime() ?? null,
              phase: revert.phase,
              canaryWeight: revert.canaryWeight,
            }
          : null,
      };
    }),
  };
}

/** The id of a promoted wave's reverse rollout. */
export function revertIdOf(wave: Pick<WaveRow, "id">): string {
  return `${wave.id}-revert`;
}

/** The SatelliteService StartRollout arguments of a wave. */
export function satelliteStartOf(rollout: RolloutRow, wave: WaveRow): SatelliteRolloutStart {
  const router = (TrafficRouterKind as unknown as Record<string, number | undefined>)[rollout.trafficRouter];
  return {
    rolloutId: wave.id,
    cluster: wave.cluster,
    namespace: rollout.namespace,
    service: rollout.service,
    stableVersion: rollout.stableVersion,
    canaryVersion: rollout.canaryVersion,
    policyYaml: rollout.policyYaml,
    trafficRouter: (router ?? TrafficRouterKind.UNSPECIFIED) as TrafficRouterKind,
    routeName: rollout.routeName,
    parentId: rollout.id,
  };
}

function reasonOf(rollout: RolloutRow, wave: WaveRow): string {
  if (rollout.abort?.reason) return rollout.abort.reason;
  return wave.dispatchMessage || `multi-cluster rollout ${rollout.id} stopped`;
}

function actorOf(rollout: RolloutRow): string {
  return rollout.abort?.actor || COORDINATOR_ACTOR;
}
