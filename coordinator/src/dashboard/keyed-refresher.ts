/**
 * Re-reads things by key, one read at a time, each key at most once per pass: keys requested while
 * a read runs are coalesced and read after it. So a burst of change notices for one rollout costs
 * one read of its latest state, and reads never overlap (a slower, older read cannot land after a
 * newer one).
 */
export class KeyedRefresher {
  private readonly pending = new Set<string>();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly read: (key: string) => Promise<void>,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** Schedules a read of `key` (once, however often asked before it runs). */
  request(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when every requested read has run. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      try {
        await this.read(key);
      } catch (error) {
        this.onError(key, error);
      }
    }
  }
}
