import { DASHBOARD_ACTING_ROLES } from "@sentra/common/dashboard-protocol";
import { EstateConnection } from "./estate-connection";
import { createEstateStores, type EstateStores } from "./estate-stores";
import { MigrateFlow } from "./migrate-flow";
import { NoticeStore } from "./notices";
import { type RegionSummary, summarizeRegions } from "./region-summary";
import type { Listener } from "./topic-store";
import { ValueStore } from "./value-store";

/** @default 200 — region summaries (labels, HUD, panel) are recomputed at most 5 times a second. */
const SUMMARY_INTERVAL_MS = 200;
/** @default 1000 — and at least once a second: freshness and liveness age with the clock. */
const SUMMARY_TICK_MS = 1_000;

/**
 * Region summaries derived from the topic stores, recomputed at a bounded rate however fast deltas
 * arrive (1,000 heartbeating satellites must not re-render React 20 times a second).
 */
export class RegionSummaries {
  private current = new Map<string, RegionSummary>();
  private listeners = new Set<Listener>();
  private version = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastRunAtMs = 0;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly unsubscribers: Array<() => void>;

  constructor(
    private readonly stores: EstateStores,
    private readonly connection: EstateConnection,
  ) {
    const request = (): void => this.request();
    this.unsubscribers = [
      stores.satellites.subscribe(request),
      stores.prices.subscribe(request),
      stores.workloads.subscribe(request),
    ];
    this.ticker = setInterval(request, SUMMARY_TICK_MS);
  }

  get = (): Map<string, RegionSummary> => this.current;
  getVersion = (): number => this.version;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  dispose(): void {
    clearInterval(this.ticker);
    clearTimeout(this.timer);
    for (const unsubscribe of this.unsubscribers) unsubscribe();
  }

  private request(): void {
    if (this.timer !== undefined) return;
    const waitMs = Math.max(0, this.lastRunAtMs + SUMMARY_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastRunAtMs = performance.now();
      this.recompute();
    }, waitMs);
  }

  private recompute(): void {
    const { clockOffsetMs, session } = this.connection.state.get();
    this.current = summarizeRegions(
      this.stores.satellites.values(),
      this.stores.prices.values(),
      this.stores.workloads.values(),
      Date.now() + clockOffsetMs,
      session?.priceTtlMs ?? 30_000,
    );
    this.version += 1;
    for (const listener of this.listeners) listener();
  }
}

/** Everything the page shows, outside React: topic stores, the connection, summaries, focus. */
export interface DashboardModel {
  stores: EstateStores;
  connection: EstateConnection;
  regions: RegionSummaries;
  /** The focused region's key (camera flies there, the panel opens). */
  focus: ValueStore<string | undefined>;
  /** The region under the pointer. */
  hover: ValueStore<string | undefined>;
  /** Messages on the HUD (an action's refusal or success). */
  notices: NoticeStore;
  /** The one-click migration dialog. */
  migrateFlow: MigrateFlow;
  /** The operations panel's tab. */
  operationsTab: ValueStore<OperationsTab>;
}

export type OperationsTab = "opportunities" | "rollouts";

/** True when the session may act (migrate, promote, abort); the gateway checks it again. */
export function canAct(model: DashboardModel): boolean {
  const role = model.connection.state.get().session?.role;
  return role !== undefined && DASHBOARD_ACTING_ROLES.includes(role);
}

export function createDashboardModel(): DashboardModel {
  let priceHistoryLength = 120;
  let rolloutDecisionsLength = 120;
  const stores = createEstateStores({
    prices: () => priceHistoryLength,
    rolloutDecisions: () => rolloutDecisionsLength,
  });
  const connection = new EstateConnection(stores);
  connection.state.subscribe(() => {
    const session = connection.state.get().session;
    priceHistoryLength = session?.priceHistoryLength ?? priceHistoryLength;
    rolloutDecisionsLength = session?.rolloutDecisionsLength ?? rolloutDecisionsLength;
  });
  const notices = new NoticeStore();
  return {
    stores,
    connection,
    regions: new RegionSummaries(stores, connection),
    focus: new ValueStore<string | undefined>(undefined),
    hover: new ValueStore<string | undefined>(undefined),
    notices,
    migrateFlow: new MigrateFlow(connection, notices),
    operationsTab: new ValueStore<OperationsTab>("opportunities"),
  };
}
