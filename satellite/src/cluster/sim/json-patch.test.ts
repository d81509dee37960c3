import { describe, expect, it } from "vitest";
import { applyJsonPatch } from "./json-patch.js";
import { StatusError } from "./status-error.js";

const statusCode = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error: unknown) {
    return error instanceof StatusError ? error.code : -1;
  }
};

describe("applyJsonPatch", () => {
  const doc = {
    spec: { replicas: 3, containers: [{ name: "a" }, { name: "b" }] },
    metadata: { "a/b": "x", "m~n": "y" },
  };

  it("applies add, replace, remove, move, copy and test without touching the input", () => {
    const result = applyJsonPatch(doc, [
      { op: "test", path: "/spec/replicas", value: 3 },
      { op: "replace", path: "/spec/replicas", value: 5 },
      { op: "add", path: "/spec/containers/-", value: { name: "c" } },
      { op: "add", path: "/spec/containers/0", value: { name: "first" } },
      { op: "remove", path: "/spec/containers/1" },
      { op: "copy", from: "/metadata/a~1b", path: "/metadata/copied" },
      { op: "move", from: "/metadata/m~0n", path: "/metadata/moved" },
    ]);
    expect(result).toEqual({
      spec: { replicas: 5, containers: [{ name: "first" }, { name: "b" }, { name: "c" }] },
      metadata: { "a/b": "x", copied: "x", moved: "y" },
    });
    expect(doc.spec.replicas).toBe(3);
    expect(doc.spec.containers).toHaveLength(2);
  });

  it("answers 422 when an operation cannot apply and 400 for a malformed patch", () => {
    expect(statusCode(() => applyJsonPatch(doc, [{ op: "test", path: "/spec/replicas", value: 4 }]))).toBe(422);
    expect(statusCode(() => applyJsonPatch(doc, [{ op: "replace", path: "/spec/missing", value: 1 }]))).toBe(422);
    expect(statusCode(() => applyJsonPatch(doc, [{ op: "remove", path: "/spec/containers/7" }]))).toBe(422);
    expect(statusCode(() => applyJsonPatch(doc, { op: "add" }))).toBe(400);
    expect(statusCode(() => applyJsonPatch(doc, [{ op: "frobnicate", path: "/x" }]))).toBe(400);
    expect(statusCode(() => applyJsonPatch(doc, [{ op: "add", path: "/x" }]))).toBe(400);
    expect(statusCode(() => applyJsonPatch(doc, [{ op: "add", path: "x", value: 1 }]))).toBe(400);
  });
});
