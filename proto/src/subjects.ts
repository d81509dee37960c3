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
  const root = `${prefix ? `${prefix}.` : ""}${SUBJECT_ROOT}.`;
  if (!subject.startsWith(root)) return undefined;
  const [satelliteId, kind, ...rest] = subject.slice(root.length).split(".");
  if (!satelliteId || !kind || rest.length > 0 || !SATELLITE_ID_PATTERN.test(satelliteId)) return undefined;
  return { satelliteId, kind };
}

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
