import type { OnModuleDestroy } from "@nestjs/common";
import {
  ConnectedSocket,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from "@nestjs/websockets";
import { DASHBOARD_SOCKET_NAMESPACE, type DashboardClientEvents, type DashboardServerEvents } from "@sentra/common";
import type { Namespace, Socket } from "socket.io";
import type { TokenPrincipal } from "../security/api-token-store.js";
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
 * socket) and answers `resync`.
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
  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly feed: DashboardFeed,
    private readonly access: DashboardSocketAccess,
    private readonly metrics: DashboardMetrics,
  ) {}

  afterInit(namespace: DashboardNamespace): void {
    namespace.use((socket, next) => {
      socket.data.lastResyncAtMs = 0;
      socket.data.resyncPending = false;
      this.access.handshake(socket, next);
    });
    this.stopWatching = this.access.watch(namespace);
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

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.stopWatching?.();
  }

  private sendSnapshot(socket: DashboardSocket): void {
    const end = this.metrics.emitDuration.startTimer({ event: "snapshot" });
    socket.emit("snapshot", this.feed.snapshot(socket.data.principal.role));
    end();
  }
}
