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
 * coordinator process) emits `resync` and gets a fresh snapshot. A new topic (opportunities,
 * migrations, rollouts) is one more entry in `DashboardTopics` and one more store on the page.
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
 * The role of the API token a session signed in with (docs/security.md): `viewer` watches,
 * `operator` also acts (migrate, promote, abort), `admin` also manages tokens and reads the audit.
 */
export type DashboardRole = "viewer" | "operator" | "admin";

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

/**
 * Every topic and the view it holds. Later (migrations and rollouts issue): `opportunities`,
 * `migrations` (a saga step by step), `rollouts` (steps with gate values against thresholds).
 */
export interface DashboardTopics {
  satellites: SatelliteView;
  prices: PriceSeriesView;
  workloads: WorkloadView;
}

export type DashboardTopic = keyof DashboardTopics;

/** The topics in a fixed order (snapshots carry each of them, even when empty). */
export const DASHBOARD_TOPICS: readonly DashboardTopic[] = ["satellites", "prices", "workloads"];

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

/** What the gateway sends to an event's acknowledgement callback when it refuses the event. */
export interface DashboardEventRefusal {
  error: { code: "PERMISSION_DENIED" | "RESOURCE_EXHAUSTED" | "UNIMPLEMENTED" | "UNAVAILABLE"; message: string };
}

/** The `signedOut` message of a revoked token. */
export const DASHBOARD_TOKEN_REVOKED = "the token was revoked: sign in with another one";

/** Events the gateway emits (Socket.IO typed events). */
export interface DashboardServerEvents {
  snapshot: (snapshot: DashboardSnapshot) => void;
  delta: (delta: DashboardDelta) => void;
  signedOut: (notice: DashboardSignedOut) => void;
}

/**
 * Events a page emits. Each has the role it needs at the gateway (`resync`: viewer); an event the
 * gateway does not list is refused (acknowledged with a `DashboardEventRefusal` when the page asked
 * for an acknowledgement). Actions (migrate, promote, abort) go over REST with the same token.
 */
export interface DashboardClientEvents {
  /** Asks for a fresh snapshot (after a gap in `seq`). */
  resync: () => void;
}

/** What a page sends in the Socket.IO handshake (`io(url, { auth })`). */
export interface DashboardHandshakeAuth {
  token: string;
}
