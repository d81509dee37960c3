import {
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_TOKEN_REVOKED,
  type DashboardEventRefusal,
  type Logger,
  SentraError,
} from "@sentra/common";
import type { DefaultEventsMap, Namespace, Socket } from "socket.io";
import type { AccessControl } from "../security/access-control.js";
import type { ApiTokenStore, TokenPrincipal } from "../security/api-token-store.js";
import { summariseForAudit } from "../security/audit-log.js";
import type { AuditRecorder } from "../security/audit-recorder.js";
import type { Role } from "../security/role.js";
import { DEFAULT_MAX_STREAMS_PER_TOKEN } from "../security/security-defaults.js";
import type { TokenRevocations } from "../security/token-revocations.js";
import type { DashboardMetrics } from "./dashboard-metrics.js";

/** What a page may send: the role an event needs; `mutating` events are rate-limited and audited. */
export interface SocketEventRule {
  role: Role;
  mutating: boolean;
}

/**
 * Every event a page may emit, with the role it needs — the same as the gRPC method doing the same
 * thing (PlanMigration: viewer; Migrate, PromoteRollout, AbortRollout: operator). An event missing
 * here is refused for everyone (default deny).
 */
export const DASHBOARD_EVENT_RULES: Readonly<Record<string, SocketEventRule>> = {
  resync: { role: "viewer", mutating: false },
  planMigration: { role: "viewer", mutating: false },
  migrate: { role: "operator", mutating: true },
  promoteRollout: { role: "operator", mutating: true },
  abortRollout: { role: "operator", mutating: true },
};

/** The HTTP status the REST API answers for each refusal, so the page shows one vocabulary. */
const REFUSAL_HTTP_STATUS: Record<DashboardEventRefusal["error"]["code"], number> = {
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
};

/** Per-socket data the handshake sets: who signed in. */
export interface SocketPrincipalData {
  principal: TokenPrincipal;
}

// Any event maps: the access rules do not depend on what the events carry.
type AnySocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketPrincipalData>;
type AnyNamespace = Namespace<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketPrincipalData>;
type Next = (error?: Error) => void;

export interface DashboardSocketAccessOptions {
  access: Pick<AccessControl, "authenticate" | "authorize" | "limit">;
  tokens: Pick<ApiTokenStore, "activeIds">;
  revocations: TokenRevocations;
  audit: Pick<AuditRecorder, "record">;
  metrics: DashboardMetrics;
  logger: Logger;
  /** How often open sockets' tokens are re-checked (a revocation on another replica). */
  recheckIntervalMs: number;
  /** @default DASHBOARD_EVENT_RULES */
  eventRules?: Readonly<Record<string, SocketEventRule>>;
  /** @default DEFAULT_MAX_STREAMS_PER_TOKEN — sockets one token may hold open on this coordinator. */
  maxSocketsPerToken?: number;
}

/**
 * The dashboard socket's door: the handshake's `auth.token` must be a valid API token (its role
 * goes into the session); every event a page emits is checked against its rule; and a socket
 * whose token is revoked is signed out (`signedOut`, then disconnected) — at once when this
 * coordinator revoked it, else at the next periodic re-check.
 */
export class DashboardSocketAccess {
  private readonly eventRules: Readonly<Record<string, SocketEventRule>>;
  private rechecking = false;

  constructor(private readonly options: DashboardSocketAccessOptions) {
    this.eventRules = options.eventRules ?? DASHBOARD_EVENT_RULES;
  }

  /** `namespace.use(...)`: refuses a handshake without a valid token. */
  readonly handshake = (socket: AnySocket, next: Next): void => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown>).token;
    const presented = typeof token === "string" && token !== "" ? token : undefined;
    this.options.access.authenticate(presented, "socket", socket.handshake.address).then(
      (principal) => {
        const max = this.options.maxSocketsPerToken ?? DEFAULT_MAX_STREAMS_PER_TOKEN;
        let open = 0;
        for (const other of socket.nsp.sockets.values())
          if (other.data.principal?.tokenId === principal.tokenId) open++;
        if (open >= max) {
          socket.data.principal = principal;
          this.recordAudit(socket, "handshake", {}, "RESOURCE_EXHAUSTED");
          next(
            Object.assign(
              new Error(`this token already holds ${open} dashboard connections (at most ${max}); close one first`),
              { data: { code: "RESOURCE_EXHAUSTED" } },
            ),
          );
          return;
        }
        socket.data.principal = principal;
        socket.use((packet, nextPacket) => this.checkEvent(socket, packet, nextPacket));
        next();
      },
      (error: unknown) => {
        const refusal = SentraError.from(error);
        if (refusal.code === "RESOURCE_EXHAUSTED") {
          // This address kept failing to sign in: refused before any token lookup (counted, audited, not logged per try).
          this.recordAudit(socket, "handshake", {}, refusal.code);
          next(Object.assign(new Error(refusal.message), { data: { code: refusal.code } }));
          return;
        }
        if (refusal.code !== "UNAUTHENTICATED") {
          // The store did not answer: not the token's fault, so the page keeps retrying.
          this.options.logger.warn(
            { address: socket.handshake.address, err: refusal.message },
            "dashboard sign-in not checked",
          );
          next(
            Object.assign(new Error(`cannot check the token now (${refusal.code}); retrying`), {
              data: { code: refusal.code },
            }),
          );
          return;
        }
        const reason = presented === undefined ? "missing" : "invalid";
        this.options.metrics.authFailures.inc({ reason });
        this.options.logger.warn({ address: socket.handshake.address, reason }, "dashboard sign-in refused");
        this.recordAudit(socket, "handshake", {}, "UNAUTHENTICATED");
        next(Object.assign(new Error(DASHBOARD_AUTH_ERROR[reason]), { data: { code: "UNAUTHENTICATED" } }));
      },
    );
  };

  /** Signs out revoked tokens' sockets: at once for this coordinator's revocations, else every `recheckIntervalMs`. */
  watch(namespace: AnyNamespace): () => void {
    const unsubscribe = this.options.revocations.onRevoked((tokenIds) => {
      const revoked = new Set(tokenIds);
      for (const socket of namespace.sockets.values()) {
        if (revoked.has(socket.data.principal?.tokenId)) this.signOut(socket);
      }
    });
    const timer = setInterval(() => void this.recheck(namespace), this.options.recheckIntervalMs);
    timer.unref();
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }

  /** One query for every open socket's token; sockets of tokens no longer active are signed out. */
  async recheck(namespace: AnyNamespace): Promise<void> {
    if (this.rechecking || namespace.sockets.size === 0) return;
    this.rechecking = true;
    try {
      const ids = new Set<string>();
      for (const socket of namespace.sockets.values())
        if (socket.data.principal) ids.add(socket.data.principal.tokenId);
      const active = await this.options.tokens.activeIds([...ids]);
      for (const socket of namespace.sockets.values()) {
        const principal = socket.data.principal;
        if (principal && !active.has(principal.tokenId)) this.signOut(socket);
      }
    } catch (error) {
      // Keep the sockets: a store outage is not a revocation. The next re-check tries again.
      this.options.logger.warn({ err: String(error) }, "dashboard token re-check failed");
    } finally {
      this.rechecking = false;
    }
  }

  private signOut(socket: AnySocket): void {
    if (!socket.connected) return;
    this.options.metrics.signOuts.inc({ reason: "revoked" });
    this.options.logger.info(
      { address: socket.handshake.address, principal: socket.data.principal?.name },
      "dashboard socket signed out: its token was revoked",
    );
    // Sent before the disconnect packet, in order: the page shows why and does not reconnect.
    socket.emit("signedOut", { code: "UNAUTHENTICATED", message: DASHBOARD_TOKEN_REVOKED });
    socket.disconnect();
  }

  private checkEvent(socket: AnySocket, packet: unknown[], next: Next): void {
    const [event, ...args] = packet;
    const ack =
      typeof args.at(-1) === "function" ? (args.at(-1) as (refusal: DashboardEventRefusal) => void) : undefined;
    const name = String(event);
    const principal = socket.data.principal;
    const refuse = (code: DashboardEventRefusal["error"]["code"], message: string): void => {
      this.options.metrics.refusedEvents.inc({ code });
      this.recordAudit(
        socket,
        name,
        args.filter((arg) => typeof arg !== "function"),
        code,
      );
      ack?.({ ok: false, error: { code, httpStatus: REFUSAL_HTTP_STATUS[code], message } });
    };
    const rule = this.eventRules[name];
    if (!rule) {
      refuse(
        "UNIMPLEMENTED",
        `unknown event ${name}: the dashboard socket accepts ${Object.keys(this.eventRules).join(", ")}`,
      );
      return;
    }
    try {
      this.options.access.authorize(principal, rule.role, `event ${name}`, "socket");
    } catch (error) {
      refuse("PERMISSION_DENIED", SentraError.from(error).message);
      return;
    }
    if (!rule.mutating) {
      next();
      return;
    }
    this.options.access.limit(principal, "socket").then(
      () => next(),
      (error: unknown) => {
        const refusal = SentraError.from(error);
        refuse(refusal.code === "RESOURCE_EXHAUSTED" ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE", refusal.message);
      },
    );
  }

  /** Records an acting event's outcome (the gateway calls it once the action has answered). */
  auditAction(socket: AnySocket, action: string, request: unknown, result: string, durationMs: number): void {
    this.recordAudit(socket, action, request, result, durationMs);
  }

  private recordAudit(socket: AnySocket, action: string, request: unknown, result: string, durationMs = 0): void {
    this.options.audit.record({
      at: new Date(),
      principal: socket.data.principal?.name ?? "anonymous",
      role: socket.data.principal?.role ?? "none",
      source: socket.handshake.address,
      channel: "socket",
      action,
      target: summariseForAudit(request),
      result,
      durationMs,
    });
  }
}
