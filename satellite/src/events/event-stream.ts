import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Logger, SentraError } from "@sentra/common";
import { satelliteEventStreamConfig } from "@sentra/proto";

/**
 * Makes sure the satellites' event stream exists (`satelliteEventStream(prefix)`): file storage,
 * limits retention, message-id de-duplication. Idempotent; an existing stream is left as it is
 * (the coordinator or an operator may own its configuration). When the satellite's credentials may
 * not manage streams, it logs and goes on: publishing then relies on the stream existing.
 * @returns the stream's name
 * @throws SentraError UNAVAILABLE when the server has no JetStream
 */
export async function ensureEventStream(nats: NatsConnection, prefix: string, logger: Logger): Promise<string> {
  // The coordinator's defaults (one definition in @sentra/proto); it updates them to its settings.
  const config = satelliteEventStreamConfig(prefix);
  const { name, subjects } = config;
  let manager: JetStreamManager;
  try {
    manager = await jetstreamManager(nats);
  } catch (error) {
    throw new SentraError(
      "UNAVAILABLE",
      "NATS has no JetStream: start nats-server with -js (rollout events and their recovery need it)",
      { cause: error },
    );
  }
  try {
    const info = await manager.streams.info(name);
    const missing = subjects.filter((subject) => !info.config.subjects.includes(subject));
    if (missing.length > 0) logger.warn({ stream: name, missing }, "event stream does not cover the event subjects");
    return name;
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) {
      logger.warn({ stream: name, err: String(error) }, "cannot inspect the event stream; assuming it is provisioned");
      return name;
    }
  }
  try {
    await manager.streams.add(config as Partial<StreamConfig> & { name: string });
    logger.info({ stream: name, subjects }, "event stream created");
  } catch (error) {
    // Another satellite may have created it a moment ago, or these credentials may not create streams.
    logger.warn({ stream: name, err: String(error) }, "could not create the event stream; assuming it is provisioned");
  }
  return name;
}
