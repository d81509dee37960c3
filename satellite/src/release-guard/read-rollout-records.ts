import { fromBinary } from "@bufbuild/protobuf";
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Logger, SentraError } from "@sentra/common";
import { SatelliteEventSchema } from "@sentra/proto";
import { parseRolloutRecord, type RolloutRecord } from "./rollout-record.js";

/** @default 30000 — longest a satellite spends replaying its events at start-up, in ms. */
export const DEFAULT_RECOVERY_TIMEOUT_MS = 30_000;

/**
 * Replays one satellite's event subject from the stream and returns the newest record of each
 * rollout (highest sequence): what the satellite needs to resume its rollouts after a restart.
 * An absent stream or subject means nothing to resume. Events that do not carry a record (other
 * bodies, unknown formats, undecodable bytes) are skipped and counted in the log.
 * @throws SentraError UNAVAILABLE when the replay does not finish within `timeoutMs`
 */
export async function readRolloutRecords(
  nats: NatsConnection,
  stream: string,
  subject: string,
  logger: Logger,
  timeoutMs = DEFAULT_RECOVERY_TIMEOUT_MS,
): Promise<RolloutRecord[]> {
  const manager = await jetstreamManager(nats);
  let count = 0;
  try {
    const info = await manager.streams.info(stream, { subjects_filter: subject });
    count = info.state.subjects?.[subject] ?? 0;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return [];
    throw error;
  }
  if (count === 0) return [];

  const started = performance.now();
  // An ordered consumer (nats-server 2.9 takes one filter subject): in stream order, nothing to ack.
  const consumer = await jetstream(nats).consumers.get(stream, { filter_subjects: subject });
  const messages = await consumer.consume();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void messages.close();
  }, timeoutMs);
  const latest = new Map<string, RolloutRecord>();
  let read = 0;
  let skipped = 0;
  try {
    for await (const message of messages) {
      read += 1;
      let record: RolloutRecord | undefined;
      try {
        record = parseRolloutRecord(fromBinary(SatelliteEventSchema, message.data).rolloutStateJson);
      } catch {
        record = undefined;
      }
      if (record === undefined) skipped += 1;
      else if ((latest.get(record.spec.id)?.sequence ?? 0) < record.sequence) latest.set(record.spec.id, record);
      if (message.info.pending === 0) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close();
  }
  if (timedOut) {
    throw new SentraError(
      "UNAVAILABLE",
      `replaying ${count} events of ${subject} from stream ${stream} took longer than ${timeoutMs} ms (read ${read})`,
    );
  }
  logger.info(
    { stream, events: read, skipped, rollouts: latest.size, ms: Math.round(performance.now() - started) },
    "rollout events replayed",
  );
  return [...latest.values()];
}
