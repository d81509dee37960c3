import { SentraError } from "@sentra/common";

/** @default 5 — re-reads after a concurrent change (409) before a weight change counts as failed. */
export const DEFAULT_MAX_CONFLICT_RETRIES = 5;

/** One optimistic read-modify-write of a Kubernetes object. */
export interface OptimisticUpdate<T> {
  /** Reads the object fresh from the API server (its `metadata.resourceVersion` included). */
  read(): Promise<T>;
  /** Changes the object in place; returns whether anything changed (false: nothing is written). */
  edit(object: T): boolean;
  /** Writes the edited object carrying the resourceVersion that was read: ABORTED on a concurrent change. */
  write(object: T): Promise<unknown>;
  /** @default DEFAULT_MAX_CONFLICT_RETRIES */
  readonly maxRetries?: number;
  /** Told about each conflict before the retry. */
  onConflict?(attempt: number): void;
}

/**
 * Read, edit, compare-and-swap write; a concurrent change (SentraError ABORTED, HTTP 409) re-reads
 * and edits again, so another writer's change is never overwritten. Every router edits this way.
 * @returns whether the object was written (false: it already was as wanted)
 * @throws the read's or edit's error; ABORTED after `maxRetries` conflicts; the write's other errors
 */
export async function updateWithRetry<T>(update: OptimisticUpdate<T>): Promise<boolean> {
  const maxRetries = update.maxRetries ?? DEFAULT_MAX_CONFLICT_RETRIES;
  for (let attempt = 0; ; attempt++) {
    const object = await update.read();
    if (!update.edit(object)) return false;
    try {
      await update.write(object);
      return true;
    } catch (error) {
      if (!(error instanceof SentraError && error.code === "ABORTED") || attempt >= maxRetries) throw error;
      update.onConflict?.(attempt);
    }
  }
}
