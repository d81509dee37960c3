import { describe, expect, it } from "vitest";
import type { KubeObject } from "./kube-object.js";
import { ObjectStore, type WatchEvent } from "./object-store.js";
import { StatusError } from "./status-error.js";

const ref = { group: "example.io", version: "v1", resource: "widgets" };
const other = { group: "", version: "v1", resource: "things" };
const widget = (name: string, labels: Record<string, string> = {}, namespace = "ns"): KubeObject => ({
  apiVersion: "example.io/v1",
  kind: "Widget",
  metadata: { name, namespace, labels },
});

describe("ObjectStore", () => {
  it("shares one resourceVersion counter across kinds and copies values in and out", () => {
    const store = new ObjectStore();
    const input = widget("a");
    const created = store.create(ref, input);
    store.create(other, { ...widget("x"), kind: "Thing", apiVersion: "v1" });
    expect(created.metadata.resourceVersion).toBe("1");
    expect(input.metadata.resourceVersion).toBeUndefined();
    expect(store.resourceVersion).toBe(2);
    created.metadata.name = "mutated";
    expect(store.get(ref, "ns", "a")?.metadata.name).toBe("a");
    const deleted = store.delete(ref, "ns", "a");
    expect(deleted?.metadata.resourceVersion).toBe("3");
    expect(store.list(ref)).toEqual([]);
  });

  it("replays history to a watch, filters it, and turns leaving the filter into DELETED", () => {
    const store = new ObjectStore();
    store.create(ref, widget("a", { tier: "web" }));
    const from = store.resourceVersion;
    store.create(ref, widget("b", { tier: "web" }));
    const events: string[] = [];
    const record = (e: WatchEvent) =>
      events.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
    const stop = store.watch(
      ref,
      { fromResourceVersion: from, matches: (o) => o.metadata.labels?.tier === "web" },
      record,
    );
    store.update(ref, widget("a", { tier: "db" }));
    store.update(ref, widget("a", { tier: "web" }));
    store.create(other, { ...widget("x"), kind: "Thing" });
    stop();
    store.delete(ref, "ns", "b");
    expect(events).toEqual(["ADDED b 2", "DELETED a 3", "ADDED a 4"]);
  });

  it("starts a watch without a version with the current objects, and answers 410 once history is compacted", () => {
    const store = new ObjectStore({ historySize: 2 });
    store.create(ref, widget("a"));
    store.create(ref, widget("b", {}, "other"));
    const initial: string[] = [];
    store.watch(ref, { namespace: "ns" }, (e) => initial.push(`${e.type} ${e.object.metadata.name}`))();
    expect(initial).toEqual(["ADDED a"]);
    store.create(ref, widget("c"));
    expect(() => store.watch(ref, { fromResourceVersion: 1 }, () => {})).not.toThrow();
    store.create(ref, widget("d"));
    try {
      store.watch(ref, { fromResourceVersion: 1 }, () => {});
      expect.unreachable();
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(StatusError);
      expect((error as StatusError).code).toBe(410);
    }
  });
});
