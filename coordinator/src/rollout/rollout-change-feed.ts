import { randomUUID } from "node:crypto";
import type { Logger } from "@sentra/common";
import type { Redis } from "ioredis";

/** Called with the id of a (multi-cluster) rollout whose record changed. */
export type RolloutChangeListener = (rolloutId: string) => void;

/**
 * "Rollout X changed" notices between coordinator replicas (Redis pub/sub) and within one
 * (listeners). Any replica may persist an event; every replica's watchers and the orchestrator
 * leader hear of it. A notice carries only the id: listeners re-read the record, so a lost or
 * coalesced notice is never a lost state (the orchestrator also re-plans on a timer).
 */
export class RolloutChangeFeed {
  private readonly listeners = new Set<RolloutChangeListener>();
  private readonly origin = randomUUID();
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    // A connection in subscriber mode cannot run other commands: use a dedicated one.
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on("message", (_channel: string, text: string) => {
      try {
        const notice = JSON.parse(text) as { origin?: string; rolloutId?: string };
        if (notice.origin !== this.origin && typeof notice.rolloutId === "string") this.emit(notice.rolloutId);
      } catch {
        this.logger.warn({ channel: this.channel }, "ignored a malformed rollout change notice");
      }
    });
    await subscriber.subscribe(this.channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /** Tells this replica's listeners at once and the other replicas through Redis. */
  publish(rolloutId: string): void {
    this.emit(rolloutId);
    this.redis.publish(this.channel, JSON.stringify({ origin: this.origin, rolloutId })).catch((error: unknown) => {
      this.logger.warn({ rolloutId, err: String(error) }, "could not publish a rollout change to other replicas");
    });
  }

  subscribe(listener: RolloutChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(rolloutId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(rolloutId);
      } catch (error) {
        this.logger.error({ rolloutId, err: String(error) }, "rollout change listener failed");
      }
    }
  }
}
