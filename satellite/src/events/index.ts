export {
  createEventOutboxMetrics,
  DEFAULT_EVENT_ACK_WAIT_MS,
  DEFAULT_EVENT_OUTBOX_CAPACITY,
  EventOutbox,
  type EventOutboxMetrics,
  type EventOutboxOptions,
} from "./event-outbox.js";
export { EVENT_STREAM_DUPLICATE_WINDOW_MS, EVENT_STREAM_MAX_AGE_MS, ensureEventStream } from "./event-stream.js";
