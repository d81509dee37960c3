import { randomUUID } from "node:crypto";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Logger } from "@sentra/common";
import { type Migration, MigrationSchema } from "@sentra/proto";
import type { Redis } from "ioredis";

/** Receives every journalled migration change (the full migration with its steps). */
export type MigrationListener = (migration: Migration) => void;

/**
 * Fans migration changes out to WatchMigrations streams: listeners in this process at once, and
 * other coordinator replicas through Redis pub/sub (a saga may run on any replica after a
 * takeover, while a client watches through another).
 */
export class MigrationEventBus {
  private readonly listeners = new Set<MigrationListener>();
  private readonly origin = randomUUID();
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to the replicas' channel (a dedicated connection: a subscribed one can do nothing else). */
  async start(): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on("error", (error: unknown) => {
      this.logger.warn({ err: String(error) }, "migration event subscription: Redis error (it reconnects)");
    });
    subscriber.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
      try {
        const separator = message.indexOf(0x0a);
        if (message.subarray(0, separator).toString("utf8") === this.origin) return;
        this.emit(fromBinary(MigrationSchema, message.subarray(separator + 1)));
      } catch (error) {
        this.logger.warn({ err: String(error) }, "dropped an unreadable migration event");
      }
    });
    await subscriber.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  subscribe(listener: MigrationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Local listeners first, then the other replicas; a Redis failure never fails the saga. */
  publish(migration: Migration): void {
    this.emit(migration);
    const payload = Buffer.concat([Buffer.from(`${this.origin}\n`), Buffer.from(toBinary(MigrationSchema, migration))]);
    this.redis.publish(this.channel, payload).catch((error: unknown) => {
      this.logger.warn({ err: String(error), migrationId: migration.id }, "could not publish a migration event");
    });
  }

  private emit(migration: Migration): void {
    for (const listener of this.listeners) {
      try {
        listener(migration);
      } catch (error) {
        this.logger.warn({ err: String(error) }, "migration listener failed");
      }
    }
  }
}
