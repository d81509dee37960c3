import type { Logger } from "@sentra/common";
import type { SagaCheckpoint } from "./migration-saga.js";

/**
 * FAULT INJECTION FOR CRASH TESTS ONLY (`SENTRA_TEST_CRASH_AT_STEP`): returns the saga checkpoint
 * hook that SIGKILLs this very process when the saga reaches `crashAt` — right after that state was
 * journalled, or right after a scale command was accepted (`TARGET_SCALE_SENT`, `SOURCE_SCALE_SENT`).
 * That is a real crash (no shutdown hooks, no lock release) at a precise step, so the end-to-end
 * tests can prove recovery deterministically. Unset (always, in production) it does nothing.
 */
export function createCrashHook(crashAt: SagaCheckpoint | undefined, logger: Logger): (point: SagaCheckpoint) => void {
  if (crashAt === undefined) return () => {};
  logger.warn({ crashAt }, "FAULT INJECTION ENABLED: the coordinator will SIGKILL itself at this migration step");
  return (point) => {
    if (point !== crashAt) return;
    logger.fatal({ crashAt: point }, "fault injection: SIGKILL now");
    process.kill(process.pid, "SIGKILL");
  };
}
