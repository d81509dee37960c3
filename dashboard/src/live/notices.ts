import { ValueStore } from "./value-store";

/** A message on the HUD: an action's refusal, or its success. */
export interface Notice {
  id: number;
  tone: "error" | "success" | "info";
  title: string;
  detail: string;
  /** The error code (`FAILED_PRECONDITION`) of a refusal. */
  code?: string;
  /** The HTTP status the REST API would answer (412). */
  httpStatus?: number;
}

/** @default 20000 — an error stays on the HUD this long (or until dismissed). */
const ERROR_NOTICE_MS = 20_000;
/** @default 8000 */
const OTHER_NOTICE_MS = 8_000;
/** @default 3 — notices shown at once; older ones give way. */
const MAX_NOTICES = 3;

/** The HUD's notices, newest last; each leaves on its own after a while. */
export class NoticeStore extends ValueStore<readonly Notice[]> {
  private nextId = 1;

  constructor() {
    super([]);
  }

  push(notice: Omit<Notice, "id">): number {
    const id = this.nextId++;
    this.set([...this.get(), { ...notice, id }].slice(-MAX_NOTICES));
    setTimeout(() => this.dismiss(id), notice.tone === "error" ? ERROR_NOTICE_MS : OTHER_NOTICE_MS);
    return id;
  }

  dismiss(id: number): void {
    const remaining = this.get().filter((notice) => notice.id !== id);
    if (remaining.length !== this.get().length) this.set(remaining);
  }
}
