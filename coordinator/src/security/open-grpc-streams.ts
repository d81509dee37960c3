import { type Logger, SentraError } from "@sentra/common";
import type { CallContext } from "@sentra/proto";
import type { ApiTokenStore } from "./api-token-store.js";
import { DEFAULT_MAX_STREAMS_PER_TOKEN } from "./security-defaults.js";
import type { TokenRevocations } from "./token-revocations.js";

/** What a stream of a revoked token ends with. */
export const STREAM_TOKEN_REVOKED = "the token was revoked";

/**
 * The server streams in flight (WatchRollouts, WatchMigrations, …) and the token each was opened
 * with, so that a revocation ends them too — a stream is one long call, and "a revoked token stops
 * working at once" must hold for it as well: at once for revocations made on this coordinator,
 * at the next re-check for those made on another replica.
 */
export class OpenGrpcStreams {
  private readonly streams = new Map<CallContext, string>();
  private readonly perToken = new Map<string, number>();
  private rechecking = false;

  /** @param maxPerToken streams one token may hold open at once on this coordinator */
  constructor(
    private readonly tokens: Pick<ApiTokenStore, "activeIds">,
    private readonly logger: Logger,
    private readonly maxPerToken = DEFAULT_MAX_STREAMS_PER_TOKEN,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /** Registers a stream; RESOURCE_EXHAUSTED when its token already holds `maxPerToken` open. */
  add(context: CallContext, tokenId: string): void {
    const open = this.perToken.get(tokenId) ?? 0;
    if (open >= this.maxPerToken) {
      throw new SentraError(
        "RESOURCE_EXHAUSTED",
        `this token already holds ${open} open streams (at most ${this.maxPerToken}); close one first`,
      );
    }
    this.streams.set(context, tokenId);
    this.perToken.set(tokenId, open + 1);
  }

  remove(context: CallContext): void {
    const tokenId = this.streams.get(context);
    if (tokenId === undefined) return;
    this.streams.delete(context);
    const open = (this.perToken.get(tokenId) ?? 1) - 1;
    if (open > 0) this.perToken.set(tokenId, open);
    else this.perToken.delete(tokenId);
  }

  /** Ends every stream opened with one of these tokens: UNAUTHENTICATED. */
  end(tokenIds: Iterable<string>): void {
    const revoked = new Set(tokenIds);
    for (const [context, tokenId] of this.streams) {
      if (!revoked.has(tokenId)) continue;
      this.remove(context);
      this.logger.info(
        { method: context.method, principal: context.principal?.name },
        "stream ended: its token was revoked",
      );
      context.end(new SentraError("UNAUTHENTICATED", STREAM_TOKEN_REVOKED));
    }
  }

  /** One query for the tokens of every open stream; streams of tokens no longer active end. */
  async recheck(): Promise<void> {
    if (this.rechecking || this.streams.size === 0) return;
    this.rechecking = true;
    try {
      const ids = new Set(this.streams.values());
      const active = await this.tokens.activeIds([...ids]);
      this.end([...ids].filter((id) => !active.has(id)));
    } catch (error) {
      // Keep the streams: a store outage is not a revocation. The next re-check tries again.
      this.logger.warn({ err: String(error) }, "stream token re-check failed");
    } finally {
      this.rechecking = false;
    }
  }

  /** Follows this coordinator's revocations and re-checks every `intervalMs`; returns stop. */
  watch(revocations: TokenRevocations, intervalMs: number): () => void {
    const unsubscribe = revocations.onRevoked((tokenIds) => this.end(tokenIds));
    const timer = setInterval(() => void this.recheck(), intervalMs);
    timer.unref();
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }
}
