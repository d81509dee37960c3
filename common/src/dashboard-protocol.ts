/**
 * The dashboard's live protocol: what the coordinator's Socket.IO gateway sends to the browser.
 *
 * Shared by the gateway (`coordinator/src/dashboard/`) and the page (`dashboard/src/`), so this file
 * holds types and constants only and imports nothing: the browser bundle reads it through the
 * `@sentra/common/dashboard-protocol` alias (dashboard/tsconfig.json `paths`, dashboard/vite.config.ts
 * `resolve.alias`), node code through `@sentra/common`. See docs/dashboard.md.
 *
 * The shape, in one paragraph: the state is a set of *topics*, each a keyed collection of views
 * (`DashboardTopics`). On connect the gateway sends one `snapshot` (every topic in full, with `seq`),
 * then `delta`s at most every `deltaIntervalMs`, each with `seq` one higher than the last and the
 * changes per topic coalesced per key. Upserts are idempotent, so a delta that repeats what a
 * snapshot already holds is harmless. A client that sees a gap in `seq` or a new `epoch` (another
 * coordinator process) emits `resync` and gets a fresh snapshot. A new topic is one more entry in
 * `DashboardTopics` and one more store on the page.
 *
 * Acting: the page emits `planMigration` (the dry run: any role), `migrate`, `promoteRollout`,
 * `abortRollout` (operators and admins) with an acknowledgement callback; the answer is a
 * {@link DashboardActionResult}. The gateway checks the session's role on every one of them.
 */

/** Bumped on any change a deployed page could misread. */
export const DASHBOARD_PROTOCOL_VERSION = 1;

/** The Socket.IO namespace of the estate feed (the default path `/socket.io`, same origin as the page). */
export const DASHBOARD_SOCKET_NAMESPACE = "/estate";

/** `connect_error` messages of a refused handshake (the sign-in form shows them). */
export const DASHBOARD_AUTH_ERROR = {
  missing: "an API token is required",
  invalid: "the token was not accepted (unknown or revoked)",
} as const;

/**
 * Who a session is: a `viewer` sees; an `operator` also acts (migrate, promote, abort); an `admin`
 * may do what an operator does (and manages credentials elsewhere).
 */
export type DashboardRole = "viewer" | "operator" | "admin";

/** The roles whose sessions may act; the gateway refuses every other role's action. */
export const DASHBOARD_ACTING_ROLES: readonly DashboardRole[] = ["operator", "admin"];

/** Liveness as the coordinator judges it: stale after three missed heartbeats. */
export type LivenessView = "live" | "stale";

/** The satellite's own summary of its clusters: all reachable, some, none. */
export type SatelliteStatusView = "ok" | "degraded" | "down" | "unknown";

/** Where a price came from (the `PriceSource` enum of the wire contract). */
export type PriceSourceView = "model" | "replay" | "live" | "unknown";

/** A cloud region. `key` is `<cloud>:<name>`, e.g. `aws:eu-west-1`. */
export interface RegionView {
  key: string;
  cloud: string;
  name: string;
  displayName: string;
  city: string;
  /** WGS 84 degrees. */
  latitude: number;
  longitude: number;
}

/** One Kubernetes cluster (kube context) of a satellite, from its last heartbeat. */
export interface ClusterView {
  name: string;
  reachable: boolean;
  workloads: number;
  desiredReplicas: number;
  readyReplicas: number;
  /** Why it is unreachable; empty when reachable. */
  error: string;
}

/** Topic `satellites`, keyed by satellite id. Upserted on every heartbeat and liveness change. */
export interface SatelliteView {
  id: string;
  region: RegionView;
  liveness: LivenessView;
  status: SatelliteStatusView;
  /** When the coordinator received the last heartbeat (coordinator clock, ms since the epoch). */
  lastSeenAtMs: number;
  /** The heartbeat period the satellite promises. */
  heartbeatIntervalMs: number;
  /** Increases by one per heartbeat; restarts at 1 when the satellite restarts. */
  heartbeatSequence: number;
  version: string;
  clusters: ClusterView[];
}

/** `[atMs, usdPerHour]`: one observation, `atMs` on the coordinator clock. */
export type PricePoint = readonly [atMs: number, usdPerHour: number];

/**
 * Topic `prices`, keyed `<cloud>:<region>:<instanceType>`: the cheapest zone's spot price of one
 * instance type in one region, and its recent history.
 */
export interface PriceSeriesView {
  key: string;
  regionKey: string;
  instanceType: string;
  /** The zone quoting the latest (cheapest) price; empty for regional prices. */
  zone: string;
  vcpus: number;
  memoryGib: number;
  usdPerHour: number;
  observedAtMs: number;
  /** When the coordinator received it: older than `priceTtlMs`, the price is stale and unused. */
  receivedAtMs: number;
  source: PriceSourceView;
  /**
   * In a snapshot: the history, oldest first, at most `priceHistoryLength` points. In a delta: only
   * the points observed since the previous delta; append those newer than your last point and keep
   * the last `priceHistoryLength`.
   */
  points: PricePoint[];
}

/** Topic `workloads`, keyed `<satelliteId>/<cluster>/<namespace>/<name>`: a Deployment. */
export interface WorkloadView {
  key: string;
  satelliteId: string;
  regionKey: string;
  cluster: string;
  namespace: string;
  name: string;
  desiredReplicas: number;
  readyReplicas: number;
  /** Per replica, summed over containers. */
  cpuMillicores: number;
  memoryBytes: number;
  image: string;
  observedAtMs: number;
}

/** A copy of a Deployment: which satellite, cluster, namespace and name. */
export interface WorkloadRefView {
  satelliteId: string;
  cluster: string;
  namespace: string;
  name: string;
}

/** One side (source or target) of a priced move. */
export interface PlanSideView {
  /** `<cloud>:<region>`, as in `RegionView.key`. */
  regionKey: string;
  satelliteId: string;
  cluster: string;
  /** The instance type the cost is computed on (the cheapest that fits a replica). */
  instanceType: string;
  /** Spot price of one instance, USD per hour. */
  instanceUsdPerHour: number;
  /** Fraction of one instance a replica occupies. */
  instanceShare: number;
  /** What the workload costs there: replicas × share × instance price, USD per hour. */
  usdPerHour: number;
  /** When the price was observed (satellite clock, ms since the epoch); 0 when unpriced. */
  priceObservedAtMs: number;
  /** Where the price came from: only `live` is a cloud's price; automatic mode refuses the others by default. */
  priceSource: PriceSourceView;
}

/**
 * A dry run's arithmetic (`PlanMigration`), the same for an opportunity and for a refused plan:
 *
 *   margin = savingUsdPerHour × horizonHours − egressUsd − overlapUsd
 *
 * with egressUsd = stateGb × egressUsdPerGb and overlapUsd = (source + target cost per hour) ×
 * readinessEstimateSeconds / 3600 (both copies run while the target gets ready). `priced` is false
 * when a needed price was stale or missing: then only who, where and why are known.
 */
export interface MigrationPlanView {
  workload: WorkloadRefView;
  /** `<namespace>/<name>`: the id arbitrage uses for all copies of a workload. */
  workloadId: string;
  replicas: number;
  source: PlanSideView;
  target: PlanSideView;
  priced: boolean;
  /** source.usdPerHour − target.usdPerHour. */
  savingUsdPerHour: number;
  horizonHours: number;
  /** savingUsdPerHour × horizonHours. */
  savingsUsd: number;
  stateGb: number;
  /** "workload" (its `sentra.io/state-gb` annotation) or "default" (configuration). */
  stateGbFrom: string;
  egressUsdPerGb: number;
  egressUsd: number;
  /** Which egress rule priced the pair: "same-region", "override" or "default". */
  egressPriceMatch: string;
  readinessEstimateSeconds: number;
  overlapUsd: number;
  marginUsd: number;
  /** Configured minimum margin; a plan needs margin > 0 and ≥ this. */
  minMarginUsd: number;
  /** Hours of saving that pay back egress and overlap; null when the move saves nothing. */
  breakEvenHours: number | null;
  accepted: boolean;
  /** Machine-readable refusal (e.g. `MARGIN_NOT_POSITIVE`); empty when accepted. */
  refusalCode: string;
  refusalReason: string;
  /** Coordinator clock. */
  evaluatedAtMs: number;
}

/**
 * Topic `opportunities`, keyed by workload id (`<namespace>/<name>`): the best accepted move of
 * each workload from the latest ranking (recomputed every `SENTRA_ARBITRAGE_INTERVAL_MS`). An entry
 * is sent when its numbers change, so `evaluatedAtMs` is when these numbers were first computed,
 * not the last recomputation.
 */
export interface OpportunityView extends MigrationPlanView {
  key: string;
}

/** The saga's states (`MigrationState` of the wire contract), in the order a happy path takes. */
export type MigrationStateView =
  | "PLANNED"
  | "LOCKED"
  | "SCALING_UP_TARGET"
  | "TARGET_READY"
  | "SCALING_DOWN_SOURCE"
  | "DONE"
  | "COMPENSATING"
  | "COMPENSATED"
  | "FAILED"
  | "UNSPECIFIED";

/** The states a migration ends in. */
export const MIGRATION_END_STATES: readonly MigrationStateView[] = ["DONE", "COMPENSATED", "FAILED"];

/** One journalled step of a saga. */
export interface MigrationStepView {
  sequence: number;
  state: MigrationStateView;
  /** Coordinator clock. */
  atMs: number;
  detail: string;
}

/**
 * Topic `migrations`, keyed by migration id: every unfinished migration and the most recent
 * finished ones, each with all its steps (a saga has a handful).
 */
export interface MigrationView {
  key: string;
  id: string;
  /** The source copy. */
  workload: WorkloadRefView;
  workloadId: string;
  sourceRegionKey: string;
  targetRegionKey: string;
  targetSatelliteId: string;
  targetCluster: string;
  state: MigrationStateView;
  steps: MigrationStepView[];
  /** The dry run it started from; null for a journal entry without one. */
  plan: MigrationPlanView | null;
  error: string;
  requestedBy: string;
  /** Replicas that move; 0 until the saga read them. */
  sourceReplicas: number;
  targetReplicasBefore: number;
  /** The target must be ready at this count before the source is scaled down. */
  targetReplicasGoal: number;
  /** Coordinator clock; 0 when not (yet) set. */
  readyDeadlineMs: number;
  createdAtMs: number;
  updatedAtMs: number;
  finishedAtMs: number;
}

/** A rollout's (or a wave's) phase (`RolloutPhase` of the wire contract). */
export type RolloutPhaseView =
  | "PENDING"
  | "WARMING_UP"
  | "PROGRESSING"
  | "PAUSED"
  | "PROMOTED"
  | "ROLLING_BACK"
  | "ROLLED_BACK"
  | "ABORTED"
  | "FAILED"
  | "UNSPECIFIED";

/** The phases a rollout ends in. */
export const ROLLOUT_END_PHASES: readonly RolloutPhaseView[] = ["PROMOTED", "ROLLED_BACK", "ABORTED", "FAILED"];

/** Where the coordinator is with one wave (`RolloutWaveStatus`). */
export type RolloutWaveStatusView =
  | "WAITING"
  | "STARTING"
  | "RUNNING"
  | "PROMOTED"
  | "ROLLED_BACK"
  | "FAILED"
  | "HALTED"
  | "REVERTING"
  | "REVERTED"
  | "REVERT_FAILED"
  | "UNSPECIFIED";

export type GateOutcomeView = "pass" | "breach" | "unknown";

/** One gate evaluated once, with the value behind the outcome. */
export interface GateResultView {
  gate: string;
  outcome: GateOutcomeView;
  /** null when unknown (no data, too few samples, provider error). */
  value: number | null;
  threshold: number;
  /** null when the gate has none. */
  severeThreshold: number | null;
  sampleSize: number;
  reason: string;
  /** "threshold" or "sequential". */
  judge: string;
  /** The sequential judge's evidence; null for threshold gates. */
  evidence: GateEvidenceView | null;
}

/** The sequential judge's evidence for one gate, as the dashboard's gate charts plot it. */
export interface GateEvidenceView {
  /** "mSPRT" (statistic an e-value) or "mannWhitney" (statistic a z-score). */
  test: string;
  statistic: number | null;
  /** The statistic rejects at or beyond this. */
  bound: number | null;
  alpha: number;
  canaryTotal: number;
  baselineTotal: number;
  canaryEvents: number | null;
  baselineEvents: number | null;
  estimate: number | null;
  rejected: boolean;
  /** Percentage of a day's error budget the canary burned; null when not counted on this gate. */
  errorBudgetBurnedPercent: number | null;
}

/** One evaluation of a wave's step and what was decided ("pass", "breach", "promote", "rollback"…). */
export interface RolloutDecisionView {
  /** `<satellite-level rollout id>#<sequence>`: unique, stable. */
  key: string;
  /** The satellite-level rollout (a wave's, or the reverse rollout of a reverted wave). */
  waveRolloutId: string;
  /** The wave it belongs to (0-based); -1 when unknown. */
  waveIndex: number;
  /** True for a decision of a reverse rollout (a promoted wave moved back to stable). */
  revert: boolean;
  sequence: number;
  stepIndex: number;
  canaryWeight: number;
  decision: string;
  /** The phase after the decision. */
  phase: RolloutPhaseView;
  reason: string;
  router: string;
  /** Satellite clock, as recorded. */
  atMs: number;
  gates: GateResultView[];
}

/** One wave: a satellite-level rollout in one cluster. */
export interface RolloutWaveView {
  index: number;
  satelliteId: string;
  cluster: string;
  regionKey: string;
  status: RolloutWaveStatusView;
  /** Why the wave is in its status (dispatch errors included). */
  message: string;
  /** The satellite's own view. */
  phase: RolloutPhaseView;
  /** 0-based step in flight. */
  stepIndex: number;
  /** Canary weight now, percent. */
  canaryWeight: number;
  /** Canary weight of each step, percent (running sums: `[5, 20, 40, 70, 100]`). */
  stepWeights: number[];
  /** As of the satellite's last reported transition: they may lag the decisions (whose reasons say them). */
  passes: number;
  consecutiveBreaches: number;
  trafficRouter: string;
  /** The phase of the reverse rollout, when a promoted wave is being or was reverted. */
  revertPhase: RolloutPhaseView | null;
}

/** A rollout incident (a rollback, telemetry loss…). */
export interface RolloutIncidentView {
  id: string;
  /** "info", "warning" or "critical". */
  severity: string;
  summary: string;
  atMs: number;
}

/**
 * Topic `rollouts`, keyed by rollout id: every unfinished rollout and the most recent finished
 * ones, with their waves, recent decisions (the gate values behind each) and incidents.
 */
export interface RolloutView {
  key: string;
  id: string;
  service: string;
  namespace: string;
  stableVersion: string;
  canaryVersion: string;
  /** "CANARY", "BLUE_GREEN" or "UNSPECIFIED" (until a satellite reports it). */
  strategy: string;
  phase: RolloutPhaseView;
  message: string;
  /** "coordinator" (started through the coordinator, which runs its waves) or "satellite". */
  origin: string;
  createdBy: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** Index of the wave in flight, or of the last one that ran. */
  currentWave: number;
  waves: RolloutWaveView[];
  /**
   * In a snapshot: the recent decisions of every wave, oldest first, at most
   * `rolloutDecisionsLength`. In a delta: only the decisions recorded since the previous delta;
   * add those whose `key` is new, order by `atMs` and keep the last `rolloutDecisionsLength`.
   */
  decisions: RolloutDecisionView[];
  /** The latest incidents, oldest first (a few). */
  incidents: RolloutIncidentView[];
}

/** Every topic and the view it holds. */
export interface DashboardTopics {
  satellites: SatelliteView;
  prices: PriceSeriesView;
  workloads: WorkloadView;
  opportunities: OpportunityView;
  migrations: MigrationView;
  rollouts: RolloutView;
}

export type DashboardTopic = keyof DashboardTopics;

/** The topics in a fixed order (snapshots carry each of them, even when empty). */
export const DASHBOARD_TOPICS: readonly DashboardTopic[] = [
  "satellites",
  "prices",
  "workloads",
  "opportunities",
  "migrations",
  "rollouts",
];

/** Changes to one topic: views to insert or replace, and keys to remove. */
export interface TopicChanges<T> {
  upsert?: T[];
  remove?: string[];
}

export type DashboardChanges = { [K in DashboardTopic]?: TopicChanges<DashboardTopics[K]> };

/** What the session may do and how the feed behaves; sent with every snapshot. */
export interface DashboardSession {
  role: DashboardRole;
  protocolVersion: number;
  /** A price older than this (by `receivedAtMs`) is stale: shown as such, never used. */
  priceTtlMs: number;
  /** Deltas come at most this often (they are batched and coalesced per key). */
  deltaIntervalMs: number;
  /** Points kept per price series. */
  priceHistoryLength: number;
  /** Decisions kept per rollout. */
  rolloutDecisionsLength: number;
}

/** Event `snapshot`: the whole state at `seq`. */
export interface DashboardSnapshot {
  /** Identifies the coordinator process; `seq` restarts with it. */
  epoch: string;
  seq: number;
  /** Coordinator clock when sent, so a page can judge ages on the coordinator's clock. */
  sentAtMs: number;
  session: DashboardSession;
  topics: { [K in DashboardTopic]: DashboardTopics[K][] };
}

/** Event `delta`: changes since `seq - 1`. */
export interface DashboardDelta {
  epoch: string;
  seq: number;
  sentAtMs: number;
  changes: DashboardChanges;
}

/**
 * Event `signedOut`: the gateway is about to disconnect this socket for good (its token was
 * revoked). The page returns to the sign-in form with `message`; it must not reconnect.
 */
export interface DashboardSignedOut {
  code: "UNAUTHENTICATED";
  message: string;
}

/**
 * What the gateway sends to an event's acknowledgement callback when its access check refuses the
 * event (before any handler runs): the same shape as a refused {@link DashboardActionResult}.
 */
export interface DashboardEventRefusal {
  ok: false;
  error: {
    code: "PERMISSION_DENIED" | "RESOURCE_EXHAUSTED" | "UNIMPLEMENTED" | "UNAVAILABLE";
    httpStatus: number;
    message: string;
  };
}

/** The `signedOut` message of a revoked token. */
export const DASHBOARD_TOKEN_REVOKED = "the token was revoked: sign in with another one";

/** Events the gateway emits (Socket.IO typed events). */
export interface DashboardServerEvents {
  snapshot: (snapshot: DashboardSnapshot) => void;
  delta: (delta: DashboardDelta) => void;
  signedOut: (notice: DashboardSignedOut) => void;
}

/** `planMigration`: a dry run. `targetRegion` ("region" or "cloud:region") absent: the best target. */
export interface PlanMigrationRequest {
  workload: WorkloadRefView;
  targetRegion?: string;
}

/** `migrate`: the dry run again, then the saga. The same `idempotencyKey` never starts two. */
export interface MigrateRequest extends PlanMigrationRequest {
  idempotencyKey: string;
}

/** `promoteRollout`: the wave in flight to its next step (`full`: to 100 %). */
export interface PromoteRolloutRequest {
  rolloutId: string;
  full?: boolean;
}

/** `abortRollout`: traffic back to the stable version; later waves never start. */
export interface AbortRolloutRequest {
  rolloutId: string;
  reason?: string;
}

/**
 * Why an action was refused, in Sentra's one error vocabulary: `code` as in gRPC
 * (`FAILED_PRECONDITION`), `httpStatus` as the REST API would answer (412). A refused dry run
 * carries its arithmetic in `plan`.
 */
export interface DashboardActionError {
  code: string;
  httpStatus: number;
  message: string;
  /** The request field at fault (bad input). */
  field?: string;
  plan?: MigrationPlanView;
}

/** An acknowledgement: the action's result, or why it was refused. */
export type DashboardActionResult<T> = { ok: true; result: T } | { ok: false; error: DashboardActionError };

/** A dry run's answer. */
export interface PlanMigrationResult {
  plan: MigrationPlanView;
}

/** A migrate's answer: the journalled migration (its saga goes on; follow it in `migrations`). */
export interface MigrateResult {
  migration: MigrationView;
  /** True when the idempotency key had already started this migration. */
  replayed: boolean;
}

/** A promote's or an abort's answer: the rollout as recorded afterwards. */
export interface RolloutActionResult {
  rollout: RolloutView;
}

type Ack<T> = (result: DashboardActionResult<T>) => void;

/**
 * Events a page emits. Each has the role it needs at the gateway (`resync` and `planMigration`:
 * viewer; `migrate`, `promoteRollout`, `abortRollout`: operator, rate-limited and audited); an
 * event the gateway does not list is refused, answered with a {@link DashboardEventRefusal} when
 * the page asked for an acknowledgement.
 */
export interface DashboardClientEvents {
  /** Asks for a fresh snapshot (after a gap in `seq`). */
  resync: () => void;
  planMigration: (request: PlanMigrationRequest, ack: Ack<PlanMigrationResult>) => void;
  migrate: (request: MigrateRequest, ack: Ack<MigrateResult>) => void;
  promoteRollout: (request: PromoteRolloutRequest, ack: Ack<RolloutActionResult>) => void;
  abortRollout: (request: AbortRolloutRequest, ack: Ack<RolloutActionResult>) => void;
}

/** The acting events (each needs a role in {@link DASHBOARD_ACTING_ROLES}). */
export type DashboardAction = Exclude<keyof DashboardClientEvents, "resync">;

/** What a page sends in the Socket.IO handshake (`io(url, { auth })`). */
export interface DashboardHandshakeAuth {
  token: string;
}
