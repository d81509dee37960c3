export {
  createEventOutboxMetrics,
  DEFAULT_EVENT_ACK_WAIT_MS,
  DEFAULT_EVENT_OUTBOX_CAPACITY,
  EventOutbox,
  type EventOutboxMetrics,
  type EventOutboxOptions,
} from "./event-outbox.js";
export { ensureEventStream } from "./event-stream.js";
