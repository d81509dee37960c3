import { Inject, type OnModuleDestroy } from "@nestjs/common";
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from "@nestjs/websockets";
import {
  DASHBOARD_ACTING_ROLES,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardAction,
  type DashboardActionResult,
  type DashboardClientEvents,
  type DashboardRole,
  type DashboardServerEvents,
  type Logger,
  type MigrateResult,
  type PlanMigrationResult,
  type RolloutActionResult,
} from "@sentra/common";
import type { Namespace, Socket } from "socket.io";
import { LOGGER } from "../config/coordinator-config.js";
import { DashboardAccess } from "./dashboard-access.js";
import { DashboardActions, toActionError } from "./dashboard-actions.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";

/** Per-socket data set by the handshake check. */
interface SessionData {
  role: DashboardRole;
  lastResyncAtMs: number;
  resyncPending: boolean;
}

type DashboardNamespace = Namespace<DashboardClientEvents, DashboardServerEvents, Record<string, never>, SessionData>;
type DashboardSocket = Socket<DashboardClientEvents, DashboardServerEvents, Record<string, never>, SessionData>;

/** @default 1000 — a page may ask for a fresh snapshot at most this often. */
const MIN_RESYNC_INTERVAL_MS = 1_000;

/** What each action is called in a refusal ("a viewer session may not migrate"). */
const ACTION_VERBS: Record<DashboardAction, string> = {
  planMigration: "plan a migration",
  migrate: "migrate",
  promoteRollout: "promote a rollout",
  abortRollout: "abort a rollout",
};

/**
 * The dashboard's Socket.IO edge, namespace `/estate` on the coordinator's HTTP server: checks the
 * token in the handshake (`auth.token`), sends a `snapshot` to each new socket, then broadcasts
 * the feed's `delta` batches (one emit per batch for every socket) and answers `resync`. Acting
 * events (`planMigration`, `migrate`, `promoteRollout`, `abortRollout`) are answered through
 * their acknowledgement, and only for a session whose role may act: any other attempt is refused
 * (PERMISSION_DENIED, 403), logged and counted.
 */
@WebSocketGateway({
  namespace: DASHBOARD_SOCKET_NAMESPACE,
  serveClient: false,
  // Pages send almost nothing; big snapshots are compressed, small deltas are not.
  maxHttpBufferSize: 16_384,
  perMessageDeflate: { threshold: 65_536 },
})
export class DashboardGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly feed: DashboardFeed,
    private readonly access: DashboardAccess,
    private readonly actions: DashboardActions,
    private readonly metrics: DashboardMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  afterInit(namespace: DashboardNamespace): void {
    namespace.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as Record<string, unknown>).token;
      const role = this.access.roleOf(token);
      if (!role) {
        const reason = typeof token === "string" && token !== "" ? "invalid" : "missing";
        this.metrics.authFailures.inc({ reason });
        this.logger.warn({ address: socket.handshake.address, reason }, "dashboard sign-in refused");
        next(Object.assign(new Error(DASHBOARD_AUTH_ERROR[reason]), { data: { code: "UNAUTHENTICATED" } }));
        return;
      }
      socket.data.role = role;
      socket.data.lastResyncAtMs = 0;
      socket.data.resyncPending = false;
      next();
    });
    this.unsubscribe = this.feed.onDelta((delta) => {
      const end = this.metrics.emitDuration.startTimer({ event: "delta" });
      namespace.emit("delta", delta);
      end();
    });
  }

  handleConnection(socket: DashboardSocket): void {
    this.metrics.clients.inc();
    this.sendSnapshot(socket);
  }

  handleDisconnect(): void {
    this.metrics.clients.dec();
  }

  /** A page saw a gap: a fresh snapshot now, or once the minimum interval has passed. */
  @SubscribeMessage("resync")
  resync(@ConnectedSocket() socket: DashboardSocket): void {
    if (socket.data.resyncPending) return;
    const waitMs = socket.data.lastResyncAtMs + MIN_RESYNC_INTERVAL_MS - Date.now();
    const send = (): void => {
      socket.data.resyncPending = false;
      socket.data.lastResyncAtMs = Date.now();
      if (socket.connected) this.sendSnapshot(socket);
    };
    if (waitMs <= 0) {
      send();
      return;
    }
    socket.data.resyncPending = true;
    setTimeout(send, waitMs).unref();
  }

  /** The dry run: a refused plan answers FAILED_PRECONDITION (412) with its arithmetic. */
  @SubscribeMessage("planMigration")
  planMigration(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<PlanMigrationResult>> {
    return this.act(socket, "planMigration", () => this.actions.planMigration(body));
  }

  @SubscribeMessage("migrate")
  migrate(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<MigrateResult>> {
    return this.act(socket, "migrate", (actor) => this.actions.migrate(body, actor));
  }

  @SubscribeMessage("promoteRollout")
  promoteRollout(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<RolloutActionResult>> {
    return this.act(socket, "promoteRollout", (actor) => this.actions.promoteRollout(body, actor));
  }

  @SubscribeMessage("abortRollout")
  abortRollout(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<RolloutActionResult>> {
    return this.act(socket, "abortRollout", (actor) => this.actions.abortRollout(body, actor));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Checks the session's role, runs the action, and answers in the error vocabulary; never throws. */
  private async act<T>(
    socket: DashboardSocket,
    action: DashboardAction,
    run: (actor: string) => Promise<T>,
  ): Promise<DashboardActionResult<T>> {
    const role = socket.data.role;
    const address = socket.handshake.address;
    if (!DASHBOARD_ACTING_ROLES.includes(role)) {
      this.metrics.actions.inc({ action, result: "PERMISSION_DENIED" });
      this.logger.warn({ action, role, address }, "dashboard action refused: the session's role may not act");
      return {
        ok: false,
        error: {
          code: "PERMISSION_DENIED",
          httpStatus: 403,
          message: `a ${role} session may not ${ACTION_VERBS[action]}: sign in with an operator's token`,
        },
      };
    }
    const actor = `dashboard ${role} ${address}`;
    try {
      const result = await run(actor);
      this.metrics.actions.inc({ action, result: "ok" });
      this.logger.info({ action, role, address }, "dashboard action done");
      return { ok: true, result };
    } catch (error) {
      const refusal = toActionError(error);
      this.metrics.actions.inc({ action, result: refusal.code });
      if (refusal.code === "INTERNAL") {
        this.logger.error({ action, role, address, err: String(error) }, "dashboard action failed");
      } else {
        this.logger.info(
          { action, role, address, code: refusal.code, reason: refusal.message },
          "dashboard action refused",
        );
      }
      return { ok: false, error: refusal };
    }
  }

  private sendSnapshot(socket: DashboardSocket): void {
    const end = this.metrics.emitDuration.startTimer({ event: "snapshot" });
    socket.emit("snapshot", this.feed.snapshot(socket.data.role));
    end();
  }
}
