import type { DashboardActionError, MigrationPlanView, PlanMigrationRequest } from "@sentra/common/dashboard-protocol";
import type { EstateConnection } from "./estate-connection";
import type { NoticeStore } from "./notices";
import { ValueStore } from "./value-store";

/**
 * Where the one-click migration is:
 * - `planning`: the dry run is under way;
 * - `review`: the dry run accepted the move; its arithmetic is shown until the operator confirms;
 * - `refused`: the dry run (or the migrate's own dry run) refused it, with the reason and numbers;
 * - `starting`: Migrate was sent;
 * - `following`: the saga runs (or ran); its steps come live from the `migrations` topic.
 */
export type MigrateFlowState =
  | { step: "closed" }
  | { step: "planning"; request: PlanMigrationRequest }
  | { step: "review"; request: PlanMigrationRequest; plan: MigrationPlanView; idempotencyKey: string }
  | { step: "refused"; request: PlanMigrationRequest; error: DashboardActionError; plan: MigrationPlanView | null }
  | { step: "starting"; request: PlanMigrationRequest; plan: MigrationPlanView; idempotencyKey: string }
  | { step: "following"; migrationId: string };

/** The HTTP status line of a refusal, as the REST API would answer it. */
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** `412 Precondition Failed`. */
export function statusLine(httpStatus: number): string {
  return `${httpStatus} ${STATUS_TEXT[httpStatus] ?? "Error"}`;
}

/**
 * An idempotency key for one confirmed dry run: a retried or double-clicked Confirm sends the same
 * key, so it never starts two migrations. `getRandomValues` works on plain-HTTP pages too.
 */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `dashboard-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The one-click migration: dry run first (its arithmetic shown), then Migrate on confirmation, then
 * the saga followed live. A refusal is shown at once in the dialog and on the HUD.
 */
export class MigrateFlow {
  readonly state = new ValueStore<MigrateFlowState>({ step: "closed" });
  /** Answers to an earlier opening are ignored once the dialog moved on. */
  private generation = 0;
  /** The HUD notice this flow put up last: a newer one replaces it. */
  private noticeId: number | undefined;

  constructor(
    private readonly connection: EstateConnection,
    private readonly notices: NoticeStore,
  ) {}

  /** Runs the dry run for a move (the best target when `targetRegion` is absent). */
  async open(request: PlanMigrationRequest): Promise<void> {
    const generation = ++this.generation;
    this.state.set({ step: "planning", request });
    const answer = await this.connection.act("planMigration", request);
    if (generation !== this.generation) return;
    if (answer.ok) {
      this.state.set({ step: "review", request, plan: answer.result.plan, idempotencyKey: newIdempotencyKey() });
      return;
    }
    this.refuse(request, answer.error, "Dry run refused");
  }

  /** Starts the reviewed migration. */
  async confirm(): Promise<void> {
    const current = this.state.get();
    if (current.step !== "review") return;
    const generation = ++this.generation;
    const { request, plan, idempotencyKey } = current;
    this.state.set({ step: "starting", request, plan, idempotencyKey });
    const answer = await this.connection.act("migrate", { ...request, idempotencyKey });
    if (generation !== this.generation) return;
    if (answer.ok) {
      const { migration } = answer.result;
      this.state.set({ step: "following", migrationId: migration.id });
      this.notify({
        tone: "info",
        title: `Migration of ${migration.workloadId} started`,
        detail: `${migration.sourceRegionKey} → ${migration.targetRegionKey}: make-before-break, step by step below`,
      });
      return;
    }
    this.refuse(request, answer.error, "Migration refused");
  }

  /** Shows a migration's saga (from the migrations list). */
  follow(migrationId: string): void {
    this.generation += 1;
    this.state.set({ step: "following", migrationId });
  }

  close(): void {
    this.generation += 1;
    this.state.set({ step: "closed" });
  }

  private refuse(request: PlanMigrationRequest, error: DashboardActionError, title: string): void {
    this.state.set({ step: "refused", request, error, plan: error.plan ?? null });
    this.notify({
      tone: "error",
      title: `${title}: ${statusLine(error.httpStatus)}`,
      detail: error.message,
      code: error.code,
      httpStatus: error.httpStatus,
    });
  }

  private notify(notice: Parameters<NoticeStore["push"]>[0]): void {
    if (this.noticeId !== undefined) this.notices.dismiss(this.noticeId);
    this.noticeId = this.notices.push(notice);
  }
}
