import type { RolloutClock, TimerHandle } from "./rollout-clock.js";

interface ScheduledTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to, for tests of the engine. `advance` fires due timers in
 * time order and awaits the settle function after each, so asynchronous work a timer started (an
 * evaluation) finishes before time moves on.
 */
export class ManualClock implements RolloutClock {
  private nowMs: number;
  private nextId = 1;
  private timers: ScheduledTimer[] = [];
  private settle: () => Promise<void> = flushMacrotasks;

  /** @param start the initial time. @default 2025-01-01T00:00:00Z */
  constructor(start: Date = new Date("2025-01-01T00:00:00.000Z")) {
    this.nowMs = start.getTime();
  }

  /**
   * Sets what `advance` awaits after each timer fires, e.g. `() => engine.whenIdle()`.
   * @default a few turns of the event loop
   */
  settleWith(settle: () => Promise<void>): void {
    this.settle = settle;
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, dueAt: this.nowMs + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Number of scheduled timers (a leak check for tests). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.dueAt <= target)
        .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer.id !== due.id);
      this.nowMs = Math.max(this.nowMs, due.dueAt);
      due.callback();
      await this.settle();
    }
    this.nowMs = target;
  }
}

async function flushMacrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
