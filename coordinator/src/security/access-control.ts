import { SentraError } from "@sentra/common";
import { KeyedTokenBuckets } from "../infrastructure/keyed-token-buckets.js";
import type { ApiTokenStore, TokenPrincipal } from "./api-token-store.js";
import type { MutationRateLimiter } from "./mutation-rate-limiter.js";
import { type Role, roleAllows } from "./role.js";
import { REFUSAL_BURST_PER_SOURCE, REFUSALS_PER_SOURCE_PER_SECOND } from "./security-defaults.js";
import type { SecurityMetrics } from "./security-metrics.js";

/** Where a call came in. */
export type Channel = "grpc" | "rest" | "socket";

/** What to send when a call carries no token, per channel. */
const MISSING_TOKEN: Record<Channel, string> = {
  grpc: "missing bearer token: send metadata 'authorization: Bearer <token>'",
  rest: "missing bearer token: send the header 'Authorization: Bearer <token>'",
  socket: "missing token: send it in the handshake (auth.token)",
};

/**
 * The door every channel (gRPC, REST, dashboard socket) goes through: who is calling (a token in
 * MySQL), may they (role), and not too often (mutating calls per principal). Refusals are
 * SentraErrors each edge translates once: UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED.
 * A source address whose sign-ins keep being refused is itself refused for a while, before any
 * token lookup: a token-guessing client costs a map lookup per call, not a MySQL query.
 */
export class AccessControl {
  private readonly refusedSources: KeyedTokenBuckets;

  constructor(
    private readonly tokens: ApiTokenStore,
    private readonly rateLimiter: MutationRateLimiter,
    private readonly metrics: SecurityMetrics,
    refusals: { readonly burst: number; readonly perSecond: number } = {
      burst: REFUSAL_BURST_PER_SOURCE,
      perSecond: REFUSALS_PER_SOURCE_PER_SECOND,
    },
    private readonly now: () => number = Date.now,
  ) {
    // A burst of 0 turns the throttle off (a rate of 0 admits everything).
    this.refusedSources = new KeyedTokenBuckets(refusals.burst > 0 ? refusals.perSecond : 0, refusals.burst);
  }

  /** `source`: the caller's address (peer, client IP, socket address); absent: not throttled. */
  async authenticate(token: string | undefined, channel: Channel, source?: string): Promise<TokenPrincipal> {
    if (source !== undefined && this.refusedSources.exhausted(source, this.now())) {
      this.metrics.refusals.inc({ channel, reason: "source_throttled" });
      throw new SentraError(
        "RESOURCE_EXHAUSTED",
        "too many refused sign-ins from this address; retry later with a valid token",
      );
    }
    if (!token) {
      this.metrics.refusals.inc({ channel, reason: "missing_token" });
      this.refused(source);
      throw new SentraError("UNAUTHENTICATED", MISSING_TOKEN[channel]);
    }
    let principal: TokenPrincipal | undefined;
    try {
      principal = await this.tokens.verify(token);
    } catch (error) {
      throw new SentraError("UNAVAILABLE", "cannot check the token: the token store (MySQL) did not answer; retry", {
        cause: error,
      });
    }
    if (!principal) {
      this.metrics.refusals.inc({ channel, reason: "invalid_token" });
      this.refused(source);
      throw new SentraError("UNAUTHENTICATED", "invalid or revoked token");
    }
    return principal;
  }

  /** One refused sign-in of `source`, taken from its bucket. */
  private refused(source: string | undefined): void {
    if (source !== undefined) this.refusedSources.admit(source, this.now());
  }

  /** Throws PERMISSION_DENIED naming the role `action` needs. */
  authorize(principal: TokenPrincipal, required: Role, action: string, channel: Channel): void {
    if (roleAllows(principal.role, required)) return;
    this.metrics.refusals.inc({ channel, reason: "permission_denied" });
    throw new SentraError(
      "PERMISSION_DENIED",
      `${action} needs the ${required} role; token ${principal.name} has ${principal.role}`,
      { details: { requiredRole: required, role: principal.role } },
    );
  }

  /** Counts one mutating call of the principal; RESOURCE_EXHAUSTED over the limit. */
  async limit(principal: TokenPrincipal, channel: Channel): Promise<void> {
    try {
      await this.rateLimiter.check(principal.name);
    } catch (error) {
      if (error instanceof SentraError) {
        this.metrics.refusals.inc({ channel, reason: "rate_limited" });
        throw error;
      }
      throw new SentraError("UNAVAILABLE", "cannot count the call against the rate limit: Redis did not answer", {
        cause: error,
      });
    }
  }
}

/** The token of an `authorization: Bearer <token>` value (header or gRPC metadata). */
export function bearerTokenOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}
