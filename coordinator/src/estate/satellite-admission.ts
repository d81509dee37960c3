import type { Logger } from "@sentra/common";
import type { SatelliteAdmissionMode } from "../config/coordinator-config.js";
import { LogThrottle } from "../infrastructure/log-throttle.js";
import type { SatelliteBinding, SatelliteClaim } from "./satellite-binding.js";
import type { FirstClaim, SatelliteBindingRepository } from "./satellite-binding.repository.js";

/** @default 5000 — how often bindings written by other replicas (or admins) are read. */
const DEFAULT_REFRESH_INTERVAL_MS = 5_000;
/** @default 1000 — the refresh reads from this much before the last read (writes that committed late). */
const REFRESH_OVERLAP_MS = 1_000;
/** @default 10 — first messages of new satellites gather this long before one MySQL round trip. */
const CLAIM_WINDOW_MS = 10;
/** @default 1000 — after a failed MySQL call, the wait before the next try. */
const RETRY_DELAY_MS = 1_000;
/** @default 20000 — new satellites waiting at once; more are dropped (and retried by their next message). */
const MAX_WAITING = 20_000;
/**
 * @default 1024 — messages of one new satellite waiting at once; more are dropped and counted
 * (`admission_backlog`). The per-satellite rate limit (20/s) keeps a real one far below this
 * unless MySQL is out for a minute.
 */
const MAX_WAITING_PER_SATELLITE = 1_024;

/** @default 500 — how often messages that carry no claim (prices) look for a binding a heartbeat made. */
const LOOKUP_INTERVAL_MS = 500;
/** @default 10000 — how long a message without a claim waits for its satellite's heartbeat to bind it. */
const MAX_LOOKUP_WAIT_MS = 10_000;

/** A satellite whose binding is not known here yet: its claim and what to do once it is. */
interface Waiting {
  /** Undefined until a heartbeat (the only message naming the clusters) brings one. */
  claim: SatelliteClaim | undefined;
  readonly sinceMs: number;
  /** Each waiting message's, in arrival order (each must still land in one counter). */
  readonly continuations: (() => void)[];
}

/**
 * This replica's copy of the satellite bindings (MySQL owns them, `satellite_bindings`). Judging
 * a message is a map lookup, so a bound satellite never waits for MySQL. A satellite this replica
 * does not know yet waits: its claim is written in one batched round trip (the first claim that
 * lands wins, across replicas) and its message continues with the binding as MySQL has it. Admin
 * approvals and rebinds, and bindings other replicas wrote, are read every few seconds.
 */
export class SatelliteAdmission {
  private readonly bindings = new Map<string, SatelliteBinding>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly logThrottle = new LogThrottle();
  private watermarkMs = 0;
  private claimTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly repository: SatelliteBindingRepository,
    private readonly mode: SatelliteAdmissionMode,
    private readonly logger: Logger,
    private readonly hooks: { onError(): void; onWaiting(count: number): void } = {
      onError: () => {},
      onWaiting: () => {},
    },
    private readonly refreshIntervalMs = DEFAULT_REFRESH_INTERVAL_MS,
  ) {}

  /** Loads every binding (start-up needs MySQL anyway), then keeps them fresh. */
  async start(): Promise<void> {
    const { bindings, readAtMs } = await this.repository.all();
    for (const binding of bindings) this.bindings.set(binding.satelliteId, binding);
    this.watermarkMs = readAtMs;
    this.refreshTimer = setInterval(() => void this.refresh(), this.refreshIntervalMs);
    this.refreshTimer.unref();
    this.logger.info({ bindings: bindings.length, admission: this.mode }, "satellite bindings loaded");
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    clearTimeout(this.claimTimer);
    this.waiting.clear();
    this.hooks.onWaiting(0);
  }

  /** The binding to judge a message by; undefined: not known here, or open for a new claim. */
  bindingOf(satelliteId: string): SatelliteBinding | undefined {
    const binding = this.bindings.get(satelliteId);
    return binding?.status === "open" ? undefined : binding;
  }

  /**
   * Holds a message of a satellite without a usable binding until its binding is known;
   * `continuation` then runs once (and should judge the message again). A heartbeat's `claim` is
   * recorded as the binding if MySQL has none; a message without one (prices: no clusters) only
   * looks for a binding, for up to 10 s. False: too many waiting (the caller counts the drop).
   */
  wait(satelliteId: string, claim: SatelliteClaim | undefined, continuation: () => void): boolean {
    let entry = this.waiting.get(satelliteId);
    if (!entry) {
      if (this.waiting.size >= MAX_WAITING) return false;
      entry = { claim, sinceMs: Date.now(), continuations: [] };
      this.waiting.set(satelliteId, entry);
      this.hooks.onWaiting(this.waiting.size);
    }
    if (entry.continuations.length >= MAX_WAITING_PER_SATELLITE) return false;
    entry.claim ??= claim;
    entry.continuations.push(continuation);
    this.scheduleClaims(CLAIM_WINDOW_MS);
    return true;
  }

  /** Called after an admin changed a binding on this replica: judged by the new one at once. */
  learn(binding: SatelliteBinding): void {
    this.bindings.set(binding.satelliteId, binding);
  }

  private scheduleClaims(delayMs: number): void {
    if (this.claimTimer || this.claiming || this.stopped) return;
    this.claimTimer = setTimeout(() => {
      this.claimTimer = undefined;
      this.claiming = this.claimWaiting().finally(() => {
        this.claiming = undefined;
        if (this.waiting.size === 0) return;
        const anyClaim = [...this.waiting.values()].some((entry) => entry.claim !== undefined);
        this.scheduleClaims(anyClaim ? CLAIM_WINDOW_MS : LOOKUP_INTERVAL_MS);
      });
    }, delayMs);
  }

  private async claimWaiting(): Promise<void> {
    const batch = [...this.waiting];
    const status = this.mode === "approval" ? "pending" : "bound";
    const claims: FirstClaim[] = [];
    const lookups: string[] = [];
    for (const [satelliteId, { claim }] of batch) {
      if (claim) claims.push({ satelliteId, claim, status });
      else lookups.push(satelliteId);
    }
    let recorded: SatelliteBinding[];
    try {
      recorded = [...(await this.repository.claim(claims)), ...(await this.repository.get(lookups))];
    } catch (error) {
      this.failed("claim", error);
      // Waiting entries stay; the next try is a second away (their satellites keep sending).
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS).unref());
      return;
    }
    for (const binding of recorded) this.noteClaimed(binding);
    const nowMs = Date.now();
    for (const [satelliteId] of batch) {
      const entry = this.waiting.get(satelliteId);
      if (!entry) continue;
      // Still unbound and without a claim: wait for a heartbeat, or give up after a while.
      if (this.bindingOf(satelliteId) === undefined && !entry.claim && nowMs - entry.sinceMs < MAX_LOOKUP_WAIT_MS)
        continue;
      this.waiting.delete(satelliteId);
      for (const continuation of entry.continuations) continuation();
    }
    this.hooks.onWaiting(this.waiting.size);
  }

  private noteClaimed(binding: SatelliteBinding): void {
    const before = this.bindings.get(binding.satelliteId);
    this.bindings.set(binding.satelliteId, binding);
    if (before?.status === "bound" && before.updatedAtMs === binding.updatedAtMs) return;
    const claim = this.waiting.get(binding.satelliteId)?.claim;
    const fields = { satelliteId: binding.satelliteId, cloud: binding.cloud, region: binding.region };
    if (binding.status === "pending") {
      this.logger.warn(
        { ...fields, clusters: binding.clusters },
        "new satellite awaits approval (sentra approve-satellite <id>); its messages are ignored until then",
      );
    } else if (claim && claim.region === binding.region && claim.cloud === binding.cloud) {
      this.logger.info({ ...fields, clusters: binding.clusters, boundBy: binding.boundBy }, "satellite bound");
    }
  }

  private async refresh(): Promise<void> {
    try {
      const { bindings, readAtMs } = await this.repository.changedSince(this.watermarkMs - REFRESH_OVERLAP_MS);
      for (const binding of bindings) this.bindings.set(binding.satelliteId, binding);
      this.watermarkMs = readAtMs;
    } catch (error) {
      this.failed("refresh", error);
    }
  }

  private failed(what: string, error: unknown): void {
    this.hooks.onError();
    const { log, suppressed } = this.logThrottle.admit(`binding-${what}`);
    if (log) {
      this.logger.warn(
        { err: String(error), waiting: this.waiting.size, suppressed },
        `could not ${what} satellite bindings in MySQL; new satellites wait, bound ones are not held up`,
      );
    }
  }
}
