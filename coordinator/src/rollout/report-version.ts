/**
 * Orders the reports about one satellite-level rollout, so an older one (a redelivered event, an
 * event buffered while the satellite was cut off from NATS, a slow gRPC answer) never overwrites
 * newer state. Compared in order: the time of the state the report carries (the satellite's
 * clock: `Rollout.updated_at`, `RolloutDecision.at`), then the decision sequence, then the
 * JetStream stream sequence (0 for gRPC answers).
 */
export interface ReportVersion {
  readonly atMs: number;
  readonly sequence: number;
  readonly streamSeq: number;
}

/** True when `candidate` is strictly newer than `current` (anything is newer than nothing). */
export function isNewerReport(candidate: ReportVersion, current: ReportVersion | null): boolean {
  if (current === null) return true;
  if (candidate.atMs !== current.atMs) return candidate.atMs > current.atMs;
  if (candidate.sequence !== current.sequence) return candidate.sequence > current.sequence;
  return candidate.streamSeq > current.streamSeq;
}
