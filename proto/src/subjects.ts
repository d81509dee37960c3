/** NATS subjects of the wire contract (docs/wire-contracts.md). Payloads are protobuf. */
export const SUBJECT_ROOT = "sentra.v1.sat";

export type SatelliteSubjectKind = "health" | "price" | "event";

/** Satellite ids become one subject token: letters, digits, '-' and '_' only. */
export const SATELLITE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `sentra.v1.sat.<satelliteId>.<kind>`, optionally under a test prefix (`<prefix>.sentra.v1…`). */
export function satelliteSubject(satelliteId: string, kind: SatelliteSubjectKind, prefix = ""): string {
  if (!SATELLITE_ID_PATTERN.test(satelliteId)) throw new Error(`invalid satellite id ${JSON.stringify(satelliteId)}`);
  return `${prefix ? `${prefix}.` : ""}${SUBJECT_ROOT}.${satelliteId}.${kind}`;
}

/** Wildcard over every satellite's subjects of one kind. */
export function satelliteWildcard(kind: SatelliteSubjectKind | ">", prefix = ""): string {
  return `${prefix ? `${prefix}.` : ""}${SUBJECT_ROOT}.*.${kind}`;
}

/**
 * Splits a satellite subject into id and kind; undefined when it is not one — including when the
 * id token is not a satellite id (a wildcard subscription receives any token a publisher picks).
 */
export function parseSatelliteSubject(subject: string, prefix = ""): { satelliteId: string; kind: string } | undefined {
  const satelliteId = satelliteIdOfSubject(subject, prefix);
  if (satelliteId === undefined) return undefined;
  return { satelliteId, kind: subject.slice(subject.lastIndexOf(".") + 1) };
}

/**
 * The satellite id of `<prefix>.sentra.v1.sat.<id>.<kind>` when the subject is one and its kind is
 * `kind` (any kind when absent); undefined otherwise. The ingest hot path's form of
 * {@link parseSatelliteSubject}: index arithmetic, one string allocated (the id), no split.
 */
export function satelliteIdOfSubject(subject: string, prefix = "", kind?: string): string | undefined {
  let start = 0;
  if (prefix) {
    if (!subject.startsWith(prefix) || subject.charCodeAt(prefix.length) !== DOT) return undefined;
    start = prefix.length + 1;
  }
  if (!subject.startsWith(SUBJECT_ROOT, start) || subject.charCodeAt(start + SUBJECT_ROOT.length) !== DOT) {
    return undefined;
  }
  const idStart = start + SUBJECT_ROOT.length + 1;
  const idEnd = subject.indexOf(".", idStart);
  // An id, a dot, a kind of at least one character, and no further token.
  if (idEnd <= idStart || idEnd === subject.length - 1 || subject.indexOf(".", idEnd + 1) !== -1) return undefined;
  if (kind !== undefined && (subject.length - idEnd - 1 !== kind.length || !subject.endsWith(kind))) return undefined;
  const satelliteId = subject.slice(idStart, idEnd);
  return SATELLITE_ID_PATTERN.test(satelliteId) ? satelliteId : undefined;
}

const DOT = 0x2e;

/**
 * Where coordinator replicas announce what they applied from the satellites' subjects (an
 * `EstateChangeBatch`), so every replica's live views see the whole estate although each ingests
 * only its share. Outside `sentra.v1.sat.>`: satellites may neither publish nor read it.
 */
export function coordinatorAppliedSubject(prefix = ""): string {
  return `${prefix ? `${prefix}.` : ""}sentra.v1.coordinator.applied`;
}

/**
 * The JetStream stream holding every satellite's `event` subject (rollout transitions, decisions,
 * incidents, migration step results). One definition for the satellites that publish to it and the
 * coordinator that consumes it; a subject prefix (tests) gets its own stream.
 */
/**
 * @default 1073741824 (1 GiB) — the event stream's size bound: the oldest events give way first.
 * The coordinator owns the stream's configuration (SENTRA_EVENT_STREAM_MAX_BYTES); a satellite
 * that creates the stream before any coordinator uses this default.
 */
export const DEFAULT_EVENT_STREAM_MAX_BYTES = 1_073_741_824;
/** @default 7 days — how long events stay in the stream (and can resume a rollout); SENTRA_EVENT_STREAM_MAX_AGE_HOURS. */
export const DEFAULT_EVENT_STREAM_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** @default 2 minutes — JetStream drops a re-published event id within this window. */
export const EVENT_STREAM_DUPLICATE_WINDOW_MS = 120_000;

const NANOS_PER_MS = 1_000_000;

/** The limits of the event stream that may be configured (the coordinator's settings). */
export interface EventStreamLimits {
  /** @default DEFAULT_EVENT_STREAM_MAX_AGE_MS */
  readonly maxAgeMs?: number;
  /** @default DEFAULT_EVENT_STREAM_MAX_BYTES */
  readonly maxBytes?: number;
  /** Copies in a NATS cluster. @default 1 */
  readonly replicas?: number;
  /** Larger events are refused at publish. @default the server's max payload */
  readonly maxMessageBytes?: number;
}

/**
 * The event stream's JetStream configuration — the one definition for the coordinator, which
 * creates or updates it at start, and for a satellite that starts first and creates it: file
 * storage, limits retention bounded by age and bytes (oldest discarded), message-id de-duplication.
 * Enum values as JetStream spells them, so this module needs no JetStream client.
 */
export function satelliteEventStreamConfig(
  prefix = "",
  limits: EventStreamLimits = {},
): {
  name: string;
  subjects: string[];
  storage: "file";
  retention: "limits";
  discard: "old";
  duplicate_window: number;
  max_age: number;
  max_bytes: number;
  num_replicas: number;
  max_msg_size?: number;
} {
  return {
    ...satelliteEventStream(prefix),
    storage: "file",
    retention: "limits",
    discard: "old",
    duplicate_window: EVENT_STREAM_DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    max_age: (limits.maxAgeMs ?? DEFAULT_EVENT_STREAM_MAX_AGE_MS) * NANOS_PER_MS,
    max_bytes: limits.maxBytes ?? DEFAULT_EVENT_STREAM_MAX_BYTES,
    num_replicas: limits.replicas ?? 1,
    ...(limits.maxMessageBytes === undefined ? {} : { max_msg_size: limits.maxMessageBytes }),
  };
}

export function satelliteEventStream(prefix = ""): { name: string; subjects: string[] } {
  return { name: prefix ? `SENTRA_EVENTS_${prefix}` : "SENTRA_EVENTS", subjects: [satelliteWildcard("event", prefix)] };
}

/**
 * Durable consumer through which the coordinator replicas read the event stream. Part of the
 * contract because satellites' NATS permissions must keep them away from it (`sentra nats-config`).
 */
export const SATELLITE_EVENT_CONSUMER = "sentra-coordinator";

/**
 * Inbox prefix of a satellite's NATS connection (`inboxPrefix`): replies to its requests —
 * JetStream publish acknowledgements, JetStream API answers, replayed events — arrive under it,
 * and its NATS user may subscribe nowhere else (`<prefix>.>`). One subject token per satellite id.
 */
export function satelliteInboxPrefix(satelliteId: string): string {
  if (!SATELLITE_ID_PATTERN.test(satelliteId)) throw new Error(`invalid satellite id ${JSON.stringify(satelliteId)}`);
  return `_INBOX_sat_${satelliteId}`;
}
