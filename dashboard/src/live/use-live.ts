import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import type { DashboardModel } from "./dashboard-model";
import type { Listener } from "./topic-store";

export const DashboardModelContext = createContext<DashboardModel | undefined>(undefined);

export function useDashboardModel(): DashboardModel {
  const model = useContext(DashboardModelContext);
  if (!model) throw new Error("useDashboardModel outside <DashboardModelContext.Provider>");
  return model;
}

interface Subscribable {
  subscribe(listener: Listener): () => void;
}

/**
 * Re-renders when `select()` returns something new (Object.is). Select primitives or stable
 * references: a selector that builds a fresh object each call would re-render on every change.
 */
export function useLive<T>(source: Subscribable, select: () => T): T {
  return useSyncExternalStore(source.subscribe, select, select);
}

/** The current time (page clock), refreshed every `intervalMs`: for "3 s ago" labels. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
