/** Opaque handle of a scheduled callback. */
export type TimerHandle = unknown;

/** Port: time and timers, injected so tests run on a {@link ManualClock}. */
export interface RolloutClock {
  now(): Date;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. */
export const systemClock: RolloutClock = {
  now: () => new Date(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
