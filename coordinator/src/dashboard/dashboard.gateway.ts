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
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardAction,
  type DashboardActionResult,
  type DashboardClientEvents,
  type DashboardServerEvents,
  type Logger,
  type MigrateResult,
  type PlanMigrationResult,
  type RolloutActionResult,
} from "@sentra/common";
import type { Namespace, Socket } from "socket.io";
import { LOGGER } from "../config/coordinator-config.js";
import type { TokenPrincipal } from "../security/api-token-store.js";
import { DashboardActions, toActionError } from "./dashboard-actions.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";
import { DashboardSocketAccess } from "./dashboard-socket-access.js";

/** Per-socket data: who signed in (set by the handshake check) and the resync throttle. */
interface SessionData {
  principal: TokenPrincipal;
  lastResyncAtMs: number;
  resyncPending: boolean;
}

type DashboardNamespace = Namespace<DashboardClientEvents, DashboardServerEvents, Record<string, never>, SessionData>;
type DashboardSocket = Socket<DashboardClientEvents, DashboardServerEvents, Record<string, never>, SessionData>;

/** @default 1000 — a page may ask for a fresh snapshot at most this often. */
const MIN_RESYNC_INTERVAL_MS = 1_000;

/**
 * The dashboard's Socket.IO edge, namespace `/estate` on the coordinator's HTTP server: checks the
 * API token in the handshake (`auth.token`) and every event against its role, signs out sockets
 * whose token is revoked (DashboardSocketAccess), sends a `snapshot` (with the session's role) to
 * each new socket, then broadcasts the feed's `delta` batches (one emit per batch for every
 * socket) and answers `resync`. Acting events (`planMigration`, `migrate`, `promoteRollout`,
 * `abortRollout`) are answered through their acknowledgement; who may send them (and how often)
 * is DashboardSocketAccess's check, which runs before any handler here; every outcome of a
 * mutating one is audited.
 */
@WebSocketGateway({
  namespace: DASHBOARD_SOCKET_NAMESPACE,
  serveClient: false,
  // Pages send almost nothing.
  maxHttpBufferSize: 16_384,
  // No permessage-deflate, not even for snapshots: each compressing socket keeps its own zlib
  // context (ws warns of the memory it fragments). Measured with 1,000 sockets and 1,000
  // satellites: coordinator RSS 2.2 GB, a saturated loop, ping timeouts and reconnect storms (only
  // 45–63 % connected after 2 min); without it 215 MB, all connected in 23 s. A snapshot is then
  // ≈ 0.5 MB on the wire once per connection, like a page load.
  perMessageDeflate: false,
})
export class DashboardGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private unsubscribe: (() => void) | undefined;
  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly feed: DashboardFeed,
    private readonly access: DashboardSocketAccess,
    private readonly actions: DashboardActions,
    private readonly metrics: DashboardMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  afterInit(namespace: DashboardNamespace): void {
    namespace.use((socket, next) => {
      socket.data.lastResyncAtMs = 0;
      socket.data.resyncPending = false;
      this.access.handshake(socket, next);
    });
    this.stopWatching = this.access.watch(namespace);
    this.unsubscribe = this.feed.onDelta((delta) => {
      // Socket.IO encodes a broadcast even for an empty room; nobody watching costs nothing.
      if (namespace.sockets.size === 0) return;
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
    return this.act(socket, "planMigration", body, () => this.actions.planMigration(body));
  }

  @SubscribeMessage("migrate")
  migrate(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<MigrateResult>> {
    return this.act(socket, "migrate", body, (actor) => this.actions.migrate(body, actor));
  }

  @SubscribeMessage("promoteRollout")
  promoteRollout(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<RolloutActionResult>> {
    return this.act(socket, "promoteRollout", body, (actor) => this.actions.promoteRollout(body, actor));
  }

  @SubscribeMessage("abortRollout")
  abortRollout(
    @ConnectedSocket() socket: DashboardSocket,
    @MessageBody() body: unknown,
  ): Promise<DashboardActionResult<RolloutActionResult>> {
    return this.act(socket, "abortRollout", body, (actor) => this.actions.abortRollout(body, actor));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.stopWatching?.();
  }

  /** Runs an action the access check let through; answers in the error vocabulary, never throws. */
  private async act<T>(
    socket: DashboardSocket,
    action: DashboardAction,
    body: unknown,
    run: (actor: string) => Promise<T>,
  ): Promise<DashboardActionResult<T>> {
    const { principal } = socket.data;
    const address = socket.handshake.address;
    const startedAt = performance.now();
    // The same `requested_by` as a gRPC or REST call of this token: the token's name.
    const actor = principal.name;
    let answer: DashboardActionResult<T>;
    try {
      answer = { ok: true, result: await run(actor) };
      this.logger.info({ action, principal: principal.name, role: principal.role, address }, "dashboard action done");
    } catch (error) {
      const refusal = toActionError(error);
      answer = { ok: false, error: refusal };
      if (refusal.code === "INTERNAL") {
        this.logger.error(
          { action, principal: principal.name, address, err: String(error) },
          "dashboard action failed",
        );
      } else {
        this.logger.info(
          { action, principal: principal.name, address, code: refusal.code, reason: refusal.message },
          "dashboard action refused",
        );
      }
    }
    const result = answer.ok ? "ok" : answer.error.code;
    this.metrics.actions.inc({ action, result });
    if (action !== "planMigration") {
      this.access.auditAction(socket, action, body, result, Math.round(performance.now() - startedAt));
    }
    return answer;
  }

  private sendSnapshot(socket: DashboardSocket): void {
    const end = this.metrics.emitDuration.startTimer({ event: "snapshot" });
    socket.emit("snapshot", this.feed.snapshot(socket.data.principal.role));
    end();
  }
}
