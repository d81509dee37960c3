import { setTimeout as sleep } from "node:timers/promises";
import { SentraError } from "@sentra/common";
import { CommandOutcome, ExitCode } from "./exit-codes.js";

/** @default 1 s — pause before re-attaching to a stream the coordinator dropped (e.g. it restarted). */
const REATTACH_DELAY_MS = 1_000;

/**
 * Follows a server stream until `done` says the thing watched has ended, re-attaching when the
 * coordinator drops the stream (restart, failover to another replica): a CI job waiting on a
 * release should not fail because a coordinator pod was rescheduled. Gives up at the deadline.
 */
export async function followStream<T>(options: {
  open: (signal: AbortSignal) => AsyncIterable<T>;
  /** Handles one message; returns true once the watched thing has ended. */
  onMessage: (message: T) => boolean;
  /** Asked when the stream ends without an ending message (the server closed it): has it ended? */
  onStreamEnd?: () => Promise<boolean>;
  timeoutMs: number;
  what: string;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    try {
      for await (const message of options.open(abort.signal)) if (options.onMessage(message)) return;
      if (options.onStreamEnd && (await options.onStreamEnd())) return;
    } catch (error) {
      if (abort.signal.aborted) break;
      const code = SentraError.from(error).code;
      if (code !== "UNAVAILABLE" && code !== "CANCELLED" && code !== "INTERNAL") throw error;
    } finally {
      clearTimeout(timer);
    }
    if (abort.signal.aborted || Date.now() + REATTACH_DELAY_MS >= deadline) break;
    await sleep(REATTACH_DELAY_MS);
  }
  throw new CommandOutcome(
    ExitCode.TIMED_OUT,
    `gave up waiting for ${options.what} after ${Math.round(options.timeoutMs / 1000)} s; it goes on on the coordinator`,
  );
}
