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

/** Splits a satellite subject into id and kind; undefined when it is not one. */
export function parseSatelliteSubject(subject: string, prefix = ""): { satelliteId: string; kind: string } | undefined {
  const root = `${prefix ? `${prefix}.` : ""}${SUBJECT_ROOT}.`;
  if (!subject.startsWith(root)) return undefined;
  const [satelliteId, kind, ...rest] = subject.slice(root.length).split(".");
  if (!satelliteId || !kind || rest.length > 0) return undefined;
  return { satelliteId, kind };
}
