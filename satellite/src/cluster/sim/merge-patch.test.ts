import { describe, expect, it } from "vitest";
import { applyMergePatch, applyStrategicMergePatch } from "./merge-patch.js";

describe("applyMergePatch (RFC 7386)", () => {
  it("merges objects, deletes on null and replaces arrays", () => {
    const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: true };
    expect(applyMergePatch(target, { a: { b: null, d: 3 }, list: [3] })).toEqual({
      a: { c: 2, d: 3 },
      list: [3],
      keep: true,
    });
    expect(target.a).toEqual({ b: 1, c: 2 });
  });
});

describe("applyStrategicMergePatch", () => {
  const deployment = {
    spec: {
      template: {
        spec: {
          containers: [
            { name: "app", image: "app:1", resources: { requests: { cpu: "1" } } },
            { name: "sidecar", image: "proxy:1" },
          ],
        },
      },
    },
  };

  it("merges lists of named items by name, as kubectl set image expects", () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            $setElementOrder$containers: [{ name: "app" }, { name: "sidecar" }],
            containers: [{ name: "app", image: "app:2" }],
          },
        },
      },
    });
    expect(patched).toEqual({
      spec: {
        template: {
          spec: {
            containers: [
              { name: "app", image: "app:2", resources: { requests: { cpu: "1" } } },
              { name: "sidecar", image: "proxy:1" },
            ],
          },
        },
      },
    });
  });

  it("honours $patch delete and replace directives", () => {
    const deleted = applyStrategicMergePatch(deployment, {
      spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } },
    }) as typeof deployment;
    expect(deleted.spec.template.spec.containers.map((c) => c.name)).toEqual(["app"]);
    const replaced = applyStrategicMergePatch({ a: { x: 1, y: 2 } }, { a: { $patch: "replace", z: 3 } });
    expect(replaced).toEqual({ a: { z: 3 } });
  });
});
