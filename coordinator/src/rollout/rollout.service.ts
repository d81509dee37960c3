import { randomBytes } from "node:crypto";
import { Inject, Injectable, type OnApplicationShutdown } from "@nestjs/common";
import { type Logger, SentraError } from "@sentra/common";
import {
  type Incident,
  Liveness,
  type MultiClusterRollout,
  type RolloutDecision,
  type Satellite,
  type StartRolloutRequest,
} from "@sentra/proto";
import { LOGGER } from "../config/coordinator-config.js";
import { EstateStore } from "../estate/estate-store.js";
import { RolloutChangeFeed } from "./rollout-change-feed.js";
import { decisionOf, incidentOf, multiClusterRolloutOf } from "./rollout-messages.js";
import { isTerminalPhase } from "./rollout-phases.js";
import { type RolloutAggregate, RolloutRepository, type RolloutRow, type WaveRow } from "./rollout-repository.js";
import type { RolloutSatelliteGateway } from "./rollout-satellite-gateway.js";
import {
  type ResolvedWave,
  startRequestHash,
  validateStartRollout,
  type WaveTargetInput,
} from "./start-rollout-request.js";
import { ROLLOUT_SATELLITE_GATEWAY, WaveOrchestrator } from "./wave-orchestrator.service.js";

/** @default 50 — rollouts per ListRollouts page when the caller names no size. */
export const DEFAULT_PAGE_SIZE = 50;
/** @default 500 — largest ListRollouts page, and the most rollouts a watch snapshot sends. */
export const MAX_PAGE_SIZE = 500;
/** @default 500 — decisions GetRolloutHistory returns when the caller names no limit. */
export const DEFAULT_HISTORY_LIMIT = 500;
/** @default 5000 */
export const MAX_HISTORY_LIMIT = 5_000;

/** One message of a rollout watch. */
export interface RolloutWatchItem {
  rollout?: MultiClusterRollout;
  snapshot: boolean;
  snapshotComplete: boolean;
}

/**
 * The rollout use cases behind both edges (gRPC CoordinatorService and REST): start, read, list,
 * watch, promote, abort. Reads come from the MySQL record; commands go to the wave's satellite.
 */
@Injectable()
export class RolloutService implements OnApplicationShutdown {
  private readonly shutdown = new AbortController();

  constructor(
    private readonly repository: RolloutRepository,
    private readonly orchestrator: WaveOrchestrator,
    private readonly feed: RolloutChangeFeed,
    private readonly estate: EstateStore,
    @Inject(ROLLOUT_SATELLITE_GATEWAY) private readonly gateway: RolloutSatelliteGateway,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationShutdown(): void {
    // Ends every open watch, so the gRPC server can stop.
    this.shutdown.abort(new Error("coordinator stopping"));
  }

  /**
   * Validates, records the rollout with its waves, then starts the first wave on its satellite
   * before answering: a refusal (bad policy, missing Deployment) is this call's error and leaves
   * no record. A satellite that cannot be reached leaves the wave STARTING; it is retried.
   */
  async start(
    request: StartRolloutRequest,
    caller: string,
  ): Promise<{ rollout: MultiClusterRollout; replayed: boolean }> {
    const valid = validateStartRollout(request);
    const requestHash = startRequestHash(valid);
    if (valid.idempotencyKey) {
      const replay = await this.replay(valid.idempotencyKey, requestHash);
      if (replay) return replay;
    }
    const targets = this.resolveTargets(valid.waves, await this.estate.satellites(Date.now()));
    const now = new Date();
    const id = `ro-${randomBytes(6).toString("hex")}`;
    const rollout: RolloutRow = {
      id,
      origin: "coordinator",
      idempotencyKey: valid.idempotencyKey,
      requestHash,
      service: valid.service,
      namespace: valid.namespace,
      stableVersion: valid.stableVersion,
      canaryVersion: valid.canaryVersion,
      strategy: "UNSPECIFIED",
      phase: "PENDING",
      message: "",
      policyYaml: valid.policyYaml,
      trafficRouter: valid.trafficRouter,
      routeName: valid.routeName,
      rollbackCompletedWaves: valid.rollbackCompletedWaves,
      currentWave: 0,
      abort: null,
      createdBy: valid.actor || caller,
      createdAt: now,
      updatedAt: now,
    };
    const waves = targets.map((target, index) => waveRowOf(id, index, target, now));
    let created: Awaited<ReturnType<RolloutRepository["createRollout"]>>;
    try {
      created = await this.repository.createRollout(rollout, waves);
    } catch (error) {
      // Two calls with one new key at once: the loser replays the winner.
      if (valid.idempotencyKey && (error as { code?: string }).code === "ER_DUP_ENTRY") {
        const replay = await this.replay(valid.idempotencyKey, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    if (!created.created) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${valid.namespace}/${valid.service} already has an active rollout ${created.active.id} (${created.active.phase}): abort it or wait for it to end`,
        { details: { rolloutId: created.active.id, phase: created.active.phase } },
      );
    }
    this.logger.info(
      {
        rolloutId: id,
        service: `${valid.namespace}/${valid.service}`,
        from: valid.stableVersion,
        to: valid.canaryVersion,
        waves: targets.map((target) => target.satelliteId),
        actor: rollout.createdBy,
      },
      "rollout created",
    );
    const first = waves[0] as WaveRow;
    const outcome = await this.orchestrator.startWave(rollout, first);
    if (outcome.outcome === "refused") {
      await this.repository.deleteRollout(id);
      this.logger.warn(
        { rolloutId: id, satelliteId: first.satelliteId, err: outcome.error.message },
        "first wave refused",
      );
      throw new SentraError(
        outcome.error.code,
        `${first.satelliteId} refused the first wave: ${outcome.error.message}`,
        {
          field: outcome.error.field,
          details: { ...outcome.error.details, satelliteId: first.satelliteId },
          cause: outcome.error,
        },
      );
    }
    this.feed.publish(id);
    return { rollout: await this.view(id), replayed: false };
  }

  async get(id: string): Promise<MultiClusterRollout> {
    return multiClusterRolloutOf(await this.load(id));
  }

  async list(request: {
    service?: string;
    namespace?: string;
    activeOnly?: boolean;
    pageSize?: number;
    pageToken?: string;
  }): Promise<{ rollouts: MultiClusterRollout[]; nextPageToken: string }> {
    const pageSize = request.pageSize || DEFAULT_PAGE_SIZE;
    if (pageSize > MAX_PAGE_SIZE) throw SentraError.invalidArgument("page_size", `at most ${MAX_PAGE_SIZE}`);
    const before = request.pageToken ? decodePageToken(request.pageToken) : undefined;
    const aggregates = await this.repository.list({
      service: request.service,
      namespace: request.namespace,
      activeOnly: request.activeOnly,
      limit: pageSize + 1,
      before,
    });
    const page = aggregates.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      rollouts: page.map(multiClusterRolloutOf),
      nextPageToken: aggregates.length > pageSize && last ? encodePageToken(last.rollout) : "",
    };
  }

  /**
   * The rollouts now, a marker, then each rollout again whenever its record changes (changes
   * that arrive close together are sent once, as the latest state). Ends when `signal` aborts.
   */
  async *watch(
    request: { rolloutId?: string; activeOnly?: boolean },
    signal: AbortSignal,
  ): AsyncGenerator<RolloutWatchItem> {
    const only = request.rolloutId ? (await this.load(request.rolloutId)).rollout.id : undefined;
    const pending = new Set<string>();
    let wake: (() => void) | undefined;
    // Subscribe before the snapshot, so a change between the two is not missed.
    const unsubscribe = this.feed.subscribe((rolloutId) => {
      if (only && rolloutId !== only) return;
      pending.add(rolloutId);
      wake?.();
    });
    const stopped = AbortSignal.any([signal, this.shutdown.signal]);
    const onStop = (): void => wake?.();
    stopped.addEventListener("abort", onStop);
    try {
      const snapshot = only
        ? [await this.load(only)]
        : await this.repository.list({ activeOnly: request.activeOnly, limit: MAX_PAGE_SIZE });
      for (const aggregate of snapshot)
        yield { rollout: multiClusterRolloutOf(aggregate), snapshot: true, snapshotComplete: false };
      yield { snapshot: false, snapshotComplete: true };
      while (!stopped.aborted) {
        if (pending.size === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const ids = [...pending];
        pending.clear();
        for (const id of ids) {
          const aggregate = await this.repository.load(id);
          if (aggregate && !stopped.aborted) {
            yield { rollout: multiClusterRolloutOf(aggregate), snapshot: false, snapshotComplete: false };
          }
        }
      }
    } finally {
      unsubscribe();
      stopped.removeEventListener("abort", onStop);
    }
  }

  /** Promotes the wave in flight on its satellite. */
  async promote(id: string, full: boolean, actor: string): Promise<MultiClusterRollout> {
    const aggregate = await this.load(id);
    const wave = this.inFlight(aggregate, "promote");
    const answer = await this.gateway.promote(wave.satelliteId, wave.id, full, actor);
    await this.repository.applyAnswer(wave.id, answer);
    this.logger.info(
      { rolloutId: aggregate.rollout.id, wave: wave.index + 1, full, actor },
      "rollout promoted by hand",
    );
    this.feed.publish(aggregate.rollout.id);
    return this.view(aggregate.rollout.id);
  }

  /**
   * Aborts: the wave in flight is aborted on its satellite now (traffic back to stable there), and
   * the orchestrator halts the waves after it and — if asked — reverts the promoted ones. The
   * abort is recorded first, so it is carried out even if that satellite cannot be reached now.
   */
  async abort(
    id: string,
    options: { reason: string; actor: string; rollbackCompletedWaves?: boolean },
  ): Promise<MultiClusterRollout> {
    const aggregate = await this.load(id);
    const { rollout } = aggregate;
    if (isTerminalPhase(rollout.phase)) {
      throw new SentraError("FAILED_PRECONDITION", `rollout ${rollout.id} is ${rollout.phase}: nothing to abort`, {
        details: { phase: rollout.phase },
      });
    }
    const reason = options.reason || `aborted by ${options.actor}`;
    if (rollout.origin === "coordinator") {
      await this.repository.requestAbort(
        rollout.id,
        reason,
        options.actor,
        options.rollbackCompletedWaves ?? rollout.rollbackCompletedWaves,
      );
    }
    const wave = aggregate.waves.find(
      (candidate) =>
        (candidate.dispatch === "started" || candidate.dispatch === "aborting") && !isTerminalPhase(candidate.phase),
    );
    if (wave) {
      if (rollout.origin === "coordinator") {
        await this.repository.setDispatch(wave.id, "aborting", `aborting: ${reason}`, {
          from: ["started"],
          attempted: true,
        });
      }
      try {
        await this.repository.applyAnswer(
          wave.id,
          await this.gateway.abort(wave.satelliteId, wave.id, reason, options.actor),
        );
      } catch (error) {
        // Recorded above: the orchestrator keeps trying. A recorded-only rollout has no one to retry.
        if (rollout.origin !== "coordinator") throw error;
        this.logger.warn(
          { rolloutId: rollout.id, satelliteId: wave.satelliteId, err: String(error) },
          "abort not delivered yet",
        );
      }
    }
    this.logger.info({ rolloutId: rollout.id, reason, actor: options.actor }, "rollout abort requested");
    this.feed.publish(rollout.id);
    return this.view(rollout.id);
  }

  /** Every recorded decision and incident of a rollout's waves (and reverse rollouts). */
  async history(id: string, limit: number): Promise<{ decisions: RolloutDecision[]; incidents: Incident[] }> {
    if (limit > MAX_HISTORY_LIMIT) throw SentraError.invalidArgument("limit", `at most ${MAX_HISTORY_LIMIT}`);
    const aggregate = await this.load(id);
    const ids = [...aggregate.waves, ...aggregate.reverts.values()].map((wave) => wave.id);
    const { steps, incidents } = await this.repository.history(ids, limit || DEFAULT_HISTORY_LIMIT);
    return { decisions: steps.map(decisionOf), incidents: incidents.map(incidentOf) };
  }

  private async replay(
    idempotencyKey: string,
    requestHash: string,
  ): Promise<{ rollout: MultiClusterRollout; replayed: true } | undefined> {
    const existing = await this.repository.findByIdempotencyKey(idempotencyKey);
    if (!existing) return undefined;
    if (existing.requestHash !== requestHash) {
      throw new SentraError(
        "ALREADY_EXISTS",
        `idempotency_key ${JSON.stringify(idempotencyKey)} was used for rollout ${existing.id} with other arguments`,
        { field: "idempotency_key", details: { rolloutId: existing.id } },
      );
    }
    return { rollout: await this.view(existing.id), replayed: true };
  }

  /** Each target as one live satellite (and cluster); errors name the wave. */
  private resolveTargets(targets: readonly WaveTargetInput[], satellites: readonly Satellite[]): ResolvedWave[] {
    const resolved = targets.map((target, index): ResolvedWave => {
      const field = `waves[${index}]`;
      let satellite: Satellite | undefined;
      if (target.satelliteId) {
        satellite = satellites.find((candidate) => candidate.id === target.satelliteId);
        if (!satellite) {
          throw new SentraError("NOT_FOUND", `${field}.satellite_id: no satellite ${target.satelliteId} is known`, {
            field: `${field}.satellite_id`,
          });
        }
        if (
          (target.region && satellite.region?.name !== target.region) ||
          (target.cloud && satellite.region?.cloud !== target.cloud)
        ) {
          throw SentraError.invalidArgument(
            `${field}.region`,
            `satellite ${satellite.id} is in ${satellite.region?.cloud}/${satellite.region?.name}, not ${target.cloud || "*"}/${target.region || "*"}`,
          );
        }
      } else {
        const inRegion = satellites.filter(
          (candidate) =>
            candidate.region?.name === target.region &&
            (!target.cloud || candidate.region?.cloud === target.cloud) &&
            candidate.liveness === Liveness.LIVE,
        );
        if (inRegion.length === 0) {
          throw new SentraError("NOT_FOUND", `${field}.region: no live satellite in region ${target.region}`, {
            field: `${field}.region`,
          });
        }
        if (inRegion.length > 1) {
          throw new SentraError(
            "FAILED_PRECONDITION",
            `${field}.region: region ${target.region} has ${inRegion.length} live satellites (${inRegion.map((s) => s.id).join(", ")}): name one in satellite_id`,
            { field: `${field}.region` },
          );
        }
        satellite = inRegion[0] as Satellite;
      }
      if (satellite.liveness !== Liveness.LIVE) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `${field}.satellite_id: satellite ${satellite.id} is stale (it missed its heartbeats); every wave's satellite must be live to start`,
          { field: `${field}.satellite_id` },
        );
      }
      return { satelliteId: satellite.id, cluster: target.cluster, region: satellite.region?.name ?? "" };
    });
    resolved.forEach((wave, index) => {
      const earlier = resolved.findIndex(
        (other) => other.satelliteId === wave.satelliteId && other.cluster === wave.cluster,
      );
      if (earlier !== index) {
        throw SentraError.invalidArgument(
          `waves[${index}]`,
          `targets the same satellite and cluster as waves[${earlier}]`,
        );
      }
    });
    return resolved;
  }

  private inFlight(aggregate: RolloutAggregate, action: string): WaveRow {
    const { rollout } = aggregate;
    if (isTerminalPhase(rollout.phase)) {
      throw new SentraError("FAILED_PRECONDITION", `rollout ${rollout.id} is ${rollout.phase}: nothing to ${action}`, {
        details: { phase: rollout.phase },
      });
    }
    const wave = aggregate.waves.find(
      (candidate) => candidate.dispatch === "started" && !isTerminalPhase(candidate.phase),
    );
    if (!wave) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `rollout ${rollout.id} has no wave running on a satellite (${rollout.message || rollout.phase}): nothing to ${action}`,
        { details: { phase: rollout.phase } },
      );
    }
    return wave;
  }

  private async load(id: string): Promise<RolloutAggregate> {
    if (!id) throw SentraError.invalidArgument("rollout_id", "is required");
    const aggregate = await this.repository.load(id);
    if (!aggregate) throw new SentraError("NOT_FOUND", `no rollout ${id}`, { field: "rollout_id" });
    return aggregate;
  }

  private async view(id: string): Promise<MultiClusterRollout> {
    return multiClusterRolloutOf(await this.load(id));
  }
}

function waveRowOf(rolloutId: string, index: number, target: ResolvedWave, now: Date): WaveRow {
  return {
    id: `${rolloutId}-w${index + 1}`,
    rolloutId,
    index,
    role: "wave",
    satelliteId: target.satelliteId,
    cluster: target.cluster,
    region: target.region,
    dispatch: "waiting",
    dispatchMessage: "",
    dispatchSince: now,
    attemptedAt: null,
    phase: "PENDING",
    stepIndex: 0,
    canaryWeight: 0,
    rollout: null,
    stateJson: null,
    version: null,
    createdAt: now,
    updatedAt: now,
  };
}

function encodePageToken(rollout: RolloutRow): string {
  return Buffer.from(JSON.stringify([rollout.createdAt.getTime(), rollout.id])).toString("base64url");
}

function decodePageToken(token: string): { createdAt: Date; id: string } {
  try {
    const [ms, id] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof ms === "number" && typeof id === "string") return { createdAt: new Date(ms), id };
  } catch {
    // fall through
  }
  throw SentraError.invalidArgument("page_token", "is not a token from a previous ListRollouts answer");
}
