import {
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardAction,
  type DashboardActionResult,
  type DashboardClientEvents,
  type DashboardDelta,
  type DashboardServerEvents,
  type DashboardSession,
  type DashboardSnapshot,
} from "@sentra/common/dashboard-protocol";
import { io, type Socket } from "socket.io-client";
import { applyChanges, type EstateStores, replaceAll } from "./estate-stores";
import { ValueStore } from "./value-store";

/**
 * - `connecting`: first handshake under way
 * - `live`: signed in, snapshot applied, deltas flowing
 * - `resyncing`: a gap in `seq` was seen; waiting for a fresh snapshot
 * - `reconnecting`: the socket dropped (coordinator restart, network); Socket.IO retries with backoff
 * - `rejected`: the token was refused, or revoked while signed in (no retry)
 * - `closed`: signed out
 */
export type ConnectionStatus = "connecting" | "live" | "resyncing" | "reconnecting" | "rejected" | "closed";

export interface ConnectionState {
  status: ConnectionStatus;
  /** Why the last attempt failed (shown on the sign-in form or in the HUD). */
  error: string | undefined;
  session: DashboardSession | undefined;
  epoch: string | undefined;
  seq: number;
  /** Coordinator clock − page clock, from the last message (ms): ages are judged on the coordinator's clock. */
  clockOffsetMs: number;
  /** Page clock when the last snapshot or delta was applied. */
  lastUpdateAtMs: number | undefined;
  /** Snapshots applied: 1 after sign-in, more after each reconnect or resync. */
  snapshots: number;
}

/** Optional instrumentation (tests, benchmarks): `window.__sentraProbe`, set before the page loads. */
export interface DashboardProbe {
  snapshotApplied?(snapshot: DashboardSnapshot, appliedAtMs: number): void;
  deltaApplied?(delta: DashboardDelta, appliedAtMs: number): void;
}

declare global {
  interface Window {
    __sentraProbe?: DashboardProbe;
  }
}

type EstateSocket = Socket<DashboardServerEvents, DashboardClientEvents>;

const AUTH_MESSAGES: readonly string[] = Object.values(DASHBOARD_AUTH_ERROR);

/** @default 15000 — how long the page waits for an action's answer (a dry run reads the estate; a migrate journals). */
const ACTION_TIMEOUT_MS = 15_000;

/** What an acting event sends, and what its acknowledgement carries. */
export type ActionRequest<E extends DashboardAction> = Parameters<DashboardClientEvents[E]>[0];
export type ActionAnswer<E extends DashboardAction> = Parameters<Parameters<DashboardClientEvents[E]>[1]>[0];

/**
 * The page's end of the estate feed: signs in with the token, applies the snapshot then the deltas
 * in `seq` order to the topic stores, asks for a snapshot again on a gap or a new coordinator
 * (`epoch`), and rides out disconnects — Socket.IO reconnects and the gateway sends a fresh
 * snapshot, so the page resumes without a reload.
 */
export class EstateConnection {
  readonly state = new ValueStore<ConnectionState>({
    status: "closed",
    error: undefined,
    session: undefined,
    epoch: undefined,
    seq: 0,
    clockOffsetMs: 0,
    lastUpdateAtMs: undefined,
    snapshots: 0,
  });
  private socket: EstateSocket | undefined;
  private awaitingSnapshot = true;

  constructor(private readonly stores: EstateStores) {}

  connect(token: string): void {
    this.close();
    this.state.patch({ status: "connecting", error: undefined });
    const socket: EstateSocket = io(DASHBOARD_SOCKET_NAMESPACE, {
      auth: { token },
      transports: ["websocket", "polling"],
      reconnectionDelay: 250,
      reconnectionDelayMax: 3_000,
    });
    this.socket = socket;
    this.awaitingSnapshot = true;

    socket.on("snapshot", (snapshot) => this.onSnapshot(snapshot));
    socket.on("delta", (delta) => this.onDelta(delta));
    socket.on("connect_error", (error) => {
      if (AUTH_MESSAGES.includes(error.message)) {
        // Refused by the gateway: Socket.IO does not retry; the page asks for a token again.
        this.state.patch({ status: "rejected", error: error.message });
        socket.disconnect();
        return;
      }
      const status = this.state.get().snapshots > 0 ? "reconnecting" : "connecting";
      this.state.patch({ status, error: `cannot reach the coordinator (${error.message}); retrying` });
    });
    socket.on("signedOut", (notice) => {
      // The token was revoked: the gateway disconnects next, for good.
      this.state.patch({ status: "rejected", error: notice.message });
    });
    socket.on("disconnect", (reason) => {
      if (this.socket !== socket || reason === "io client disconnect") return;
      if (reason === "io server disconnect") {
        // Only a sign-out makes the gateway drop a socket; Socket.IO does not reconnect after it.
        this.state.patch({ status: "rejected", error: this.state.get().error ?? "signed out by the coordinator" });
        return;
      }
      this.awaitingSnapshot = true;
      this.state.patch({ status: "reconnecting", error: `connection lost (${reason}); reconnecting` });
    });
  }

  /**
   * Asks the coordinator to act (the gateway checks the session's role) and resolves with its
   * answer; never rejects: being offline or a timeout are answered in the same error vocabulary.
   */
  async act<E extends DashboardAction>(event: E, request: ActionRequest<E>): Promise<ActionAnswer<E>> {
    const socket = this.socket;
    if (!socket?.connected) {
      return offline(
        "not connected to the coordinator: wait until the HUD says Live, then try again",
      ) as ActionAnswer<E>;
    }
    try {
      // Typed events cannot express "the answer of event E" generically: the protocol types say it.
      const timed = socket.timeout(ACTION_TIMEOUT_MS) as unknown as {
        emitWithAck(event: string, request: unknown): Promise<unknown>;
      };
      return (await timed.emitWithAck(event, request)) as ActionAnswer<E>;
    } catch {
      return {
        ok: false,
        error: {
          code: "DEADLINE_EXCEEDED",
          httpStatus: 504,
          message: `the coordinator did not answer within ${ACTION_TIMEOUT_MS / 1000} s; the action may still have happened`,
        },
      } as ActionAnswer<E>;
    }
  }

  /** Signs out: no more reconnects. */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.removeAllListeners();
    socket?.disconnect();
    this.state.patch({ status: "closed" });
  }

  private onSnapshot(snapshot: DashboardSnapshot): void {
    replaceAll(this.stores, snapshot.topics);
    this.awaitingSnapshot = false;
    const appliedAtMs = Date.now();
    this.state.set({
      status: "live",
      error: undefined,
      session: snapshot.session,
      epoch: snapshot.epoch,
      seq: snapshot.seq,
      clockOffsetMs: snapshot.sentAtMs - appliedAtMs,
      lastUpdateAtMs: appliedAtMs,
      snapshots: this.state.get().snapshots + 1,
    });
    window.__sentraProbe?.snapshotApplied?.(snapshot, appliedAtMs);
  }

  private onDelta(delta: DashboardDelta): void {
    if (this.awaitingSnapshot) return;
    const { epoch, seq } = this.state.get();
    if (delta.seq <= seq && delta.epoch === epoch) return; // already in the snapshot
    if (delta.epoch !== epoch || delta.seq !== seq + 1) {
      // A gap (or another coordinator): only a snapshot can make the state whole again.
      this.awaitingSnapshot = true;
      this.state.patch({ status: "resyncing" });
      this.socket?.emit("resync");
      return;
    }
    applyChanges(this.stores, delta.changes);
    const appliedAtMs = Date.now();
    this.state.patch({ seq: delta.seq, clockOffsetMs: delta.sentAtMs - appliedAtMs, lastUpdateAtMs: appliedAtMs });
    window.__sentraProbe?.deltaApplied?.(delta, appliedAtMs);
  }
}

function offline(message: string): DashboardActionResult<never> {
  return { ok: false, error: { code: "UNAVAILABLE", httpStatus: 503, message } };
}
